package io.modelrouter.client;

/**
 * The {@link RouterClient} was closed while the request's result was still pending. The request had been sent
 * and may still be answered on the results topic, where a consumer of the caller's own can read it.
 */
public final class ClientClosedException extends IllegalStateException {
  private final String requestId;

  public ClientClosedException(String requestId, String resultsTopic) {
    super("RouterClient was closed before the result of request " + requestId + " arrived (the request was sent "
        + "and may still be answered on " + resultsTopic + ")");
    this.requestId = requestId;
  }

  /** The id of the request whose result was still pending. */
  public String requestId() {
    return requestId;
  }
}
