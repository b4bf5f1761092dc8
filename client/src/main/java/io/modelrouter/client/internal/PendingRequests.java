package io.modelrouter.client.internal;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.client.ResultTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The futures of requests whose result has not arrived yet, by request id, with their deadlines.
 *
 * <p>An entry leaves the map however its future ends (result, timeout, send failure, close, or the caller
 * cancelling it), so the map holds only what is really pending. Futures are completed on the callback executor, so
 * that a caller's dependent stages never run on (and stall) the thread reading {@code llm.results}, the producer's
 * I/O thread or the timeout ticker. Closing completes the rest on the closing thread.
 * Time comes from the injected clock; {@link #expire} is driven from outside (a ticker in production, the test
 * itself in unit tests).
 */
public final class PendingRequests {

  private record Pending(String requestId, CompletableFuture<InferenceResult> future, Deadline deadline,
      Duration timeout) {}

  /** Ordered by instant, then by registration (two requests may share a deadline). */
  private record Deadline(Instant at, long sequence) implements Comparable<Deadline> {
    @Override
    public int compareTo(Deadline other) {
      int byTime = at.compareTo(other.at);
      return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }
  }

  private final Map<String, Pending> byId = new ConcurrentHashMap<>();
  /** Earliest deadline first. An entry leaves as soon as its future ends, so no result is held until it expires. */
  private final ConcurrentSkipListMap<Deadline, Pending> deadlines = new ConcurrentSkipListMap<>();
  private final AtomicLong sequence = new AtomicLong();
  private final Clock clock;
  private final Executor callbacks;

  public PendingRequests(Clock clock, Executor callbacks) {
    this.clock = clock;
    this.callbacks = callbacks;
  }

  /**
   * Registers a request before it is sent, so that a result arriving at once is not missed.
   *
   * @throws IllegalArgumentException if a request with this id is already pending
   */
  public CompletableFuture<InferenceResult> register(String requestId, Duration timeout) {
    CompletableFuture<InferenceResult> future = new CompletableFuture<>();
    Deadline deadline = new Deadline(clock.instant().plus(timeout), sequence.incrementAndGet());
    Pending pending = new Pending(requestId, future, deadline, timeout);
    if (byId.putIfAbsent(requestId, pending) != null) {
      throw new IllegalArgumentException("request id '" + requestId + "' is already pending on this client; "
          + "request ids must be unique");
    }
    deadlines.put(deadline, pending);
    future.whenComplete((result, error) -> {
      byId.remove(requestId, pending);
      deadlines.remove(deadline, pending);
    });
    return future;
  }

  /**
   * Completes the request this result answers.
   *
   * @return false if no request with its id is pending here (another client's, or one that already timed out)
   */
  public boolean complete(InferenceResult result) {
    Pending pending = byId.remove(result.getRequestId());
    if (pending == null) {
      return false;
    }
    onCallbackThread(() -> pending.future().complete(result));
    return true;
  }

  /** Fails one pending request (its send failed), if it is still pending. */
  public void fail(String requestId, Throwable error) {
    Pending pending = byId.remove(requestId);
    if (pending != null) {
      onCallbackThread(() -> pending.future().completeExceptionally(error));
    }
  }

  /** Fails every request whose deadline is at or before now with a {@link ResultTimeoutException}. */
  public int expire() {
    Instant now = clock.instant();
    int expired = 0;
    Map.Entry<Deadline, Pending> head;
    while ((head = deadlines.firstEntry()) != null && !head.getKey().at().isAfter(now)) {
      Pending pending = head.getValue();
      deadlines.remove(head.getKey(), pending);
      if (byId.remove(pending.requestId(), pending)) {
        ResultTimeoutException timeout = new ResultTimeoutException(pending.requestId(), pending.timeout());
        onCallbackThread(() -> pending.future().completeExceptionally(timeout));
        expired++;
      }
    }
    return expired;
  }

  /** Fails every pending request with the error made for its id (the client is closing). */
  public int failAll(Function<String, Throwable> error) {
    int failed = 0;
    for (Pending pending : List.copyOf(byId.values())) {
      if (byId.remove(pending.requestId(), pending)) {
        pending.future().completeExceptionally(error.apply(pending.requestId()));
        failed++;
      }
    }
    return failed;
  }

  /** Completes on the callback executor; inline once that executor no longer accepts work (the client closed). */
  private void onCallbackThread(Runnable completion) {
    try {
      callbacks.execute(completion);
    } catch (RejectedExecutionException e) {
      completion.run();
    }
  }

  public boolean isPending(String requestId) {
    return byId.containsKey(requestId);
  }

  public int size() {
    return byId.size();
  }

  /** Deadlines still tracked: one per pending request. */
  int trackedDeadlines() {
    return deadlines.size();
  }
}
