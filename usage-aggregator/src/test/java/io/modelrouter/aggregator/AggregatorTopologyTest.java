package io.modelrouter.aggregator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The aggregator with explicit event times in Europe/Berlin (UTC+1 in November and December). */
class AggregatorTopologyTest {
  /** 2026-11-22 10:00 in Berlin. */
  private static final Instant DAY1 = Instant.parse("2026-11-22T09:00:00Z");
  private static final String TEAM = "team-a";

  private final Topics topics = Topics.create(TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://aggregator")).client(new InMemorySchemaRegistryClient()).build());
  private final AtomicInteger calls = new AtomicInteger();
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> usage;
  private TestInputTopic<String, byte[]> policies;
  private TestInputTopic<String, byte[]> actionsIn;
  private TestOutputTopic<String, BudgetAction> actions;
  private TestOutputTopic<String, BudgetAlert> alerts;
  private TestOutputTopic<String, UsageTotals> totals;
  private TestOutputTopic<byte[], byte[]> dlq;
  /** The driver's wall clock: the aggregator's own clock, which records may not run ahead of. */
  private Instant clock = DAY1;

  @BeforeEach
  void start() {
    AggregatorConfig config = new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "PT1H",
        "aggregator.totals.interval", "1000", "aggregator.rollover.check", "30000")));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aggregator-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(AggregatorTopology.buildTopology(config, topics), props, DAY1);
    usage = driver.createInputTopic(topics.usage().name(), new StringSerializer(), new ByteArraySerializer());
    policies = driver.createInputTopic(topics.budgetPolicies().name(), new StringSerializer(), new ByteArraySerializer());
    actionsIn = driver.createInputTopic(topics.budgetActions().name(), new StringSerializer(), new ByteArraySerializer());
    actions = driver.createOutputTopic(topics.budgetActions().name(), new StringDeserializer(),
        topics.budgetActions().valueSerde().deserializer());
    alerts = driver.createOutputTopic(topics.budgetAlerts().name(), new StringDeserializer(),
        topics.budgetAlerts().valueSerde().deserializer());
    totals = driver.createOutputTopic(topics.usageTotals().name(), new StringDeserializer(),
        topics.usageTotals().valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.dlq().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  /** Daily: 1,000 input tokens, alerts at 50/80/100%, restrict at 80%, pause at the limit. */
  private void dailyBudget(long version, long inputLimit) {
    BudgetPolicy policy = BudgetPolicy.newBuilder()
        .setTeamId(TEAM).setVersion(version).setTimeZone("Europe/Berlin")
        .setDaily(WindowBudget.newBuilder().setInputTokens(inputLimit).setOutputTokens(null).setCostMicros(null)
            .setAlertThresholds(List.of(0.5, 0.8, 1.0)).setAction(BudgetActionType.PAUSE)
            .setEscalations(List.of(new Escalation(0.8, BudgetActionType.RESTRICT))).build())
        .setMonthly(null).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), DAY1.minusSeconds(60));
  }

  private void budget(WindowBudget daily, WindowBudget monthly) {
    BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(TEAM).setVersion(1).setTimeZone("Europe/Berlin")
        .setDaily(daily).setMonthly(monthly).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), DAY1.minusSeconds(60));
  }

  /** Input tokens limited to {@code limit}, alerts at 50% and the limit, pause at the limit. */
  private static WindowBudget pausingAt(long limit) {
    return WindowBudget.newBuilder().setInputTokens(limit).setOutputTokens(null).setCostMicros(null)
        .setAlertThresholds(List.of(0.5, 1.0)).setAction(BudgetActionType.PAUSE).setEscalations(List.of()).build();
  }

  private void use(long inputTokens, Instant eventTime) {
    use(inputTokens, eventTime, eventTime, "session-1");
  }

  /** A usage event written at {@code arrival} by a worker whose clock agrees with the aggregator's. */
  private void use(long inputTokens, Instant eventTime, Instant arrival, String session) {
    arrive(arrival);
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, eventTime, session)), arrival);
  }

  /** A usage event dated and written by a worker whose clock is ahead: the record's timestamp is that clock too. */
  private void useFromSkewedClock(long inputTokens, Instant workerClock) {
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, workerClock, "session-1")), workerClock);
  }

  private UsageEvent event(long inputTokens, Instant eventTime, String session) {
    return event(inputTokens, 10, inputTokens, eventTime, session);
  }

  /** A call that billed these tokens and micro-dollars, written when it happened. */
  private void use(long inputTokens, long outputTokens, long costMicros, Instant at) {
    arrive(at);
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, outputTokens, costMicros, at,
        "session-1")), at);
  }

  private UsageEvent event(long inputTokens, long outputTokens, long costMicros, Instant eventTime, String session) {
    int call = calls.incrementAndGet();
    return UsageEvent.newBuilder()
        .setEventId("r-" + call + "#1").setRequestId("r-" + call).setTeamId(TEAM).setPipelineId(null)
        .setSessionId(session).setTaskType("codeReview").setProvider("anthropic").setModel("claude-haiku-4-5")
        .setInputTokens(inputTokens).setOutputTokens(outputTokens).setCachedInputTokens(0).setEstimated(false)
        .setCostMicros(costMicros).setCreditsMicros(costMicros * 400).setLatencyMs(100)
        .setOutcome(AttemptOutcome.OK).setFinalCall(true).setSimulated(false).setEventTime(eventTime).build();
  }

  /** Moves the aggregator's wall clock to {@code at}, if it is later (punctuations due on the way run). */
  private void arrive(Instant at) {
    if (at.isAfter(clock)) {
      advance(Duration.between(clock, at));
    }
  }

  private void advance(Duration duration) {
    driver.advanceWallClockTime(duration);
    clock = clock.plus(duration);
  }

  private List<BudgetState> states() {
    return actions.readValuesToList().stream().map(BudgetAction::getState).toList();
  }

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

  private void reset(Instant at) {
    BudgetAction reset = BudgetAction.newBuilder().setTeamId(TEAM).setState(BudgetState.NORMAL).setWindow(null)
        .setWindowStart(null).setMetric(null).setUsage(0).setLimit(0).setFraction(0)
        .setDailyState(BudgetState.NORMAL).setMonthlyState(BudgetState.NORMAL).setReason("by admin").setSince(at)
        .setPolicyVersion(1).setManualReset(true).build();
    arrive(at);
    actionsIn.pipeInput(TEAM, topics.budgetActions().serializeValue(reset), at);
  }

}
