package io.modelrouter.router.internal;

import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Reservation;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.router.routing.SpendWindows;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.budget.Spend;
import java.time.Instant;
import java.time.ZoneId;

/**
 * Operations on a team's {@link SpendLedger}. Windows only move forward, by the router's clock
 * ({@link io.modelrouter.schemas.budget.BudgetWindows}): usage of an older window no longer counts for admission,
 * usage dated later counts in the current one. Reservations are not tied to a window: while in flight they count
 * against the current ones, which errs on the side of the limit.
 */
final class SpendLedgers {
  private SpendLedgers() {}

  static SpendLedger empty(String team) {
    return SpendLedger.newBuilder().setTeamId(team).setDailyStart(null).setMonthlyStart(null).setLiftedDaily(null)
        .setLiftedMonthly(null).build();
  }

  /** Moves the ledger to the windows of {@code at}, unless it already reached later ones; a new window starts at 0. */
  static void advance(SpendLedger ledger, Instant at, ZoneId zone) {
    for (WindowKind kind : WindowKind.values()) {
      if (SpendWindows.WINDOWS.advance(ledger, kind, BudgetMath.window(kind, at, zone).start())) {
        SpendWindows.setSettled(ledger, kind, Spend.ZERO);
      }
    }
  }

  /**
   * Counts a billed call in the windows it falls in, if they are the current ones. The current windows follow the
   * router's clock ({@code now}, as admission does), never the event's own time; an event dated after now (a
   * worker's clock ahead of this one) counts in the current windows, which errs on the side of the limit.
   */
  static void settle(SpendLedger ledger, UsageEvent event, BudgetPolicy policy, Instant now) {
    ZoneId zone = BudgetMath.zone(policy);
    advance(ledger, now, zone);
    Instant at = event.getEventTime().isAfter(now) ? now : event.getEventTime();
    Spend call = new Spend(event.getInputTokens(), event.getOutputTokens(), event.getCostMicros());
    for (WindowKind kind : WindowKind.values()) {
      if (BudgetMath.window(kind, at, zone).start().equals(SpendWindows.WINDOWS.start(ledger, kind))) {
        SpendWindows.setSettled(ledger, kind, SpendWindows.settled(ledger, kind).plus(call));
      }
    }
  }

  /** Samples before the learned output mean replaces the task type's prior in reservations. */
  static final int OUTPUT_SAMPLES_TRUSTED = 20;

  /**
   * Learns what the team's requests really write: a moving average of the output tokens of each answered request
   * (its final call), the plain mean over the first 20, then exponential with weight 1/20 so that it follows a
   * change of workload within a few dozen requests.
   */
  static void learnOutput(SpendLedger ledger, long outputTokens) {
    long samples = ledger.getOutputSamples() + 1;
    double weight = 1.0 / Math.min(samples, OUTPUT_SAMPLES_TRUSTED);
    ledger.setOutputMean(ledger.getOutputMean() + weight * (outputTokens - ledger.getOutputMean()));
    ledger.setOutputSamples(samples);
  }

  /** The output a new request is expected to write: the learned mean once trusted, else the prior. */
  static double expectedOutput(SpendLedger ledger, int prior) {
    return ledger.getOutputSamples() >= OUTPUT_SAMPLES_TRUSTED ? ledger.getOutputMean() : prior;
  }

  static void reserve(SpendLedger ledger, Reservation reservation) {
    ledger.setReservedInput(ledger.getReservedInput() + reservation.getInputTokens());
    ledger.setReservedOutput(ledger.getReservedOutput() + reservation.getOutputTokens());
    ledger.setReservedCost(ledger.getReservedCost() + reservation.getCostMicros());
    ledger.setReservations(ledger.getReservations() + 1);
  }

  static void release(SpendLedger ledger, Reservation reservation) {
    ledger.setReservedInput(Math.max(0, ledger.getReservedInput() - reservation.getInputTokens()));
    ledger.setReservedOutput(Math.max(0, ledger.getReservedOutput() - reservation.getOutputTokens()));
    ledger.setReservedCost(Math.max(0, ledger.getReservedCost() - reservation.getCostMicros()));
    ledger.setReservations(Math.max(0, ledger.getReservations() - 1));
  }

  /**
   * A manual reset lifts the pause of the current windows that are at their pause point, as admission sees them
   * (settled usage plus the reservations in flight). A window below it keeps its hard cap, so a reset sent while
   * nothing is paused lifts nothing, and a daily reset does not switch off the monthly limit.
   */
  static void lift(SpendLedger ledger, BudgetPolicy policy) {
    for (WindowKind kind : WindowKind.values()) {
      WindowBudget budget = BudgetMath.budget(policy, kind);
      if (budget == null) {
        continue;
      }
      BudgetMath.Fraction committed = SpendWindows.committed(ledger, kind).fractionOf(budget);
      if (BudgetMath.state(budget, committed.value(), false) == BudgetState.PAUSE) {
        SpendWindows.WINDOWS.lift(ledger, kind);
      }
    }
  }
}
