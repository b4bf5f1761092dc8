package io.modelrouter.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.client.ClientClosedException;
import io.modelrouter.client.ResultTimeoutException;
import io.modelrouter.embedded.junit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class PendingRequestsTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final List<Runnable> callbacks = new ArrayList<>();
  /** Runs completions only when the test says so, to show they never run on the caller's thread. */
  private final Executor queued = callbacks::add;
  private final PendingRequests pending = new PendingRequests(clock, Runnable::run);

  @Test
  void completesTheFutureOfTheRequestTheResultAnswers() {
    // Given two pending requests
    CompletableFuture<InferenceResult> first = pending.register("r-1", Duration.ofSeconds(5));
    CompletableFuture<InferenceResult> second = pending.register("r-2", Duration.ofSeconds(5));

    // When the result of the second arrives
    boolean matched = pending.complete(result("r-2"));

    // Then only its future completes, and it is no longer pending
    assertThat(matched).isTrue();
    assertThat(second).isCompletedWithValueMatching(r -> r.getRequestId().equals("r-2"));
    assertThat(first).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
    assertThat(pending.trackedDeadlines()).isEqualTo(1);
  }

  @Test
  void ignoresResultsOfRequestsItDoesNotKnow() {
    CompletableFuture<InferenceResult> mine = pending.register("mine", Duration.ofSeconds(5));

    assertThat(pending.complete(result("someone-elses"))).isFalse();

    assertThat(mine).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
  }

  @Test
  void failsARequestWithResultTimeoutExceptionOnceItsDeadlinePasses() {
    // Given requests with a 2 s and a 10 s timeout
    CompletableFuture<InferenceResult> shortOne = pending.register("short", Duration.ofSeconds(2));
    CompletableFuture<InferenceResult> longOne = pending.register("long", Duration.ofSeconds(10));

    // When 1.999 s pass, nothing expires; at 2 s the short one does
    clock.advance(Duration.ofMillis(1_999));
    assertThat(pending.expire()).isZero();
    clock.advance(Duration.ofMillis(1));
    assertThat(pending.expire()).isEqualTo(1);

    // Then it failed with the request id and its timeout, and left the map; the other is untouched
    assertThatThrownBy(shortOne::join).isInstanceOf(CompletionException.class)
        .cause().isInstanceOfSatisfying(ResultTimeoutException.class, e -> {
          assertThat(e.requestId()).isEqualTo("short");
          assertThat(e.timeout()).isEqualTo(Duration.ofSeconds(2));
          assertThat(e).hasMessage("no result for request short within 2000 ms");
        });
    assertThat(longOne).isNotDone();
    assertThat(pending.isPending("short")).isFalse();
    assertThat(pending.size()).isEqualTo(1);
    assertThat(pending.trackedDeadlines()).isEqualTo(1);
  }

  @Test
  void aResultArrivingAfterTheTimeoutIsIgnored() {
    CompletableFuture<InferenceResult> future = pending.register("late", Duration.ofSeconds(1));
    clock.advance(Duration.ofSeconds(2));
    pending.expire();

    assertThat(pending.complete(result("late"))).isFalse();

    assertThat(future).isCompletedExceptionally();
  }

  @Test
  void aRequestAnsweredInTimeDoesNotExpireLater() {
    CompletableFuture<InferenceResult> future = pending.register("r", Duration.ofSeconds(1));
    pending.complete(result("r"));

    clock.advance(Duration.ofSeconds(5));

    assertThat(pending.expire()).isZero();
    assertThat(future).isCompleted().isNotCompletedExceptionally();
    assertThat(pending.trackedDeadlines()).isZero();
  }

  @Test
  void forgetsARequestTheCallerCancelled() {
    CompletableFuture<InferenceResult> future = pending.register("cancelled", Duration.ofSeconds(5));

    future.cancel(false);

    assertThat(pending.size()).isZero();
    assertThat(pending.trackedDeadlines()).isZero();
    assertThat(pending.complete(result("cancelled"))).isFalse();
  }

  @Test
  void refusesASecondPendingRequestWithTheSameId() {
    pending.register("dup", Duration.ofSeconds(5));

    assertThatThrownBy(() -> pending.register("dup", Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("request id 'dup' is already pending on this client; request ids must be unique");
    assertThat(pending.size()).isEqualTo(1);
  }

  @Test
  void anIdCanBeReusedOnceItsRequestEnded() {
    pending.register("again", Duration.ofSeconds(5));
    pending.complete(result("again"));

    CompletableFuture<InferenceResult> second = pending.register("again", Duration.ofSeconds(5));

    assertThat(second).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
  }

  @Test
  void failAllFailsEveryPendingRequestWithItsOwnError() {
    CompletableFuture<InferenceResult> a = pending.register("a", Duration.ofSeconds(5));
    CompletableFuture<InferenceResult> b = pending.register("b", Duration.ofSeconds(5));

    int failed = pending.failAll(id -> new ClientClosedException(id, "llm.results"));

    assertThat(failed).isEqualTo(2);
    assertThat(List.of(a, b)).allSatisfy(f -> assertThatThrownBy(f::join).cause()
        .isInstanceOf(ClientClosedException.class));
    assertThatThrownBy(a::join).cause().hasMessageContaining("request a ");
    assertThat(pending.size()).isZero();
    assertThat(pending.trackedDeadlines()).isZero();
  }

  @Test
  void completesFuturesOnTheCallbackExecutorNotTheCallersThread() {
    // Given completions that run only when the callback executor runs them
    PendingRequests onExecutor = new PendingRequests(clock, queued);
    CompletableFuture<InferenceResult> answered = onExecutor.register("answered", Duration.ofSeconds(5));
    CompletableFuture<InferenceResult> failed = onExecutor.register("failed", Duration.ofSeconds(5));
    CompletableFuture<InferenceResult> expired = onExecutor.register("expired", Duration.ofSeconds(1));

    // When a result, a send failure and a timeout happen
    onExecutor.complete(result("answered"));
    onExecutor.fail("failed", new IllegalStateException("broker down"));
    clock.advance(Duration.ofSeconds(1));
    onExecutor.expire();

    // Then none of the futures completed on this thread, and all do on the executor
    assertThat(List.of(answered, failed, expired)).noneMatch(CompletableFuture::isDone);
    assertThat(onExecutor.size()).isZero();
    callbacks.forEach(Runnable::run);
    assertThat(answered).isCompleted();
    assertThat(failed).isCompletedExceptionally();
    assertThat(expired).isCompletedExceptionally();
  }

  @Test
  void completesInlineOnceTheCallbackExecutorRefusesWork() {
    PendingRequests refusing = new PendingRequests(clock, r -> {
      throw new java.util.concurrent.RejectedExecutionException("shut down");
    });
    CompletableFuture<InferenceResult> future = refusing.register("r", Duration.ofSeconds(5));

    refusing.complete(result("r"));

    assertThat(future).isCompleted();
  }

  static InferenceResult result(String requestId) {
    return InferenceResult.newBuilder()
        .setRequestId(requestId)
        .setTeamId("team-a")
        .setStatus(ResultStatus.OK)
        .setUsage(new TokenUsage(10L, 5L, 0L, 0L, 0L, false))
        .build();
  }
}
