package io.modelrouter.aggregator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The aggregator's thresholds, limits of each kind, totals and bad records, with explicit event times. */
class AggregatorTopologyTest extends AggregatorFixture {
  @Test
  void eachThresholdCrossedEmitsOneAlertAndEachStateChangeOneAction() {
    dailyBudget(1, 1_000);
    use(400, DAY1);
    use(200, DAY1.plusSeconds(1));
    use(250, DAY1.plusSeconds(2));
    use(10, DAY1.plusSeconds(3));
    use(200, DAY1.plusSeconds(4));

    assertThat(alerts.readValuesToList()).extracting(BudgetAlert::getThreshold).containsExactly(0.5, 0.8, 1.0);
    List<BudgetAction> published = actions.readValuesToList();
    assertThat(published).extracting(BudgetAction::getState)
        .containsExactly(BudgetState.NOTIFY, BudgetState.RESTRICT, BudgetState.PAUSE);
    BudgetAction pause = published.get(2);
    assertThat(pause.getWindow()).isEqualTo(WindowKind.DAILY);
    assertThat(pause.getWindowStart()).isEqualTo("2026-11-22");
    assertThat(pause.getMetric()).isEqualTo("inputTokens");
    assertThat(pause.getUsage()).isEqualTo(1_060);
    assertThat(pause.getLimit()).isEqualTo(1_000);
    assertThat(pause.getReason()).contains("holds until a manual reset");
    assertThat(pause.getPolicyVersion()).isEqualTo(1);
  }

  @Test
  void anAlertNamesTheThresholdUsageAndStates() {
    dailyBudget(1, 1_000);
    use(850, DAY1);

    List<BudgetAlert> emitted = alerts.readValuesToList();
    assertThat(emitted).hasSize(2);
    BudgetAlert eighty = emitted.get(1);
    assertThat(eighty.getAlertId()).isEqualTo("team-a|DAILY|2026-11-22|0.8");
    assertThat(eighty.getFraction()).isEqualTo(0.85);
    assertThat(eighty.getUsage()).isEqualTo(850);
    assertThat(eighty.getState()).isEqualTo(BudgetState.RESTRICT);
    assertThat(eighty.getPreviousState()).isEqualTo(BudgetState.NORMAL);
    assertThat(eighty.getMessage()).contains("85% of its daily inputTokens budget (850 of 1,000)");
  }

  @Test
  void anOutputTokenLimitAlertsAndPausesOnOutputAlone() {
    // Given a daily limit of 1,000 output tokens and no input limit
    budget(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(1_000L).setCostMicros(null)
        .setAlertThresholds(List.of(0.5, 1.0)).setAction(BudgetActionType.PAUSE).setEscalations(List.of()).build(),
        null);

    // When calls with a large input but a small output add up, then one crosses the output limit
    use(1_000_000, 400, 1, DAY1);
    assertThat(states()).as("input is not limited: 40% of the output limit").isEmpty();
    use(1_000_000, 200, 1, DAY1.plusSeconds(1));
    use(10, 450, 1, DAY1.plusSeconds(2));

    // Then the output share alone drove NOTIFY and PAUSE, and the alerts name the output metric
    List<BudgetAction> published = actions.readValuesToList();
    assertThat(published).extracting(BudgetAction::getState).containsExactly(BudgetState.NOTIFY, BudgetState.PAUSE);
    assertThat(published.get(1).getMetric()).isEqualTo("outputTokens");
    assertThat(published.get(1).getUsage()).isEqualTo(1_050);
    assertThat(published.get(1).getLimit()).isEqualTo(1_000);
    assertThat(alerts.readValuesToList()).extracting(BudgetAlert::getMetric, BudgetAlert::getThreshold)
        .containsExactly(tuple("outputTokens", 0.5), tuple("outputTokens", 1.0));
  }

