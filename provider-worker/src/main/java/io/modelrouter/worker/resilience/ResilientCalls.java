package io.modelrouter.worker.resilience;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.modelrouter.worker.provider.ProviderException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Resilience4j around provider calls, composed in one order, outermost first:
 * <b>Retry ▸ CircuitBreaker ▸ RateLimiter ▸ TimeLimiter ▸ Bulkhead</b>. Every retry attempt passes the breaker
 * (which counts it), waits for a rate permit, is bounded in time, and holds a concurrency slot only while it runs.
 *
 * <p>Built once, held in registries: one Retry, RateLimiter, TimeLimiter and Bulkhead per provider (account-wide
 * limits), one CircuitBreaker per provider and model (an overloaded model should not open the breaker of its
 * siblings). Retries back off exponentially with jitter, or wait exactly the Retry-After the provider sent; only
 * retryable failures are retried (a 400, a 401, a context-window or content-policy error never is). An open
 * breaker, a full bulkhead or a refused rate permit is not retried either: the caller moves to the next model.
 */
public final class ResilientCalls implements AutoCloseable {

  /** Told about every attempt the Retry makes, whether or not it reached the provider. */
  @FunctionalInterface
  public interface AttemptObserver<T> {
    void attempted(Duration elapsed, T result, Throwable failure);
  }

  private final Map<String, ProviderPolicy> policies;
  private final RetryRegistry retries = RetryRegistry.ofDefaults();
  private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
  private final RateLimiterRegistry limiters = RateLimiterRegistry.ofDefaults();
  private final TimeLimiterRegistry timeLimiters = TimeLimiterRegistry.ofDefaults();
  private final BulkheadRegistry bulkheads = BulkheadRegistry.ofDefaults();
  private final ExecutorService callThreads = Executors.newVirtualThreadPerTaskExecutor();

  public ResilientCalls(Map<String, ProviderPolicy> policies) {
    this.policies = Map.copyOf(policies);
    policies.forEach((provider, policy) -> {
      retries.addConfiguration(provider, retryConfig(policy));
      breakers.addConfiguration(provider, breakerConfig(policy));
      limiters.addConfiguration(provider, rateLimiterConfig(policy));
      timeLimiters.addConfiguration(provider, TimeLimiterConfig.custom()
          .timeoutDuration(policy.timeout()).cancelRunningFuture(true).build());
      bulkheads.addConfiguration(provider, BulkheadConfig.custom()
          .maxConcurrentCalls(policy.maxConcurrent()).maxWaitDuration(policy.bulkheadWait()).build());
    });
  }

  private volatile double batchShare = 1.0;

  /** The share of each provider's {@code max.concurrent} calls that BATCH requests may hold at once. */
  public ResilientCalls batchShare(double share) {
    this.batchShare = Math.max(0.01, Math.min(1.0, share));
    return this;
  }

  /**
   * The bulkhead of the provider's BATCH calls, inside its own: {@code max.concurrent} times the batch share (at
   * least one), with the same wait, so that batch calls never hold every call slot an interactive request needs; a
   * batch call it refuses is BULKHEAD_FULL like any other, and the request goes on to its next model.
   */
  private Bulkhead batchBulkhead(String provider, ProviderPolicy policy) {
    return bulkheads.bulkhead(provider + "#batch", BulkheadConfig.custom()
        .maxConcurrentCalls(Math.max(1, (int) Math.ceil(policy.maxConcurrent() * batchShare)))
        .maxWaitDuration(policy.bulkheadWait()).build());
  }

  /**
   * Calls under the provider's policy, retrying as it says. Throws the last failure (unwrapped) when it gives up.
   */
  public <T> T call(String provider, String model, Callable<T> attempt, AttemptObserver<T> observer) throws Exception {
    return call(provider, model, null, attempt, observer);
  }

