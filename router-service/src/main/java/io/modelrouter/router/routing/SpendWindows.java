package io.modelrouter.router.routing;

import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetWindows;
import io.modelrouter.schemas.budget.Spend;

/**
 * Where a {@link SpendLedger} keeps each window: its start and lift (the shared {@link BudgetWindows} rules), and
 * the usage settled in it. The only place that maps a {@link WindowKind} to the ledger's daily or monthly fields.
 */
public final class SpendWindows {
  private SpendWindows() {}

  public static final BudgetWindows<SpendLedger> WINDOWS = new BudgetWindows<>(
      new BudgetWindows.Slot<>(SpendLedger::getDailyStart, SpendLedger::setDailyStart, SpendLedger::getLiftedDaily,
          SpendLedger::setLiftedDaily),
      new BudgetWindows.Slot<>(SpendLedger::getMonthlyStart, SpendLedger::setMonthlyStart,
          SpendLedger::getLiftedMonthly, SpendLedger::setLiftedMonthly));

  /** Usage settled in the current window of this kind. */
  public static Spend settled(SpendLedger ledger, WindowKind kind) {
    return switch (kind) {
      case DAILY -> new Spend(ledger.getDailyInput(), ledger.getDailyOutput(), ledger.getDailyCost());
      case MONTHLY -> new Spend(ledger.getMonthlyInput(), ledger.getMonthlyOutput(), ledger.getMonthlyCost());
    };
  }

  public static void setSettled(SpendLedger ledger, WindowKind kind, Spend spend) {
    switch (kind) {
      case DAILY -> {
        ledger.setDailyInput(spend.inputTokens());
        ledger.setDailyOutput(spend.outputTokens());
        ledger.setDailyCost(spend.costMicros());
      }
      case MONTHLY -> {
        ledger.setMonthlyInput(spend.inputTokens());
        ledger.setMonthlyOutput(spend.outputTokens());
        ledger.setMonthlyCost(spend.costMicros());
      }
    }
  }

  /** What the team's requests in flight have reserved (not tied to a window: it counts against each). */
  public static Spend reserved(SpendLedger ledger) {
    return new Spend(ledger.getReservedInput(), ledger.getReservedOutput(), ledger.getReservedCost());
  }

  /** Settled usage in the current window of this kind plus the reservations in flight. */
  public static Spend committed(SpendLedger ledger, WindowKind kind) {
    return settled(ledger, kind).plus(reserved(ledger));
  }
}
