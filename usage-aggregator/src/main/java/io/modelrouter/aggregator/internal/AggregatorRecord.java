package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.UsageTotals;

/** What flows in and out of the budget processor. Never serialized: the topology maps them from and to topics. */
public final class AggregatorRecord {
  private AggregatorRecord() {}

  /** One input record: its source and its bytes (null for a tombstone). */
  public record In(Source source, byte[] value) {}

  public enum Source { USAGE, POLICY, ACTION }

  /** One output record. */
  public sealed interface Out {}

  /** To llm.usage.totals, keyed by the window's totals key. */
  public record Totals(String key, UsageTotals value) implements Out {}

  /** To llm.budget.actions, keyed by team. */
  public record Action(BudgetAction value) implements Out {}

  /** To llm.budget.alerts, keyed by team. */
  public record Alert(BudgetAlert value) implements Out {}

  /** To llm.dlq: the original bytes; the record carries the dlq.* headers. */
  public record DeadLetter(byte[] value) implements Out {}
}
