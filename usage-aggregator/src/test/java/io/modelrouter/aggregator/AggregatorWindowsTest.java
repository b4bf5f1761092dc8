package io.modelrouter.aggregator;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Calendar windows in the team's time zone: midnight, month end, daylight saving, late and skewed usage. */
class AggregatorWindowsTest extends AggregatorFixture {
  @Test
  void theDayClocksGoForwardHas23HoursInTheTeamsTimeZone() {
    // Given Berlin's daylight-saving day, Sunday 28 March 2027: 00:00 CET (23:00Z) to 00:00 CEST (22:00Z)
    dailyBudget(1, 1_000);
    Instant start = Instant.parse("2027-03-27T23:00:00Z");
    Instant lastSecond = Instant.parse("2027-03-28T21:59:59Z");   // 23:59:59 CEST
    Instant nextDay = Instant.parse("2027-03-28T22:00:01Z");      // 00:00:01 CEST on the 29th

    // When the day starts, ends 23 hours later at 850 tokens, and the next day begins
    use(500, start);
    use(350, lastSecond);
    assertThat(states()).containsExactly(BudgetState.NOTIFY, BudgetState.RESTRICT);
    use(10, nextDay);

    // Then its window spans 23 hours, holds both calls, and the 29th starts at 22:00Z, back to NORMAL
    assertThat(states()).containsExactly(BudgetState.NORMAL);
    advance(Duration.ofSeconds(1));
    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    UsageTotals day = byKey.get("team-a|DAILY|2027-03-28");
    assertThat(day.getInputTokens()).isEqualTo(850);
    assertThat(day.getStartTime()).isEqualTo(start);
    assertThat(day.getEndTime()).isEqualTo(Instant.parse("2027-03-28T22:00:00Z"));
    assertThat(Duration.between(day.getStartTime(), day.getEndTime())).isEqualTo(Duration.ofHours(23));
    assertThat(byKey.get("team-a|DAILY|2027-03-29").getInputTokens()).isEqualTo(10);
    assertThat(byKey.get("team-a|DAILY|2027-03-29").getStartTime()).isEqualTo(Instant.parse("2027-03-28T22:00:00Z"));
  }

  @Test
  void midnightInTheTeamsTimeZoneStartsANewDayAndReturnsTheTeamToNormal() {
    dailyBudget(1, 1_000);
    Instant beforeMidnight = Instant.parse("2026-11-22T22:59:59Z");   // 23:59:59 in Berlin
    Instant afterMidnight = Instant.parse("2026-11-22T23:00:01Z");    // 00:00:01 on the 23rd in Berlin
    use(850, beforeMidnight);
    use(100, afterMidnight);

    // one event jumped from NORMAL to RESTRICT: one state change, one action (and two alerts)
    assertThat(states()).containsExactly(BudgetState.RESTRICT, BudgetState.NORMAL);
    advance(Duration.ofSeconds(1));
    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    assertThat(byKey.get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(850);
    assertThat(byKey.get("team-a|DAILY|2026-11-23").getInputTokens()).isEqualTo(100);
    assertThat(byKey.get("team-a|DAILY|2026-11-23").getStartTime()).isEqualTo(afterMidnight.minusSeconds(1));
  }

  @Test
  void aTeamWithoutTrafficReturnsToNormalAtMidnightByWallClock() {
    dailyBudget(1, 1_000);
    use(850, Instant.parse("2026-11-22T22:00:00Z"));
    assertThat(states()).containsExactly(BudgetState.RESTRICT);

    // The wall clock is at 22:00Z (23:00 in Berlin); two hours later it is past midnight in Berlin
    advance(Duration.ofHours(2));

    List<BudgetAction> after = actions.readValuesToList();
    assertThat(after).extracting(BudgetAction::getState).containsExactly(BudgetState.NORMAL);
    assertThat(after.get(0).getReason()).startsWith("new window");
  }

  @Test
  void monthEndFollowsTheTeamsTimeZoneNotUtc() {
    BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(TEAM).setVersion(1).setTimeZone("Europe/Berlin")
        .setDaily(null).setMonthly(WindowBudget.newBuilder().setInputTokens(1_000L).setOutputTokens(null)
            .setCostMicros(null).setAlertThresholds(List.of(0.5, 1.0)).setAction(BudgetActionType.RESTRICT)
            .setEscalations(List.of()).build()).setUpdatedAt(null).build();
    arrive(Instant.parse("2026-11-30T10:00:00Z"));
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), clock);
    use(1_000, Instant.parse("2026-11-30T22:30:00Z"));   // 23:30 on Nov 30 in Berlin
    use(10, Instant.parse("2026-11-30T23:30:00Z"));      // 00:30 on Dec 1 in Berlin, still Nov 30 in UTC

