package io.modelrouter.router.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.schemas.budget.Spend;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Admission on its own, with ledgers written by hand: every expected verdict is worked out in the comments. */
class AdmissionTest {
  /** Daily: 10,000 output tokens, alert at 50%, RESTRICT at 80%, PAUSE at 100%. Monthly: 100,000 input, NOTIFY. */
  private static final BudgetPolicy POLICY = BudgetPolicy.newBuilder()
      .setTeamId("team-a")
      .setDaily(WindowBudget.newBuilder().setOutputTokens(10_000L).setInputTokens(null).setCostMicros(null)
          .setAlertThresholds(List.of(0.5)).setAction(BudgetActionType.PAUSE)
          .setEscalations(List.of(new Escalation(0.8, BudgetActionType.RESTRICT))).build())
      .setMonthly(WindowBudget.newBuilder().setInputTokens(100_000L).setOutputTokens(null).setCostMicros(null)
          .setAlertThresholds(List.of(0.9)).setAction(BudgetActionType.NOTIFY).setEscalations(List.of()).build())
      .build();

  private static SpendLedger ledger(long dailyOutput, long reservedOutput, int reservations) {
    SpendLedger ledger = SpendLedger.newBuilder().setTeamId("team-a").setDailyStart("2026-12-06")
        .setMonthlyStart("2026-12").setLiftedDaily(null).setLiftedMonthly(null).build();
    ledger.setDailyOutput(dailyOutput);
    ledger.setMonthlyOutput(dailyOutput);
    ledger.setReservedOutput(reservedOutput);
    ledger.setReservations(reservations);
    return ledger;
  }

  @Test
  void noPolicyAdmitsEverything() {
    assertThat(Admission.check(null, ledger(1_000_000, 0, 0), new Spend(1, 1, 1)))
        .isEqualTo(Admission.Verdict.WITHIN);
  }

  @Test
  void aRequestThatStaysBelowTheAlertIsNormal() {
    // 2,000 settled + 1,000 in flight + 1,000 asked = 4,000 of 10,000: 40%, below the 50% alert
    Admission.Verdict verdict = Admission.check(POLICY, ledger(2_000, 1_000, 1), new Spend(0, 1_000, 0));
    assertThat(verdict.state()).isEqualTo(BudgetState.NORMAL);
  }

  @Test
  void crossingTheAlertNotifiesAndCrossingTheEscalationRestricts() {
    // 4,000 + 0 + 2,000 = 60%: NOTIFY
    assertThat(Admission.check(POLICY, ledger(4_000, 0, 0), new Spend(0, 2_000, 0)).state())
        .isEqualTo(BudgetState.NOTIFY);
    // 6,000 + 1,000 + 1,500 = 85%: RESTRICT
    Admission.Verdict restrict = Admission.check(POLICY, ledger(6_000, 1_000, 1), new Spend(0, 1_500, 0));
    assertThat(restrict.state()).isEqualTo(BudgetState.RESTRICT);
    assertThat(restrict.reason()).isEqualTo("daily outputTokens would reach 85% of 10,000 with this request (settled "
        + "6,000 + in flight 1,000 + this request up to 1,500) → RESTRICT at admission");
  }

  @Test
  void theRequestThatCrossesThePausePointIsTheLastAdmittedAtWorstRestricted() {
    // 9,000 + 0 + 2,000 = 110%, but settled + in flight (90%) is below the pause point: admitted, restricted
    assertThat(Admission.check(POLICY, ledger(9_000, 0, 0), new Spend(0, 2_000, 0)).state())
        .isEqualTo(BudgetState.RESTRICT);
  }

  @Test
  void settledPlusInFlightAtThePausePointPausesNamingBothParts() {
    // 8,000 settled + 2,500 in flight = 105% of 10,000: nothing more is admitted, whatever it asks
    Admission.Verdict verdict = Admission.check(POLICY, ledger(8_000, 2_500, 3), new Spend(0, 1, 0));
    assertThat(verdict.state()).isEqualTo(BudgetState.PAUSE);
    assertThat(verdict.reason()).isEqualTo("daily outputTokens at 105% of 10,000 (settled 8,000 + in flight 2,500, 3 "
        + "request(s)) → PAUSE at admission");
  }

  @Test
  void aLiftedWindowDoesNotPauseAgainButKeepsItsRestrict() {
    SpendLedger ledger = ledger(12_000, 0, 0);
    SpendWindows.WINDOWS.lift(ledger, io.modelrouter.avro.WindowKind.DAILY);
    // 120% with the pause lifted: the worst other level at that fraction is RESTRICT (the 80% escalation)
    assertThat(Admission.check(POLICY, ledger, new Spend(0, 100, 0)).state()).isEqualTo(BudgetState.RESTRICT);
  }

  @Test
  void theWorstWindowWins() {
    // Daily 10% output; monthly 95,000 + 1,000 of 100,000 input = 96%: past the monthly 90% alert → NOTIFY
    SpendLedger ledger = ledger(1_000, 0, 0);
    ledger.setMonthlyInput(95_000);
    Admission.Verdict verdict = Admission.check(POLICY, ledger, new Spend(1_000, 0, 0));
    assertThat(verdict.state()).isEqualTo(BudgetState.NOTIFY);
    assertThat(verdict.reason()).startsWith("monthly inputTokens would reach 96% of 100,000");
  }
}
