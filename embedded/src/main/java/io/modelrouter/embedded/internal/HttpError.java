package io.modelrouter.embedded.internal;

/** An error answer in Confluent's shape: HTTP status and {@code {"error_code":..,"message":..}}. */
final class HttpError extends RuntimeException {
  final int status;
  final int errorCode;

  HttpError(int status, int errorCode, String message) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }

  static HttpError notFound() {
    return new HttpError(404, 404, "HTTP 404 Not Found");
  }

  static HttpError methodNotAllowed() {
    return new HttpError(405, 405, "HTTP 405 Method Not Allowed");
  }

  static HttpError subjectNotFound(String subject) {
    return new HttpError(404, 40401, "Subject '" + subject + "' not found.");
  }

  static HttpError versionNotFound(int version) {
    return new HttpError(404, 40402, "Version " + version + " not found.");
  }

  static HttpError schemaNotFound(String what) {
    return new HttpError(404, 40403, what);
  }

  static HttpError invalidSchema(String message) {
    return new HttpError(422, 42201, message);
  }

  static HttpError invalidVersion(String version) {
    return new HttpError(422, 42202, "The specified version '" + version + "' is not a valid version id. "
        + "Allowed values are between [1, 2^31-1] and the string \"latest\"");
  }

  static HttpError invalidCompatibility() {
    return new HttpError(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, full, "
        + "backward_transitive, forward_transitive, and full_transitive");
  }
}
