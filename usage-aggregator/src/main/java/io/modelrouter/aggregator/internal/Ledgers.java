package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetLedger;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
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

  static String start(BudgetLedger ledger, WindowKind kind) {
    return kind == WindowKind.DAILY ? ledger.getDailyStart() : ledger.getMonthlyStart();
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
   * Makes {@code start} the current window of its kind. Alert ids of the previous window are kept (late usage within
   * the grace period may still cross its thresholds), older ones dropped; a lift from a manual reset ends.
   */
  static void moveTo(BudgetLedger ledger, WindowKind kind, String start) {
    String previous = start(ledger, kind);
    if (start.equals(previous)) {
      return;
    }
    if (kind == WindowKind.DAILY) {
      ledger.setDailyStart(start);
      if (!start.equals(ledger.getLiftedDaily())) {
        ledger.setLiftedDaily(null);
      }
    } else {
      ledger.setMonthlyStart(start);
      if (!start.equals(ledger.getLiftedMonthly())) {
        ledger.setLiftedMonthly(null);
      }
    }
    String prefix = ledger.getTeamId() + "|" + kind.name() + "|";
    ledger.getEmittedAlerts().removeIf(id -> id.startsWith(prefix) && !id.startsWith(prefix + start + "|")
        && (previous == null || !id.startsWith(prefix + previous + "|")));
  }

  /** A manual reset lifted the pause of the current window of this kind: it cannot pause again before the next. */
  static void lift(BudgetLedger ledger, WindowKind kind) {
    if (kind == WindowKind.DAILY) {
      ledger.setLiftedDaily(ledger.getDailyStart());
    } else {
      ledger.setLiftedMonthly(ledger.getMonthlyStart());
    }
  }

  static boolean lifted(BudgetLedger ledger, WindowKind kind, String start) {
    return start.equals(kind == WindowKind.DAILY ? ledger.getLiftedDaily() : ledger.getLiftedMonthly());
  }

  static void setState(BudgetLedger ledger, WindowKind kind, BudgetState state) {
    if (kind == WindowKind.DAILY) {
      ledger.setDailyState(state);
    } else {
      ledger.setMonthlyState(state);
    }
  }
}
