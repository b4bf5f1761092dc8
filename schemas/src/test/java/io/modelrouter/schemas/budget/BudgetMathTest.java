package io.modelrouter.schemas.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetMathTest {
  private static final WindowBudget DAILY = WindowBudget.newBuilder().setInputTokens(1_000L).setOutputTokens(400L)
      .setCostMicros(2_000_000L).setAlertThresholds(List.of(0.5, 0.8)).setAction(BudgetActionType.PAUSE)
      .setEscalations(List.of(new Escalation(0.9, BudgetActionType.RESTRICT))).build();

  @Test
  void theFractionIsTheLargestShareOverTheLimitsThatAreSet() {
    // input 300/1,000 = 30%, output 200/400 = 50%, cost 500,000/2,000,000 = 25%: output binds
    BudgetMath.Fraction fraction = BudgetMath.fraction(DAILY, 300, 200, 500_000);
    assertThat(fraction.metric()).isEqualTo("outputTokens");
    assertThat(fraction.value()).isEqualTo(0.5);
    assertThat(fraction.describe()).isEqualTo("outputTokens at 50% (200 of 400)");
    assertThat(BudgetMath.fraction(null, 1, 1, 1)).isEqualTo(BudgetMath.Fraction.NONE);
  }

  @Test
  void theStateIsTheMostSevereLevelReached() {
    assertThat(BudgetMath.state(DAILY, 0.49, false)).isEqualTo(BudgetState.NORMAL);
    assertThat(BudgetMath.state(DAILY, 0.5, false)).isEqualTo(BudgetState.NOTIFY);
    assertThat(BudgetMath.state(DAILY, 0.9, false)).isEqualTo(BudgetState.RESTRICT);
    assertThat(BudgetMath.state(DAILY, 1.0, false)).isEqualTo(BudgetState.PAUSE);
    assertThat(BudgetMath.state(DAILY, 1.0, true)).as("a lifted pause keeps the restrict")
        .isEqualTo(BudgetState.RESTRICT);
    assertThat(BudgetMath.state(null, 5.0, false)).isEqualTo(BudgetState.NORMAL);
  }

  @Test
  void thresholdsAndTheFractionForAState() {
    assertThat(BudgetMath.thresholds(DAILY)).containsExactly(0.5, 0.8, 0.9, 1.0);
    assertThat(BudgetMath.fractionFor(DAILY, BudgetState.RESTRICT, false)).isEqualTo(0.9);
    assertThat(BudgetMath.fractionFor(DAILY, BudgetState.PAUSE, true)).isInfinite();
  }

  @Test
  void windowsAreCalendarDaysAndMonthsInThePolicysZone() {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    // 23:30 UTC on 5 December is 00:30 on 6 December in Berlin (UTC+1)
    Instant at = Instant.parse("2026-12-05T23:30:00Z");
    BudgetMath.Window day = BudgetMath.window(WindowKind.DAILY, at, berlin);
    assertThat(day.start()).isEqualTo("2026-12-06");
    assertThat(day.from()).isEqualTo(Instant.parse("2026-12-05T23:00:00Z"));
    assertThat(day.until()).isEqualTo(Instant.parse("2026-12-06T23:00:00Z"));
    assertThat(BudgetMath.window(WindowKind.DAILY, at, ZoneOffset.UTC).start()).isEqualTo("2026-12-05");
    BudgetMath.Window month = BudgetMath.window(WindowKind.MONTHLY, Instant.parse("2026-11-30T23:30:00Z"), berlin);
    assertThat(month.start()).isEqualTo("2026-12");
    assertThat(BudgetMath.windowOf(WindowKind.DAILY, "2026-12-06", berlin)).isEqualTo(day);
    assertThat(BudgetMath.totalsKey("team-a", day)).isEqualTo("team-a|DAILY|2026-12-06");
  }

  @Test
  void aMissingOrUnknownZoneIsUtc() {
    assertThat(BudgetMath.zone(null)).isEqualTo(ZoneOffset.UTC);
    BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId("t").setTimeZone("Mars/Olympus").build();
    assertThat(BudgetMath.zone(policy)).isEqualTo(ZoneOffset.UTC);
  }
}
