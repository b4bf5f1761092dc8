package io.modelrouter.client;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * No result arrived for a request within its timeout. The request was sent and may still be routed and answered:
 * a result that arrives later is ignored by the client (the request's {@code deadline}, which the client sets from
 * the timeout unless told otherwise, keeps the worker from calling a provider for it after that instant).
 *
 * <p>A {@link TimeoutException}, like the one {@link java.util.concurrent.CompletableFuture#orTimeout} gives, so
 * existing handling of timed-out futures applies.
 */
public final class ResultTimeoutException extends TimeoutException {
  private final String requestId;
  private final Duration timeout;

  public ResultTimeoutException(String requestId, Duration timeout) {
    super("no result for request " + requestId + " within " + timeout.toMillis() + " ms");
    this.requestId = requestId;
    this.timeout = timeout;
  }

  /** The id of the request that timed out. */
  public String requestId() {
    return requestId;
  }

  /** The timeout it was submitted with. */
  public Duration timeout() {
    return timeout;
  }
}