    assertThat(states()).containsExactly(BudgetState.RESTRICT, BudgetState.NORMAL);
    advance(Duration.ofSeconds(1));
    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    assertThat(byKey.get("team-a|MONTHLY|2026-11").getInputTokens()).isEqualTo(1_000);
    assertThat(byKey.get("team-a|MONTHLY|2026-12").getInputTokens()).isEqualTo(10);
  }

  @Test
  void lateUsageLandsInItsOwnWindowAndWithinGraceMayStillAlert() {
    dailyBudget(1, 1_000);
    Instant yesterdayEvening = Instant.parse("2026-11-22T22:00:00Z");
    use(400, yesterdayEvening);
    use(10, Instant.parse("2026-11-22T23:10:00Z"));        // the new day begins
    actions.readValuesToList();
    // A call of 23:30 on the 22nd, reported 40 minutes after midnight: within the hour of grace
    use(200, Instant.parse("2026-11-22T22:30:00Z"), Instant.parse("2026-11-22T23:40:00Z"), "session-1");

    assertThat(alerts.readValuesToList()).extracting(BudgetAlert::getAlertId)
        .containsExactly("team-a|DAILY|2026-11-22|0.5");
    assertThat(actions.readValuesToList()).as("yesterday's window no longer drives the state").isEmpty();
    advance(Duration.ofSeconds(1));
    UsageTotals yesterday = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22");
    assertThat(yesterday.getInputTokens()).isEqualTo(600);
    assertThat(yesterday.getLateEvents()).isZero();
  }

  @Test
  void usageLaterThanTheGraceIsStillCountedButRaisesNoAlert() {
    dailyBudget(1, 1_000);
    use(10, Instant.parse("2026-11-23T03:00:00Z"));
    use(900, Instant.parse("2026-11-22T20:00:00Z"), Instant.parse("2026-11-23T03:00:01Z"), "session-1");

    assertThat(alerts.readValuesToList()).isEmpty();
    advance(Duration.ofSeconds(1));
    UsageTotals yesterday = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22");
    assertThat(yesterday.getInputTokens()).isEqualTo(900);
    assertThat(yesterday.getLateEvents()).isEqualTo(1);
  }

  @Test
  void usageDatedDaysAheadByASkewedClockCountsTodayAndKeepsTheLimitEnforced() {
    // Given a team at 40% of its daily limit
    dailyBudget(1, 1_000);
    use(400, DAY1);

    // When a worker whose clock is two days ahead reports a call, and then the day goes on
    useFromSkewedClock(300, DAY1.plus(Duration.ofDays(2)));
    use(400, DAY1.plusSeconds(10));

    // Then all of it counts today and the limit pauses the team
    assertThat(states()).containsExactly(BudgetState.NOTIFY, BudgetState.PAUSE);
    advance(Duration.ofSeconds(1));
    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    assertThat(byKey.get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(1_100);
    assertThat(byKey.get("team-a|DAILY|2026-11-22").getLateEvents()).isZero();
    assertThat(byKey).doesNotContainKey("team-a|DAILY|2026-11-24");
  }

  @Test
  void usageAFewSecondsAheadLandsInItsOwnDayButTheNewDayWaitsForTheClock() {
    // Given a restricted team at 23:59:30 in Berlin
    dailyBudget(1, 1_000);
    use(900, Instant.parse("2026-11-22T22:59:30Z"));
    assertThat(states()).containsExactly(BudgetState.RESTRICT);

    // When a worker whose clock is 40 s ahead (within the tolerated skew) reports a call at 00:00:10
    useFromSkewedClock(50, Instant.parse("2026-11-22T23:00:10Z"));

    // Then the call is in the 23rd's totals, but the team stays in the 22nd (and restricted) until midnight
    assertThat(actions.isEmpty()).isTrue();
    advance(Duration.ofSeconds(1));
    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    assertThat(byKey.get("team-a|DAILY|2026-11-23").getInputTokens()).isEqualTo(50);
    assertThat(byKey.get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(900);
  }
}
