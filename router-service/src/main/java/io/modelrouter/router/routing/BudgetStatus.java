package io.modelrouter.router.routing;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;

/** A team's budget state as the router sees it (from {@code llm.budget.actions}); NORMAL when there is none. */
public record BudgetStatus(BudgetState state, String reason) {
  public static final BudgetStatus NORMAL = new BudgetStatus(BudgetState.NORMAL, "");

  public static BudgetStatus of(BudgetAction action) {
    if (action == null) {
      return NORMAL;
    }
    return new BudgetStatus(action.getState(), action.getReason());
  }
}
