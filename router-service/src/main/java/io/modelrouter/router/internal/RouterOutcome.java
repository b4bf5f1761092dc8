package io.modelrouter.router.internal;

import io.modelrouter.avro.InferenceResult;

/** What the route processor emits for a record; the topology sends each kind to its own sink. Never serialized. */
public sealed interface RouterOutcome {

  /** To {@code llm.requests.routed}: a {@code RoutedRequest}, already on the wire format. */
  record Routed(byte[] value) implements RouterOutcome {}

  /** To {@code llm.results}: a REJECTED or PAUSED answer. */
  record Answered(InferenceResult value) implements RouterOutcome {}

  /** To {@code llm.dlq}: the original bytes; the record carries the {@code dlq.*} headers. */
  record DeadLetter(byte[] value) implements RouterOutcome {}

  /** Keyed by something other than its team: repartitioned by team id, then routed. */
  record Rekey(String teamId, byte[] value) implements RouterOutcome {}
}
