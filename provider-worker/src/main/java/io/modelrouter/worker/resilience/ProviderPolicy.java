package io.modelrouter.worker.resilience;

import java.time.Duration;

/**
 * How calls to one provider are protected. Validated on construction: a message names what is wrong and what was
 * given.
 *
 * @param maxAttempts calls per model, the first included (1 = no retry)
 * @param jitter randomization factor of the backoff, in [0, 1)
 * @param requestsPerMinute the provider's rate limit for this worker; 0 = unlimited
 * @param rateLimitWait how long a call may wait for a rate permit before moving on to the next model
 * @param maxConcurrent calls in flight at once (the bulkhead)
 * @param bulkheadWait how long a call may wait for a free slot
 * @param timeout how long one call may take
 * @param breakerFailureRate percentage of failed calls in the window that opens the breaker
 * @param breakerWindow calls in the breaker's sliding window
 * @param breakerMinimumCalls calls before the breaker judges at all
 * @param breakerOpenDuration how long the breaker stays open before letting probe calls through
 * @param breakerHalfOpenCalls probe calls in the half-open state
 */
public record ProviderPolicy(int maxAttempts, Duration initialBackoff, double backoffMultiplier, double jitter,
    Duration maxBackoff, int requestsPerMinute, Duration rateLimitWait, int maxConcurrent, Duration bulkheadWait,
    Duration timeout, float breakerFailureRate, int breakerWindow, int breakerMinimumCalls,
    Duration breakerOpenDuration, int breakerHalfOpenCalls) {

  public ProviderPolicy {
    require(maxAttempts >= 1, "maxAttempts must be >= 1", maxAttempts);
    require(!initialBackoff.isNegative() && !initialBackoff.isZero(), "initialBackoff must be > 0", initialBackoff);
    require(backoffMultiplier >= 1, "backoffMultiplier must be >= 1", backoffMultiplier);
    require(jitter >= 0 && jitter < 1, "jitter must be in [0, 1)", jitter);
    require(maxBackoff.compareTo(initialBackoff) >= 0, "maxBackoff must be >= initialBackoff", maxBackoff);
    require(requestsPerMinute >= 0, "requestsPerMinute must be >= 0", requestsPerMinute);
    require(maxConcurrent >= 1, "maxConcurrent must be >= 1", maxConcurrent);
    require(!timeout.isNegative() && !timeout.isZero(), "timeout must be > 0", timeout);
    require(breakerFailureRate > 0 && breakerFailureRate <= 100, "breakerFailureRate must be in (0, 100]",
        breakerFailureRate);
    require(breakerWindow >= 1, "breakerWindow must be >= 1", breakerWindow);
    require(breakerMinimumCalls >= 1, "breakerMinimumCalls must be >= 1", breakerMinimumCalls);
    require(breakerHalfOpenCalls >= 1, "breakerHalfOpenCalls must be >= 1", breakerHalfOpenCalls);
  }

  /**
   * The one source of the defaults for a real provider: 3 attempts, 0.5 s → 30 s backoff (doubling, jitter 0.5), no
   * rate limit, 256 calls in flight, 60 s timeout, breaker at 50% of 20 calls (10 before it judges) open for 30 s with
   * 3 probes. The worker's {@code providers.<name>.*} settings take their defaults from here.
   */
  public static final ProviderPolicy DEFAULTS = new ProviderPolicy(3, Duration.ofMillis(500), 2.0, 0.5,
      Duration.ofSeconds(30), 0, Duration.ofSeconds(5), 256, Duration.ofSeconds(1), Duration.ofSeconds(60), 50f, 20,
      10, Duration.ofSeconds(30), 3);

  public static ProviderPolicy defaults() {
    return DEFAULTS;
  }

  /** A builder starting from {@link #DEFAULTS}: set what differs, by name. */
  public static Builder builder() {
    return new Builder(DEFAULTS);
  }

  /** A builder starting from this policy. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  public ProviderPolicy withMaxConcurrent(int calls) {
    return toBuilder().maxConcurrent(calls).build();
  }

  /** Named, optional fields instead of fifteen positional ones; {@link #build()} validates. */
  public static final class Builder {
    private int maxAttempts;
    private Duration initialBackoff;
    private double backoffMultiplier;
    private double jitter;
    private Duration maxBackoff;
    private int requestsPerMinute;
    private Duration rateLimitWait;
    private int maxConcurrent;
    private Duration bulkheadWait;
    private Duration timeout;
    private float breakerFailureRate;
    private int breakerWindow;
    private int breakerMinimumCalls;
    private Duration breakerOpenDuration;
    private int breakerHalfOpenCalls;

    private Builder(ProviderPolicy from) {
      maxAttempts = from.maxAttempts;
      initialBackoff = from.initialBackoff;
      backoffMultiplier = from.backoffMultiplier;
      jitter = from.jitter;
      maxBackoff = from.maxBackoff;
      requestsPerMinute = from.requestsPerMinute;
      rateLimitWait = from.rateLimitWait;
      maxConcurrent = from.maxConcurrent;
      bulkheadWait = from.bulkheadWait;
      timeout = from.timeout;
      breakerFailureRate = from.breakerFailureRate;
      breakerWindow = from.breakerWindow;
      breakerMinimumCalls = from.breakerMinimumCalls;
      breakerOpenDuration = from.breakerOpenDuration;
      breakerHalfOpenCalls = from.breakerHalfOpenCalls;
    }

    public Builder maxAttempts(int value) {
      maxAttempts = value;
      return this;
    }

    public Builder initialBackoff(Duration value) {
      initialBackoff = value;
      return this;
    }

    public Builder backoffMultiplier(double value) {
      backoffMultiplier = value;
      return this;
    }

    public Builder jitter(double value) {
      jitter = value;
      return this;
    }

    public Builder maxBackoff(Duration value) {
      maxBackoff = value;
      return this;
    }

    public Builder requestsPerMinute(int value) {
      requestsPerMinute = value;
      return this;
    }

    public Builder rateLimitWait(Duration value) {
      rateLimitWait = value;
      return this;
    }

    public Builder maxConcurrent(int value) {
      maxConcurrent = value;
      return this;
    }

    public Builder bulkheadWait(Duration value) {
      bulkheadWait = value;
      return this;
    }

    public Builder timeout(Duration value) {
      timeout = value;
      return this;
    }

    public Builder breakerFailureRate(float value) {
      breakerFailureRate = value;
      return this;
    }

    public Builder breakerWindow(int value) {
      breakerWindow = value;
      return this;
    }

    public Builder breakerMinimumCalls(int value) {
      breakerMinimumCalls = value;
      return this;
    }

    public Builder breakerOpenDuration(Duration value) {
      breakerOpenDuration = value;
      return this;
    }

    public Builder breakerHalfOpenCalls(int value) {
      breakerHalfOpenCalls = value;
      return this;
    }

    public ProviderPolicy build() {
      return new ProviderPolicy(maxAttempts, initialBackoff, backoffMultiplier, jitter, maxBackoff, requestsPerMinute,
          rateLimitWait, maxConcurrent, bulkheadWait, timeout, breakerFailureRate, breakerWindow, breakerMinimumCalls,
          breakerOpenDuration, breakerHalfOpenCalls);
    }
  }

  private static void require(boolean ok, String what, Object given) {
    if (!ok) {
      throw new IllegalArgumentException(what + ", got " + given);
    }
  }
}
