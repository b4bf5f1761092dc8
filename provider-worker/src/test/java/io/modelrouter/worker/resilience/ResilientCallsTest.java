package io.modelrouter.worker.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.modelrouter.worker.provider.ProviderException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ResilientCalls} on its own, with plain callables standing for the provider's HTTP call: the rate limiter
 * and the bulkhead really limit calls, and the decorators are composed in the order the class documents, outermost
 * first: Retry ▸ CircuitBreaker ▸ RateLimiter ▸ TimeLimiter ▸ Bulkhead. Each order test names what a different order
 * would do instead.
 */
class ResilientCallsTest {
  private static final String PROVIDER = "p";

  private final List<Throwable> attempts = Collections.synchronizedList(new ArrayList<>());
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private ResilientCalls calls;

  @AfterEach
  void close() {
    threads.shutdownNow();
    if (calls != null) {
      calls.close();
    }
  }

  /** Defaults with a fast backoff and no jitter; each test sets what it is about. */
  private static ProviderPolicy.Builder policy() {
    return ProviderPolicy.builder().initialBackoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).jitter(0)
        .timeout(Duration.ofSeconds(10));
  }

  private ResilientCalls calls(ProviderPolicy policy) {
    calls = new ResilientCalls(Map.of(PROVIDER, policy));
    return calls;
  }

  /** Calls model {@code model}; every attempt the Retry makes is recorded in {@link #attempts} (null for success). */
  private <T> T call(String model, Callable<T> attempt) throws Exception {
    return calls.call(PROVIDER, model, attempt, (elapsed, result, failure) -> attempts.add(failure));
  }

  private static ProviderException serverError() {
    return new ProviderException(ProviderException.Kind.SERVER_ERROR, 503, "overloaded_error", "p answered 503");
  }

  // --- the rate limiter -------------------------------------------------------------------------------------------

  @Test
  void theRateLimiterRefusesCallsBeyondItsPermitsWithoutCallingTheProviderOrRetrying() throws Exception {
    // 120 requests a minute: 2 permits a second; a call that finds none moves on at once
    calls(policy().requestsPerMinute(120).rateLimitWait(Duration.ZERO).maxAttempts(3).build());
    AtomicInteger reached = new AtomicInteger();
    Callable<String> provider = () -> "answer " + reached.incrementAndGet();

    assertThat(call("m", provider)).isEqualTo("answer 1");
    assertThat(call("m", provider)).isEqualTo("answer 2");
    attempts.clear();
    assertThatThrownBy(() -> call("m", provider)).isInstanceOf(RequestNotPermitted.class);

    assertThat(reached).hasValue(2);
    assertThat(attempts).as("attempts of the refused call: one, not retried").singleElement()
        .isInstanceOf(RequestNotPermitted.class);
  }

  @Test
  void aCallWaitsForTheNextRatePermitAndTheWaitIsNotPartOfItsTimeLimit() throws Exception {
    // 60 a minute: one permit a second; a call may wait 3 s for one, and may then take 300 ms. Were the time limiter
    // outside the rate limiter, the second and third calls would time out while waiting for their permits.
    calls(policy().requestsPerMinute(60).rateLimitWait(Duration.ofSeconds(3)).timeout(Duration.ofMillis(300))
        .build());
    List<Long> started = Collections.synchronizedList(new ArrayList<>());
    Callable<String> provider = () -> {
      started.add(System.nanoTime());
      return "ok";
    };

    for (int i = 0; i < 3; i++) {
      assertThat(call("m", provider)).isEqualTo("ok");
    }

    assertThat(attempts).containsOnlyNulls().hasSize(3);
    // Permits are per second from the limiter's creation, just before the first call: the second call starts in
    // the next second, the third in the one after
    long secondAfterFirst = TimeUnit.NANOSECONDS.toMillis(started.get(1) - started.get(0));
    long thirdAfterFirst = TimeUnit.NANOSECONDS.toMillis(started.get(2) - started.get(0));
    assertThat(secondAfterFirst).as("ms from the first call to the second").isBetween(800L, 2_000L);
    assertThat(thirdAfterFirst).as("ms from the first call to the third").isBetween(1_800L, 3_000L);
  }

  // --- the bulkhead -----------------------------------------------------------------------------------------------

  @Test
  void theBulkheadLetsNoMoreThanMaxConcurrentCallsRunAtOnce() throws Exception {
    calls(policy().maxConcurrent(3).bulkheadWait(Duration.ofSeconds(10)).build());
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    // The first calls hold until three run at once, so the bulkhead is full whatever the machine's speed
    CountDownLatch threeRunning = new CountDownLatch(3);
    Callable<String> provider = () -> {
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        threeRunning.countDown();
        assertThat(threeRunning.await(10, TimeUnit.SECONDS)).as("three calls running at once").isTrue();
      } finally {
        running.decrementAndGet();
      }
      return "ok";
    };

    List<Future<String>> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(threads.submit(() -> call("m", provider)));
    }
    for (Future<String> f : nine) {
      assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo("ok");
    }

    assertThat(mostAtOnce).as("calls running at once").hasValue(3);
  }

  @Test
  void aFullBulkheadRefusesWithoutCallingTheProviderAndIsNotRetried() throws Exception {
    calls(policy().maxConcurrent(1).bulkheadWait(Duration.ZERO).maxAttempts(3).build());
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reached = new AtomicInteger();
    Future<String> holding = threads.submit(() -> call("m", () -> {
      reached.incrementAndGet();
      entered.countDown();
      release.await();
      return "first";
    }));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    attempts.clear();

    assertThatThrownBy(() -> call("m", () -> "second " + reached.incrementAndGet()))
        .isInstanceOf(BulkheadFullException.class);
    assertThat(reached).as("calls that reached the provider").hasValue(1);
    assertThat(attempts).as("attempts of the refused call: one, not retried").singleElement()
        .isInstanceOf(BulkheadFullException.class);

    // Once the first call ends, its slot is free again
    release.countDown();
    assertThat(holding.get(10, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(call("m", () -> "third")).isEqualTo("third");
  }

  // --- the order of the decorators ---------------------------------------------------------------------------------

  @Test
  void everyRetryAttemptPassesTheBreakerAndAnOpenBreakerEndsTheRetries() throws Exception {
    // Retry outside the breaker: the breaker counts each attempt, and once it opens (2 calls, 50% failed) the next
    // attempt is refused and not retried. Were the breaker outside the retry, the provider would get all 5 attempts
    // and the breaker would count one failed call.
    calls(policy().maxAttempts(5).breakerWindow(2).breakerMinimumCalls(2).breakerFailureRate(50f)
        .breakerOpenDuration(Duration.ofMinutes(1)).build());
    AtomicInteger reached = new AtomicInteger();

    assertThatThrownBy(() -> call("m", () -> {
      reached.incrementAndGet();
      throw serverError();
    })).isInstanceOf(CallNotPermittedException.class);

    assertThat(reached).as("calls that reached the provider").hasValue(2);
    assertThat(attempts).extracting(t -> t == null ? null : t.getClass().getSimpleName())
        .containsExactly("ProviderException", "ProviderException", "CallNotPermittedException");
    CircuitBreaker breaker = calls.breaker(PROVIDER, "m");
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(2);
  }

  @Test
  void aCallTheOpenBreakerRefusesTakesNoRatePermit() throws Exception {
    // One permit a second, none waited for. The breaker is outside the rate limiter: a call it refuses leaves the
    // second's only permit to the next call. Were the limiter outside, the refused call would have used it up.
    calls(policy().requestsPerMinute(60).rateLimitWait(Duration.ZERO).maxAttempts(1).build());
    CircuitBreaker breaker = calls.breaker(PROVIDER, "m");
    breaker.transitionToOpenState();
    AtomicInteger reached = new AtomicInteger();
    Callable<String> provider = () -> "answer " + reached.incrementAndGet();

    assertThatThrownBy(() -> call("m", provider)).isInstanceOf(CallNotPermittedException.class);
    breaker.transitionToClosedState();
    assertThat(call("m", provider)).isEqualTo("answer 1");
    // and the limiter is in force: the second's permit is now gone
    assertThatThrownBy(() -> call("m", provider)).isInstanceOf(RequestNotPermitted.class);
    assertThat(reached).hasValue(1);
  }

  @Test
  void aCallThatTimedOutKeepsItsConcurrencySlotUntilItReallyEnds() throws Exception {
    // The time limiter is outside the bulkhead: the caller stops waiting after 100 ms, but the slot is held by the
    // call itself, which here ignores the interruption (as blocking I/O may), so the provider never has more calls
    // in flight than the bulkhead allows. Were the bulkhead outside, the slot would be freed with the caller.
    calls(policy().maxConcurrent(1).bulkheadWait(Duration.ZERO).timeout(Duration.ofMillis(100)).maxAttempts(1)
        .build());
    CountDownLatch release = new CountDownLatch(1);
    Callable<String> stubborn = () -> {
      boolean interrupted = false;
      while (true) {
        try {
          if (release.await(10, TimeUnit.SECONDS)) {
            break;
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return "late";
    };

    assertThatThrownBy(() -> call("m", stubborn)).isInstanceOf(TimeoutException.class);
    assertThatThrownBy(() -> call("m", () -> "second")).as("a call while the timed-out one still runs")
        .isInstanceOf(BulkheadFullException.class);

    release.countDown();
    Bulkhead bulkhead = calls.bulkheads().bulkhead(PROVIDER);
    await().atMost(Duration.ofSeconds(10)).until(() -> bulkhead.getMetrics().getAvailableConcurrentCalls() == 1);
    assertThat(call("m", () -> "third")).isEqualTo("third");
  }

  // --- what a refusal tells the breaker ----------------------------------------------------------------------------

  @Test
  void aCallTheBulkheadRefusesIsNoSuccessfulProbeOfTheProvider() throws Exception {
    // The breaker of model m is open (2 failed calls), then half-open; the provider's only slot is
    // taken by a call to another model. The next call to m is let through by the breaker as its one half-open probe,
    // then refused by the bulkhead: the provider was not called, so the breaker knows no more about it than before
    // and must still be waiting for a probe. (It must not close as if the provider had answered.)
    calls(policy().maxAttempts(1).breakerWindow(2).breakerMinimumCalls(2).breakerFailureRate(50f)
        .breakerOpenDuration(Duration.ofMillis(100)).breakerHalfOpenCalls(1).maxConcurrent(1)
        .bulkheadWait(Duration.ZERO).build());
    CircuitBreaker breaker = calls.breaker(PROVIDER, "m");
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> call("m", () -> {
        throw serverError();
      })).isInstanceOf(ProviderException.class);
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    breaker.transitionToHalfOpenState();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> other = threads.submit(() -> call("other", () -> {
      entered.countDown();
      release.await();
      return "other";
    }));
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicInteger reached = new AtomicInteger();

    try {
      assertThatThrownBy(() -> call("m", () -> "probe " + reached.incrementAndGet()))
          .isInstanceOf(BulkheadFullException.class);
    } finally {
      release.countDown();
    }

    assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo("other");
    assertThat(reached).as("calls of the probe that reached the provider").hasValue(0);
    assertThat(breaker.getState()).as("the breaker after a probe the bulkhead refused")
        .isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("successful calls the breaker counted")
        .isZero();
  }

  @Test
  void aCallRefusedARatePermitIsNoSuccessfulProbeOfTheProvider() throws Exception {
    // As above with the rate limiter: 3 permits a second, two used by the failures that opened m's breaker, the
    // third by a call to another model; the half-open probe of m then finds no permit.
    calls(policy().maxAttempts(1).breakerWindow(2).breakerMinimumCalls(2).breakerFailureRate(50f)
        .breakerOpenDuration(Duration.ofMillis(100)).breakerHalfOpenCalls(1).requestsPerMinute(180)
        .rateLimitWait(Duration.ZERO).build());
    CircuitBreaker breaker = calls.breaker(PROVIDER, "m");
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> call("m", () -> {
        throw serverError();
      })).isInstanceOf(ProviderException.class);
    }
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    // half-open at once rather than after the open period, so that all four calls fall within one permit second
    breaker.transitionToHalfOpenState();
    assertThat(call("other", () -> "other")).isEqualTo("other");
    AtomicInteger reached = new AtomicInteger();

    assertThatThrownBy(() -> call("m", () -> {
      reached.incrementAndGet();
      throw serverError();
    })).as("the probe, within the same second as the three calls before it").isInstanceOf(RequestNotPermitted.class);

    assertThat(reached).hasValue(0);
    assertThat(breaker.getState()).as("the breaker after a probe the rate limiter refused")
        .isEqualTo(CircuitBreaker.State.HALF_OPEN);
    assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).as("successful calls the breaker counted")
        .isZero();
  }

  @Test
  void aClusterWideRateIsSharedByThePartitionsEachWorkerOwns() {
    ProviderPolicy unlimited = new ProviderPolicy(3, Duration.ofMillis(10), 2.0, 0.0, Duration.ofMillis(400), 0,
        Duration.ofMillis(100), 50, Duration.ofMillis(100), Duration.ofMillis(500), 50f, 4, 4, Duration.ofMillis(300), 1);
    ProviderPolicy perWorker = new ProviderPolicy(3, Duration.ofMillis(10), 2.0, 0.0, Duration.ofMillis(400), 120,
        Duration.ofMillis(100), 50, Duration.ofMillis(100), Duration.ofMillis(500), 50f, 4, 4, Duration.ofMillis(300), 1);
    try (ResilientCalls calls = new ResilientCalls(Map.of("anthropic", unlimited, "openai", perWorker))) {
      // 600 a minute over 8 partitions: a worker owning 4 takes 300 a minute, 5 a second
      assertThat(calls.share("anthropic", 600, 4, 8)).isEqualTo(5);
      assertThat(calls.limitPerSecond("anthropic")).isEqualTo(5);
      // after a rebalance that gives it every partition, the whole rate
      assertThat(calls.share("anthropic", 600, 8, 8)).isEqualTo(10);
      // 1 of 8 partitions of 100 a minute is 0.2 a second: at least one call a second
      assertThat(calls.share("anthropic", 100, 1, 8)).isEqualTo(1);
      // never above the provider's own per-worker limit (120 a minute, 2 a second)
      assertThat(calls.share("openai", 6_000, 8, 8)).isEqualTo(2);
    }
  }
}
