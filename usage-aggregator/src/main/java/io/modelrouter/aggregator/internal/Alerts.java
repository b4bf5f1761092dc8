package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetLedger;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import java.time.Instant;
import java.util.Locale;

/** Builds budget alerts. An alert's id is deterministic, so the same crossing always has the same id. */
final class Alerts {
  private Alerts() {}

  static String id(String team, BudgetMath.Window window, double threshold) {
    return team + "|" + window.kind().name() + "|" + window.start() + "|" + format(threshold);
  }

  static BudgetAlert crossed(String id, BudgetLedger ledger, BudgetMath.Window window, double threshold,
      BudgetMath.Fraction fraction, BudgetState before, Instant at) {
    String message = String.format(Locale.ROOT, "%s used %.0f%% of its %s %s budget (%,d of %,d) for %s, crossing %s%%;"
            + " budget state %s", ledger.getTeamId(), fraction.value() * 100, label(window.kind()), fraction.metric(),
        fraction.used(), fraction.limit(), window.start(), format(threshold * 100), ledger.getState());
    return BudgetAlert.newBuilder()
        .setAlertId(id)
        .setTeamId(ledger.getTeamId())
        .setWindow(window.kind())
        .setWindowStart(window.start())
        .setThreshold(threshold)
        .setFraction(fraction.value())
        .setMetric(fraction.metric() == null ? "" : fraction.metric())
        .setUsage(fraction.used())
        .setLimit(fraction.limit())
        .setState(ledger.getState())
        .setPreviousState(before)
        .setMessage(message)
        .setAt(at)
        .setPolicyVersion(ledger.getPolicyVersion())
        .build();
  }

  static BudgetAlert reset(String team, BudgetState before, BudgetAction action, Instant at) {
    return BudgetAlert.newBuilder()
        .setAlertId(team + "|reset|" + at.toEpochMilli())
        .setTeamId(team)
        .setWindow(action.getWindow() == null ? WindowKind.DAILY : action.getWindow())
        .setWindowStart(action.getWindowStart() == null ? "" : action.getWindowStart())
        .setThreshold(0)
        .setFraction(action.getFraction())
        .setMetric(action.getMetric() == null ? "" : action.getMetric())
        .setUsage(action.getUsage())
        .setLimit(action.getLimit())
        .setState(action.getState())
        .setPreviousState(before)
        .setMessage(team + " was reset manually: " + before + " → " + action.getState())
        .setAt(at)
        .setPolicyVersion(action.getPolicyVersion())
        .build();
  }

  private static String label(WindowKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private static String format(double value) {
    String text = String.format(Locale.ROOT, "%.4f", value).replaceAll("0+$", "");
    return text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
  }
}
