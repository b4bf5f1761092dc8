package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetLedger;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.budget.BudgetWindows;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;

/** Small operations on a team's {@link BudgetLedger}, kept apart from the processor's flow. */
final class Ledgers {
  private Ledgers() {}

  static BudgetLedger empty(String team) {
    return BudgetLedger.newBuilder()
        .setTeamId(team)
        .setDailyStart(null)
        .setMonthlyStart(null)
        .setDailyState(BudgetState.NORMAL)
        .setMonthlyState(BudgetState.NORMAL)
        .setPaused(false)
        .setPauseReason("")
        .setPausedSince(null)
        .setLiftedDaily(null)
        .setLiftedMonthly(null)
        .setEmittedAlerts(new ArrayList<>())
        .setState(BudgetState.NORMAL)
        .setPolicyVersion(0)
        .setLastReset(null)
        .build();
  }

  /** Where a ledger keeps each window's start and lift; the shared rules of {@link BudgetWindows} apply. */
  static final BudgetWindows<BudgetLedger> WINDOWS = new BudgetWindows<>(
      new BudgetWindows.Slot<>(BudgetLedger::getDailyStart, BudgetLedger::setDailyStart, BudgetLedger::getLiftedDaily,
          BudgetLedger::setLiftedDaily),
      new BudgetWindows.Slot<>(BudgetLedger::getMonthlyStart, BudgetLedger::setMonthlyStart,
          BudgetLedger::getLiftedMonthly, BudgetLedger::setLiftedMonthly));

  static String start(BudgetLedger ledger, WindowKind kind) {
    return WINDOWS.start(ledger, kind);
  }

  /** The team's current window: where the reference time falls, but never earlier than one already reached. */
  static BudgetMath.Window current(BudgetLedger ledger, WindowKind kind, Instant reference, ZoneId zone) {
    BudgetMath.Window byTime = BudgetMath.window(kind, reference, zone);
    String reached = start(ledger, kind);
    if (reached != null && reached.compareTo(byTime.start()) > 0) {
      return BudgetMath.windowOf(kind, reached, zone);
    }
    return byTime;
  }

  /**
   * Makes {@code start} the current window of its kind if it is later. Alert ids of the previous window are kept
   * (late usage within the grace period may still cross its thresholds), older ones dropped; a lift from a manual
   * reset ends.
   */
  static void moveTo(BudgetLedger ledger, WindowKind kind, String start) {
    String previous = start(ledger, kind);
    if (!WINDOWS.advance(ledger, kind, start)) {
      return;
    }
    String prefix = ledger.getTeamId() + "|" + kind.name() + "|";
    ledger.getEmittedAlerts().removeIf(id -> id.startsWith(prefix) && !id.startsWith(prefix + start + "|")
        && (previous == null || !id.startsWith(prefix + previous + "|")));
  }

  /** A manual reset lifted the pause of the current window of this kind: it cannot pause again before the next. */
  static void lift(BudgetLedger ledger, WindowKind kind) {
    WINDOWS.lift(ledger, kind);
  }

  static boolean lifted(BudgetLedger ledger, WindowKind kind, String start) {
    return WINDOWS.lifted(ledger, kind, start);
  }

  static void setState(BudgetLedger ledger, WindowKind kind, BudgetState state) {
    switch (kind) {
      case DAILY -> ledger.setDailyState(state);
      case MONTHLY -> ledger.setMonthlyState(state);
    }
  }
}
