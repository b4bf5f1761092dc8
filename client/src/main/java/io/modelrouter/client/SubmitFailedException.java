package io.modelrouter.client;

/**
 * A request could not be written to {@code llm.requests}: the producer refused or failed it (broker unreachable
 * past {@code delivery.timeout.ms}, authorization, a record too large) or it could not be serialized (schema
 * registry unreachable or refusing the schema). The cause is the Kafka or serde exception. The request was not
 * sent, so submitting it again does not double it.
 */
public final class SubmitFailedException extends RuntimeException {
  private final String requestId;

  public SubmitFailedException(String requestId, Throwable cause) {
    super("request " + requestId + " could not be sent: " + cause, cause);
    this.requestId = requestId;
  }

  /** The id of the request that was not sent. */
  public String requestId() {
    return requestId;
  }
}
