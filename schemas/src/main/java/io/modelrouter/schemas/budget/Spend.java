package io.modelrouter.schemas.budget;

import io.modelrouter.avro.WindowBudget;

/** Tokens and cost spent (or reserved) in a window: what a budget's limits are set on. */
public record Spend(long inputTokens, long outputTokens, long costMicros) {
  public static final Spend ZERO = new Spend(0, 0, 0);

  public Spend plus(Spend other) {
    return new Spend(inputTokens + other.inputTokens, outputTokens + other.outputTokens,
        costMicros + other.costMicros);
  }

  /** This spend as a fraction of the budget's limits: the largest of used/limit over the limits that are set. */
  public BudgetMath.Fraction fractionOf(WindowBudget budget) {
    return BudgetMath.fraction(budget, inputTokens, outputTokens, costMicros);
  }

  /** The amount of one metric as {@link BudgetMath.Fraction#metric()} names it. */
  public long of(String metric) {
    return switch (metric) {
      case "inputTokens" -> inputTokens;
      case "outputTokens" -> outputTokens;
      case "costMicros" -> costMicros;
      default -> throw new IllegalArgumentException("unknown metric " + metric);
    };
  }
}
