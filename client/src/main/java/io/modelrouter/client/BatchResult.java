package io.modelrouter.client;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * What became of every request of a batch sent with {@link RouterClient#submitAll}, in the order the requests were
 * given. A request is either <em>answered</em> (an {@link InferenceResult} arrived: check its {@code status}, which
 * may be {@code OK}, {@code FAILED}, {@code REJECTED}, {@code PAUSED} or {@code EXPIRED}) or it has an
 * <em>error</em> on the client side: {@link ResultTimeoutException}, {@link SubmitFailedException} or
 * {@link ClientClosedException}. One request's error never hides the others' results.
 */
public final class BatchResult {

  /**
   * One request of the batch and what became of it: exactly one of {@code result} and {@code error} is set.
   *
   * @param request the request as sent (with the request id, creation time and deadline the client filled in)
   */
  public record Outcome(InferenceRequest request, InferenceResult result, Throwable error) {
    public Outcome {
      Objects.requireNonNull(request, "request");
      if ((result == null) == (error == null)) {
        throw new IllegalArgumentException("an outcome has a result or an error, not both or neither");
      }
    }

    /** The request's id (the one the client generated, if it had none). */
    public String requestId() {
      return request.getRequestId();
    }

    /** True when a result arrived (whatever its status). */
    public boolean answered() {
      return result != null;
    }
  }

  private final List<Outcome> outcomes;

  BatchResult(List<Outcome> outcomes) {
    this.outcomes = List.copyOf(outcomes);
  }

  /** Builds the outcomes from futures that have all ended. */
  static BatchResult of(List<InferenceRequest> requests, List<CompletableFuture<InferenceResult>> futures) {
    List<Outcome> outcomes = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      CompletableFuture<InferenceResult> future = futures.get(i);
      try {
        outcomes.add(new Outcome(requests.get(i), future.join(), null));
      } catch (CompletionException e) {
        outcomes.add(new Outcome(requests.get(i), null, e.getCause() != null ? e.getCause() : e));
      } catch (CancellationException e) {
        outcomes.add(new Outcome(requests.get(i), null, e));
      }
    }
    return new BatchResult(outcomes);
  }

  /** Every request's outcome, in the order of the submitted list. */
  public List<Outcome> outcomes() {
    return outcomes;
  }

  /** The results that arrived, in the order of the submitted list (of any status). */
  public List<InferenceResult> results() {
    return outcomes.stream().filter(Outcome::answered).map(Outcome::result).toList();
  }

  /** The requests without a result, with the client-side error; resubmit {@link Outcome#request()} to retry. */
  public List<Outcome> failures() {
    return outcomes.stream().filter(o -> !o.answered()).toList();
  }

  /** True when every request of the batch got a result. */
  public boolean allAnswered() {
    return outcomes.stream().allMatch(Outcome::answered);
  }

  /** The number of requests in the batch. */
  public int size() {
    return outcomes.size();
  }

  @Override
  public String toString() {
    long answered = outcomes.stream().filter(Outcome::answered).count();
    return "BatchResult[" + outcomes.size() + " requests, " + answered + " answered, " + (outcomes.size() - answered)
        + " failed]";
  }
}