  /**
   * A call cut at its request's deadline, before the provider's own timeout. Not the provider's fault (the breaker
   * ignores it) and not retried: the request is out of time.
   */
  public static final class DeadlineExceededException extends RuntimeException {
    public DeadlineExceededException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * As {@link #call(String, String, Callable, AttemptObserver)}, each attempt also bounded by what is left of its
   * request's deadline when that is shorter than the provider's timeout.
   *
   * @param remaining what is left of the request's deadline, asked at each attempt; null for no deadline
   */
  public <T> T call(String provider, String model, java.util.function.Supplier<Duration> remaining,
      Callable<T> attempt, AttemptObserver<T> observer) throws Exception {
    return call(provider, model, remaining, false, attempt, observer);
  }

  /** As above; a {@code batch} call also passes the provider's BATCH bulkhead ({@link #batchShare}). */
  public <T> T call(String provider, String model, java.util.function.Supplier<Duration> remaining, boolean batch,
      Callable<T> attempt, AttemptObserver<T> observer) throws Exception {
    ProviderPolicy policy = policy(provider);
    Retry retry = retries.retry(provider, provider);
    CircuitBreaker breaker = breaker(provider, model);
    RateLimiter limiter = limiters.rateLimiter(provider, provider);
    TimeLimiter timeLimiter = timeLimiters.timeLimiter(provider, provider);
    Bulkhead bulkhead = bulkheads.bulkhead(provider, provider);
    Callable<T> slot = batch && batchShare < 1.0
        ? Bulkhead.decorateCallable(batchBulkhead(provider, policy), Bulkhead.decorateCallable(bulkhead, attempt))
        : Bulkhead.decorateCallable(bulkhead, attempt);
    Callable<T> limited = () -> {
      Duration left = remaining == null ? null : remaining.get();
      if (left != null && !left.isPositive()) {
        throw new DeadlineExceededException("the request's deadline passed before the call to " + provider + "/"
            + model);
      }
      boolean byDeadline = left != null && left.compareTo(policy.timeout()) < 0;
      TimeLimiter bound = byDeadline ? TimeLimiter.of(TimeLimiterConfig.custom().timeoutDuration(left)
          .cancelRunningFuture(true).build()) : timeLimiter;
      try {
        return bound.executeFutureSupplier(() -> callThreads.submit(slot));
      } catch (TimeoutException e) {
        if (byDeadline) {
          throw new DeadlineExceededException("the request's deadline passed during the call to " + provider + "/"
              + model + " (cut after " + left.toMillis() + " ms; the provider's timeout is "
              + policy.timeout().toMillis() + " ms)");
        }
        throw e;
      }
    };
    Callable<T> guarded = CircuitBreaker.decorateCallable(breaker, RateLimiter.decorateCallable(limiter, limited));
    Callable<T> observed = () -> {
      long started = System.nanoTime();
      try {
        T result = guarded.call();
        observer.attempted(Duration.ofNanos(System.nanoTime() - started), result, null);
        return result;
      } catch (Exception e) {
        Exception cause = unwrap(e);
        observer.attempted(Duration.ofNanos(System.nanoTime() - started), null, cause);
        throw cause;
      }
    };
    return Retry.decorateCallable(retry, observed).call();
  }

  public CircuitBreaker breaker(String provider, String model) {
    policy(provider);
    return breakers.circuitBreaker(provider + "/" + model, provider);
  }

  public CircuitBreakerRegistry breakers() {
    return breakers;
  }

  public BulkheadRegistry bulkheads() {
    return bulkheads;
  }

  private ProviderPolicy policy(String provider) {
    ProviderPolicy policy = policies.get(provider);
    if (policy == null) {
      throw new IllegalArgumentException("no resilience policy for provider '" + provider + "'");
    }
    return policy;
  }

  static Exception unwrap(Exception e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t instanceof Exception ex ? ex : new RuntimeException(t);
  }

  static RetryConfig retryConfig(ProviderPolicy policy) {
    IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(policy.initialBackoff(),
        policy.backoffMultiplier(), policy.jitter(), policy.maxBackoff());
    IntervalBiFunction<Object> wait = (attempt, outcome) -> {
      if (outcome.isLeft() && outcome.getLeft() instanceof ProviderException failure
          && failure.retryAfter().isPresent()) {
        return Math.min(failure.retryAfter().get().toMillis(), policy.maxBackoff().toMillis());
      }
      return backoff.apply(attempt);
    };
    return RetryConfig.custom()
        .maxAttempts(policy.maxAttempts())
        .intervalBiFunction(wait)
        // A provider that asks for a longer wait than the longest backoff is not called again sooner than it asked:
        // the request moves on to the next model of its chain instead.
        .retryOnException(failure -> retryable(failure) && !asksLongerThan(failure, policy.maxBackoff()))
        .failAfterMaxAttempts(false)
        .build();
  }

  static boolean asksLongerThan(Throwable failure, Duration longest) {
    return failure instanceof ProviderException provider && provider.retryAfter().isPresent()
        && provider.retryAfter().get().compareTo(longest) > 0;
  }

  static boolean retryable(Throwable failure) {
    return (failure instanceof ProviderException provider && provider.retryable())
        || failure instanceof TimeoutException;
  }

  static CircuitBreakerConfig breakerConfig(ProviderPolicy policy) {
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(policy.breakerWindow())
        .minimumNumberOfCalls(policy.breakerMinimumCalls())
        .failureRateThreshold(policy.breakerFailureRate())
        .waitDurationInOpenState(policy.breakerOpenDuration())
        .permittedNumberOfCallsInHalfOpenState(policy.breakerHalfOpenCalls())
        .recordException(failure -> (failure instanceof ProviderException provider && provider.kind().providerFault())
            || failure instanceof TimeoutException)
        // A call refused here (rate limiter, bulkhead) never reached the provider: it says nothing of its health, and
        // counted as a success it would close a half-open breaker on a provider that has not answered
        .ignoreException(failure -> (failure instanceof ProviderException provider && !provider.kind().providerFault())
            || failure instanceof RequestNotPermitted || failure instanceof BulkheadFullException
            || failure instanceof DeadlineExceededException)
        .build();
  }

  /**
   * This worker's share of a cluster-wide rate: {@code clusterPerMinute} times the share of the partitions it owns,
   * per second (the limiter refreshes every second, rounded up: at most one call a second more than the share), and
   * never above the provider's own per-worker limit. Called at each rebalance.
   */
  public int share(String provider, int clusterPerMinute, int ownedPartitions, int totalPartitions) {
    double fraction = totalPartitions <= 0 ? 1 : (double) ownedPartitions / totalPartitions;
    int perSecond = Math.max(1, (int) Math.ceil(clusterPerMinute * fraction / 60.0));
    ProviderPolicy policy = policies.get(provider);
    if (policy != null && policy.requestsPerMinute() > 0) {
      perSecond = Math.min(perSecond, rateLimiterConfig(policy).getLimitForPeriod());
    }
    limiters.rateLimiter(provider, provider).changeLimitForPeriod(perSecond);
    return perSecond;
  }

  /** The calls a second the provider's limiter lets through now. */
  public int limitPerSecond(String provider) {
    return limiters.rateLimiter(provider, provider).getRateLimiterConfig().getLimitForPeriod();
  }

  static RateLimiterConfig rateLimiterConfig(ProviderPolicy policy) {
    int perSecond = policy.requestsPerMinute() <= 0 ? Integer.MAX_VALUE
        : Math.max(1, (int) Math.ceil(policy.requestsPerMinute() / 60.0));
    return RateLimiterConfig.custom()
        .limitRefreshPeriod(Duration.ofSeconds(1))
        .limitForPeriod(perSecond)
        .timeoutDuration(policy.rateLimitWait())
        .build();
  }

  @Override
  public void close() {
    callThreads.close();
  }
}
