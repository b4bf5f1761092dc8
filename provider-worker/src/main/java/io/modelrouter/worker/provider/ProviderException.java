package io.modelrouter.worker.provider;

import java.time.Duration;
import java.util.Optional;

/**
 * A failed provider call, classified so that the worker knows whether to retry it, count it against the breaker,
 * or move on to the next model of the fallback chain. Messages never hold credentials.
 */
public final class ProviderException extends Exception {

  public enum Kind {
    /** 429: retry after the provider's Retry-After, if any. */
    RATE_LIMITED(true, true),
    /** 5xx, Anthropic's 529 overloaded: retry with backoff. */
    SERVER_ERROR(true, true),
    /** No answer in time: retry with backoff. */
    TIMEOUT(true, true),
    /** Connection refused or reset before an answer: retry with backoff. */
    NETWORK(true, true),
    /** The answer was not what the vendor documents (malformed body): retry once more may help. */
    MALFORMED_RESPONSE(true, true),
    /** 400: the request itself is wrong for this provider; never retried. */
    BAD_REQUEST(false, false),
    /** 401 / 403: credentials or permissions; never retried, but counts against the breaker. */
    AUTH(false, true),
    /** The prompt does not fit the model's context window: go to a larger-context model. */
    CONTEXT_WINDOW(false, false),
    /** The provider refused the content; never retried. */
    CONTENT_POLICY(false, false),
    /** No provider is configured under that name; never retried. */
    NOT_CONFIGURED(false, false),
    /** The account's spend limit or quota is exhausted; not retried (waiting will not help soon). */
    QUOTA_EXHAUSTED(false, true),
    /**
     * The answer does not conform to the request's response format: not retried by the provider's policy (the worker
     * asks the same model once more itself, then the next fallback), and no sign of the provider's health.
     */
    INVALID_OUTPUT(false, false);

    private final boolean retryable;
    private final boolean providerFault;

    Kind(boolean retryable, boolean providerFault) {
      this.retryable = retryable;
      this.providerFault = providerFault;
    }

    public boolean retryable() {
      return retryable;
    }

    /** Whether the failure says something about the provider's health (counted by its circuit breaker). */
    public boolean providerFault() {
      return providerFault;
    }
  }

  private final Kind kind;
  private final Integer httpStatus;
  private final String errorCode;
  private final Duration retryAfter;
  private ProviderResponse billed;

  public ProviderException(Kind kind, Integer httpStatus, String errorCode, String message, Duration retryAfter,
      Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
    this.retryAfter = retryAfter;
  }

  public ProviderException(Kind kind, Integer httpStatus, String errorCode, String message) {
    this(kind, httpStatus, errorCode, message, null, null);
  }

  public Kind kind() {
    return kind;
  }

  public Integer httpStatus() {
    return httpStatus;
  }

  /** The vendor's error type or code (e.g. overloaded_error, context_length_exceeded, ThrottlingException). */
  public String errorCode() {
    return errorCode;
  }

  /** How long the provider asked us to wait, if it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  public boolean retryable() {
    return kind.retryable();
  }

  /** The usage of a call that failed the request but was billed (a 200 that stopped at the context window). */
  public Optional<ProviderResponse> billed() {
    return Optional.ofNullable(billed);
  }

  public ProviderException withBilled(ProviderResponse response) {
    this.billed = response;
    return this;
  }
}
