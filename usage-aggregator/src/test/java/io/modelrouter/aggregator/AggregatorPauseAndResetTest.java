package io.modelrouter.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pause held across windows, manual resets, and budget changes. */
class AggregatorPauseAndResetTest extends AggregatorFixture {
  @Test
  void aPauseHoldsAcrossMidnightUntilAManualReset() {
    dailyBudget(1, 1_000);
    use(1_100, DAY1);
    use(10, DAY1.plus(Duration.ofDays(1)));
    advance(Duration.ofDays(2));

    assertThat(states()).containsExactly(BudgetState.PAUSE);

    reset(DAY1.plus(Duration.ofDays(2)));
    List<BudgetAction> afterReset = actions.readValuesToList();
    assertThat(afterReset).extracting(BudgetAction::getState).containsExactly(BudgetState.NORMAL);
    assertThat(afterReset.get(0).getReason()).startsWith("after a manual reset (by admin)");
    assertThat(alerts.readValuesToList()).last().satisfies(a -> {
      assertThat(a.getPreviousState()).isEqualTo(BudgetState.PAUSE);
      assertThat(a.getMessage()).contains("was reset manually");
    });
  }

  @Test
  void aResetKeepsTheCurrentDayFromPausingAgainButTheNextDayMay() {
    dailyBudget(1, 1_000);
    use(1_100, DAY1);
    reset(DAY1.plusSeconds(10));
    assertThat(states()).containsExactly(BudgetState.PAUSE, BudgetState.RESTRICT);

    use(500, DAY1.plusSeconds(20));
    assertThat(states()).as("still over the limit today, but lifted: restricted, not paused").isEmpty();

    // midnight (by the wall clock) returns the team to NORMAL, then the new day's usage pauses it
    use(1_100, DAY1.plus(Duration.ofDays(1)));
    assertThat(states()).containsExactly(BudgetState.NORMAL, BudgetState.PAUSE);
  }

  @Test
  void aResetWhileNothingIsPausedLeavesTheHardCapInPlace() {
    // Given a team at 10% of its daily limit, reset anyway
    dailyBudget(1, 1_000);
    use(100, DAY1);
    reset(DAY1.plusSeconds(10));
    assertThat(states()).containsExactly(BudgetState.NORMAL);

    // When it then reaches the limit the same day
    use(1_000, DAY1.plusSeconds(20));

    // Then it is paused: the reset lifted nothing
    assertThat(states()).containsExactly(BudgetState.PAUSE);
  }

  @Test
  void aDailyResetKeepsTheMonthlyLimitsHardCap() {
    // Given a daily limit of 1,000 and a monthly one of 3,000 input tokens, both pausing
    BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(TEAM).setVersion(1).setTimeZone("Europe/Berlin")
        .setDaily(pausingAt(1_000)).setMonthly(pausingAt(3_000)).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), DAY1.minusSeconds(60));
    use(1_100, DAY1);
    assertThat(states()).containsExactly(BudgetState.PAUSE);

    // When the daily pause is reset and the team goes on to the monthly limit that day
    reset(DAY1.plusSeconds(10));
    assertThat(states()).containsExactly(BudgetState.NOTIFY);
    use(2_000, DAY1.plusSeconds(20));

    // Then the monthly limit pauses it
    List<BudgetAction> after = actions.readValuesToList();
    assertThat(after).extracting(BudgetAction::getState).containsExactly(BudgetState.PAUSE);
    assertThat(after.get(0).getWindow()).isEqualTo(WindowKind.MONTHLY);
  }

  @Test
  void raisingTheLimitLiftsARestrictionAtOnce() {
    dailyBudget(1, 1_000);
    use(850, DAY1);
    assertThat(states()).containsExactly(BudgetState.RESTRICT);

    dailyBudget(2, 10_000);

    List<BudgetAction> after = actions.readValuesToList();
    assertThat(after).extracting(BudgetAction::getState).containsExactly(BudgetState.NORMAL);
    assertThat(after.get(0).getPolicyVersion()).isEqualTo(2);
    assertThat(after.get(0).getReason()).startsWith("budget changed");
  }

  @Test
  void raisingTheLimitDoesNotLiftAPauseButARaiseThenAResetDoes() {
    // Given a paused team
    dailyBudget(1, 1_000);
    use(1_100, DAY1);
    assertThat(states()).containsExactly(BudgetState.PAUSE);

    // When its limit is raised, the pause holds (seed 000: until a manual reset)
    dailyBudget(2, 10_000);
    assertThat(states()).isEmpty();

    // Then a reset lifts it; the day is far below its new pause point, which keeps its hard cap
    reset(DAY1.plusSeconds(10));
    assertThat(states()).containsExactly(BudgetState.NORMAL);
    use(9_000, DAY1.plusSeconds(20));
    assertThat(states()).containsExactly(BudgetState.PAUSE);
  }

  @Test
  void aBudgetChangeRepublishesTheWindowsStateWithoutWaitingForUsage() {
    // Given a restricted day whose totals were published
    dailyBudget(1, 1_000);
    use(850, DAY1);
    advance(Duration.ofSeconds(1));
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getBudgetState())
        .isEqualTo(BudgetState.RESTRICT);

    // When the limit is raised tenfold and no usage follows
    dailyBudget(2, 10_000);
    advance(Duration.ofSeconds(1));

    // Then the day's totals are published again with the new state and share
    UsageTotals day = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22");
    assertThat(day.getBudgetState()).isEqualTo(BudgetState.NORMAL);
    assertThat(day.getFraction()).isEqualTo(0.085);
  }

  @Test
  void aResetRepublishesTheWindowsStateWithoutWaitingForUsage() {
    // Given a paused day whose totals were published
    dailyBudget(1, 1_000);
    use(1_100, DAY1);
    advance(Duration.ofSeconds(1));
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getBudgetState())
        .isEqualTo(BudgetState.PAUSE);

    // When the pause is reset and no usage follows
    reset(clock.plusSeconds(1));
    advance(Duration.ofSeconds(1));

    // Then the day's totals show it lifted: over the restrict threshold, no longer paused
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getBudgetState())
        .isEqualTo(BudgetState.RESTRICT);
  }
}