  @Test
  void aMonthlyCostLimitRestrictsWhenTheCostShareIsTheLargest() {
    // Given $1 a month, restricting at the limit, next to a generous monthly input limit
    budget(null, WindowBudget.newBuilder().setInputTokens(1_000_000L).setOutputTokens(null)
        .setCostMicros(1_000_000L).setAlertThresholds(List.of(0.8, 1.0)).setAction(BudgetActionType.RESTRICT)
        .setEscalations(List.of()).build());

    // When calls cost 90 cents (9% of the input limit), then 20 more cents
    use(90_000, 100, 900_000, DAY1);
    use(10_000, 100, 200_000, DAY1.plus(Duration.ofDays(3)));

    // Then cost binds: NOTIFY at 90%, RESTRICT at 110%, both saying costMicros
    List<BudgetAction> published = actions.readValuesToList();
    assertThat(published).extracting(BudgetAction::getState)
        .containsExactly(BudgetState.NOTIFY, BudgetState.RESTRICT);
    assertThat(published).extracting(BudgetAction::getMetric).containsOnly("costMicros");
    assertThat(published.get(1).getWindow()).isEqualTo(WindowKind.MONTHLY);
    assertThat(published.get(1).getUsage()).isEqualTo(1_100_000);
    assertThat(published.get(1).getFraction()).isCloseTo(1.1, within(1e-9));
    advance(Duration.ofSeconds(1));
    UsageTotals month = totals.readKeyValuesToMap().get("team-a|MONTHLY|2026-11");
    assertThat(month.getCostMicros()).isEqualTo(1_100_000);
    assertThat(month.getBudgetState()).isEqualTo(BudgetState.RESTRICT);
  }

  @Test
  void totalsArePublishedOnTheIntervalWithBreakdowns() {
    dailyBudget(1, 1_000);
    use(100, DAY1, DAY1, "session-1");
    use(200, DAY1.plusMillis(500), DAY1.plusMillis(500), "session-2");
    assertThat(totals.isEmpty()).isTrue();

    advance(Duration.ofSeconds(1));

    Map<String, UsageTotals> byKey = totals.readKeyValuesToMap();
    assertThat(byKey).containsOnlyKeys("team-a|DAILY|2026-11-22", "team-a|MONTHLY|2026-11");
    UsageTotals day = byKey.get("team-a|DAILY|2026-11-22");
    assertThat(day.getInputTokens()).isEqualTo(300);
    assertThat(day.getOutputTokens()).isEqualTo(20);
    assertThat(day.getCostMicros()).isEqualTo(300);
    assertThat(day.getCalls()).isEqualTo(2);
    assertThat(day.getRequests()).isEqualTo(2);
    assertThat(day.getTimeZone()).isEqualTo("Europe/Berlin");
    assertThat(day.getFraction()).isEqualTo(0.3);
    assertThat(day.getByModel().get("claude-haiku-4-5").getInputTokens()).isEqualTo(300);
    assertThat(day.getByTaskType().get("codeReview").getCalls()).isEqualTo(2);
    assertThat(day.getBySession()).containsOnlyKeys("session-1|claude-haiku-4-5", "session-2|claude-haiku-4-5");
    assertThat(byKey.get("team-a|MONTHLY|2026-11").getBySession()).isEmpty();
  }

  @Test
  void aDayIsBrokenDownByLocalHourAndModelInTheTeamsTimeZone() {
    // Given a team in India (UTC+05:30): its hours start at half past in UTC
    BudgetPolicy india = BudgetPolicy.newBuilder()
        .setTeamId(TEAM).setVersion(1).setTimeZone("Asia/Kolkata")
        .setDaily(WindowBudget.newBuilder().setInputTokens(1_000_000L).setOutputTokens(null).setCostMicros(null)
            .setAlertThresholds(List.of(1.0)).setAction(BudgetActionType.NOTIFY).setEscalations(List.of()).build())
        .setMonthly(null).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(india), DAY1.minusSeconds(60));

    // When calls land at 14:30 and 14:59 IST (09:00Z, 09:29Z) and at 15:00 IST (09:30Z)
    use(100, DAY1, DAY1, "session-1");
    use(200, DAY1.plus(Duration.ofMinutes(29)), DAY1.plus(Duration.ofMinutes(29)), "session-1");
    use(400, DAY1.plus(Duration.ofMinutes(30)), DAY1.plus(Duration.ofMinutes(30)), "session-2");
    advance(Duration.ofSeconds(1));

