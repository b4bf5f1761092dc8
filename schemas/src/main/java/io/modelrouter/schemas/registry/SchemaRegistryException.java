package io.modelrouter.schemas.registry;

/**
 * An error answer of a schema registry, with the HTTP status and Confluent's {@code error_code}
 * (40401 subject not found, 40402 version not found, 40403 schema not found, 409 incompatible, 42201 invalid schema ...).
 */
public class SchemaRegistryException extends RuntimeException {
  public static final int SUBJECT_NOT_FOUND = 40401;
  public static final int VERSION_NOT_FOUND = 40402;
  public static final int SCHEMA_NOT_FOUND = 40403;
  public static final int SUBJECT_SOFT_DELETED = 40404;
  public static final int SUBJECT_NOT_SOFT_DELETED = 40405;
  public static final int SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED = 40408;
  public static final int INCOMPATIBLE_SCHEMA = 409;
  public static final int INVALID_SCHEMA = 42201;
  public static final int INVALID_VERSION = 42202;
  public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
  public static final int STORE_ERROR = 50001;

  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(int httpStatus, int errorCode, String message) {
    this(httpStatus, errorCode, message, null);
  }

  public SchemaRegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
    super(message + " (HTTP " + httpStatus + ", error_code " + errorCode + ")", cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int errorCode() {
    return errorCode;
  }

  public boolean isNotFound() {
    return httpStatus == 404;
  }

  /** Worth trying again later: the registry was unreachable or failed internally. */
  public boolean isRetryable() {
    return httpStatus >= 500 || httpStatus == 0 || httpStatus == 429;
  }

  public static SchemaRegistryException subjectNotFound(String subject) {
    return new SchemaRegistryException(404, SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
  }

  public static SchemaRegistryException versionNotFound(String subject, Object version) {
    return new SchemaRegistryException(404, VERSION_NOT_FOUND,
        "Version " + version + " not found for subject '" + subject + "'.");
  }

  public static SchemaRegistryException schemaNotFound(String what) {
    return new SchemaRegistryException(404, SCHEMA_NOT_FOUND, "Schema " + what + " not found");
  }
}
