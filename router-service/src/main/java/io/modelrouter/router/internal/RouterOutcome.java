package io.modelrouter.router.internal;

import io.modelrouter.avro.InferenceResult;

/** What the route processor emits for a record; the topology sends each kind to its own sink. Never serialized. */
public sealed interface RouterOutcome {

  /** To {@code llm.requests.routed}: a {@code RoutedRequest}, already on the wire format. */
  record Routed(byte[] value) implements RouterOutcome {}

  /** To {@code llm.results}: a REJECTED or PAUSED answer. */
  record Answered(InferenceResult value) implements RouterOutcome {}

  /**
   * A routed request that also reports implicit feedback on the session's previous request (the same prompt again,
   * or escalated by the caller): the routed request to {@code llm.requests.routed}, the feedback to
   * {@code llm.feedback}, in the same transaction.
   */
  record RoutedWithFeedback(byte[] value, io.modelrouter.avro.FeedbackEvent feedback) implements RouterOutcome {}

  /**
   * An answer from the response cache: the result to {@code llm.results} and, to {@code llm.usage}, an event with no
   * tokens and no cost that says what the reused answer cost (so that windows count the request and the saving).
   */
  record AnsweredFromCache(InferenceResult value, io.modelrouter.avro.UsageEvent usage) implements RouterOutcome {}

  /** To {@code llm.dlq}: the original bytes; the record carries the {@code dlq.*} headers. */
  record DeadLetter(byte[] value) implements RouterOutcome {}

  /** Keyed by something other than its team: repartitioned by team id, then routed. */
  record Rekey(String teamId, byte[] value) implements RouterOutcome {}
}