    // Then the day (22 November in India) has two hours, 14:00 and 15:00 IST, named by their start in UTC
    Map<String, UsageTotals> published = totals.readKeyValuesToMap();
    Map<String, UsageBreakdown> hours = published.get("team-a|DAILY|2026-11-22").getByHour();
    assertThat(hours).containsOnlyKeys("2026-11-22T08:30:00Z|claude-haiku-4-5", "2026-11-22T09:30:00Z|claude-haiku-4-5");
    assertThat(hours.get("2026-11-22T08:30:00Z|claude-haiku-4-5").getInputTokens()).isEqualTo(300);
    assertThat(hours.get("2026-11-22T08:30:00Z|claude-haiku-4-5").getCalls()).isEqualTo(2);
    assertThat(hours.get("2026-11-22T09:30:00Z|claude-haiku-4-5").getInputTokens()).isEqualTo(400);
    assertThat(published.get("team-a|MONTHLY|2026-11").getByHour()).isEmpty();
    // and the sessions are still their own table
    assertThat(published.get("team-a|DAILY|2026-11-22").getBySession())
        .containsOnlyKeys("session-1|claude-haiku-4-5", "session-2|claude-haiku-4-5");
  }

  @Test
  void anAnswerFromTheResponseCacheCountsARequestAndItsSavingButNoCallTokensOrCost() {
    dailyBudget(1, 1_000);
    use(100, DAY1);
    UsageEvent cached = event(0, DAY1.plusSeconds(1), "session-1");
    cached.setEventId("req-cached#response-cache");
    cached.setOutputTokens(0);
    cached.setCostMicros(0);
    cached.setCreditsMicros(0);
    cached.setResponseCacheSavedMicros(4_321L);
    usage.pipeInput(TEAM, topics.usage().serializeValue(cached), DAY1.plusSeconds(1));
    advance(Duration.ofSeconds(1));

    UsageTotals day = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22");
    assertThat(day.getRequests()).isEqualTo(2);
    assertThat(day.getCalls()).isEqualTo(1);
    assertThat(day.getCachedResponses()).isEqualTo(1);
    assertThat(day.getResponseCacheSavedMicros()).isEqualTo(4_321);
    assertThat(day.getInputTokens()).isEqualTo(100);
    assertThat(day.getByModel().get("claude-haiku-4-5").getCalls()).isEqualTo(1);
    assertThat(day.getByHour().values().stream().mapToLong(UsageBreakdown::getCalls).sum()).isEqualTo(1);
  }

  @Test
  void callsThroughABatchApiAreCountedWithWhatTheBatchPriceSaved() {
    dailyBudget(1, 1_000);
    use(100, DAY1);
    UsageEvent batched = event(200, DAY1.plusSeconds(1), "session-1");
    batched.setEventId("req-batched#batch");
    batched.setCostMicros(300);
    batched.setBatchSavedMicros(300);
    usage.pipeInput(TEAM, topics.usage().serializeValue(batched), DAY1.plusSeconds(1));
    advance(Duration.ofSeconds(1));

    UsageTotals day = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22");
    assertThat(day.getCalls()).isEqualTo(2);
    assertThat(day.getBatchCalls()).isEqualTo(1);
    assertThat(day.getBatchSavedMicros()).isEqualTo(300);
    assertThat(day.getInputTokens()).isEqualTo(300);
  }

  @Test
  void shadowUsageCountsAgainstTheBudgetOnlyWhenItsPolicySaysIncludeShadow() {
    dailyBudget(1, 1_000);
    use(100, DAY1);
    UsageEvent shadow = event(700, DAY1.plusSeconds(1), "session-1");
    shadow.setShadow(true);
    usage.pipeInput(TEAM, topics.usage().serializeValue(shadow), DAY1.plusSeconds(1));
    advance(Duration.ofSeconds(1));
    // excluded: 100 of 1,000, no alert
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(100);
    assertThat(alerts.isEmpty()).isTrue();

    // the same budget with includeShadow: the next shadow call's 700 count (800 of 1,000: alerts at 50% and 80%)
    BudgetPolicy including = BudgetPolicy.newBuilder()
        .setTeamId(TEAM).setVersion(2).setTimeZone("Europe/Berlin").setIncludeShadow(true)
        .setDaily(WindowBudget.newBuilder().setInputTokens(1_000L).setOutputTokens(null).setCostMicros(null)
            .setAlertThresholds(List.of(0.5, 0.8, 1.0)).setAction(BudgetActionType.PAUSE).setEscalations(List.of())
            .build())
        .setMonthly(null).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(including), DAY1.plusSeconds(2));
    UsageEvent counted = event(700, DAY1.plusSeconds(3), "session-1");
    counted.setShadow(true);
    usage.pipeInput(TEAM, topics.usage().serializeValue(counted), DAY1.plusSeconds(3));
    advance(Duration.ofSeconds(1));
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(800);
    assertThat(alerts.readValuesToList()).extracting(BudgetAlert::getThreshold).containsExactly(0.5, 0.8);
  }

  @Test
  void aDayKeepsAtMost500SessionsAndCountsTheRestUnderOther() {
    // Given 502 sessions in one day, the first one used twice
    use(1, DAY1, DAY1, "session-0");
    for (int i = 0; i < 502; i++) {
      use(10, DAY1.plusMillis(i + 1), DAY1.plusMillis(i + 1), "session-" + i);
    }

    advance(Duration.ofSeconds(1));

    // Then the first 500 have their own line, the last two share "(other)", and nothing is lost
    Map<String, UsageBreakdown> sessions = totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getBySession();
    assertThat(sessions).hasSize(501).containsKey("(other)|claude-haiku-4-5")
        .doesNotContainKeys("session-500|claude-haiku-4-5", "session-501|claude-haiku-4-5");
    assertThat(sessions.get("session-0|claude-haiku-4-5").getInputTokens()).isEqualTo(11);
    assertThat(sessions.get("session-499|claude-haiku-4-5").getCalls()).isEqualTo(1);
    assertThat(sessions.get("(other)|claude-haiku-4-5").getInputTokens()).isEqualTo(20);
    assertThat(sessions.values().stream().mapToLong(UsageBreakdown::getInputTokens).sum()).isEqualTo(5_021);
  }

  @Test
  void aTeamWithoutABudgetIsCountedAndStaysNormal() {
    use(1_000_000, DAY1);
    advance(Duration.ofSeconds(1));
    assertThat(actions.isEmpty()).isTrue();
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(1_000_000);
  }

  @Test
  void aRecordThatIsNotUsageGoesToTheDlqAndTheStreamGoesOn() {
    usage.pipeInput(TEAM, new byte[] {42, 1, 2, 3}, DAY1);
    use(10, DAY1);

    assertThat(DeadLetters.header(dlq.readRecord().headers(), DeadLetters.SERVICE)).isEqualTo("usage-aggregator");
    advance(Duration.ofSeconds(1));
    assertThat(totals.readKeyValuesToMap()).containsKey("team-a|DAILY|2026-11-22");
  }

  @Test
  void aUsageRecordOverTheLimitGoesToTheDlqNamingTheSettingAndIsNotCounted() {
    UsageEvent huge = event(1_000, DAY1, "s".repeat(70_000));
    usage.pipeInput(TEAM, topics.usage().serializeValue(huge), DAY1);
    use(10, DAY1);

    var letter = dlq.readRecord();
    assertThat(DeadLetters.header(letter.headers(), DeadLetters.ERROR_CLASS))
        .isEqualTo("io.modelrouter.schemas.serde.OversizedRecordException");
    assertThat(DeadLetters.header(letter.headers(), DeadLetters.ERROR_MESSAGE))
        .contains("more than this consumer's limit of 65,536 bytes (aggregator.max.usage.bytes)");
    advance(Duration.ofSeconds(1));
    assertThat(totals.readKeyValuesToMap().get("team-a|DAILY|2026-11-22").getInputTokens()).isEqualTo(10);
  }

  /** Run with {@code -Dsnapshots.update=true} to rewrite the snapshot after an intended change. */
  @Test
  void topologyMatchesTheSnapshot() throws IOException {
    AggregatorConfig config = new AggregatorConfig(Settings.of(Map.of()));
    String actual = AggregatorTopology.buildTopology(config, topics).describe().toString().strip() + "\n";
    Path snapshot = Path.of("src/test/resources/aggregator-topology.txt");
    if (Boolean.getBoolean("snapshots.update")) {
      Files.writeString(snapshot, actual);
    }
    assertThat(actual).as("the topology changed: check store and topic names, then rerun with "
        + "-Dsnapshots.update=true").isEqualTo(Files.readString(snapshot));
  }
}
