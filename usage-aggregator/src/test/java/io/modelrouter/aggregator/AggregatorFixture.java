package io.modelrouter.aggregator;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The aggregator's topology on a TopologyTestDriver, with explicit event times in Europe/Berlin (UTC+1 in November
 * and December) and helpers that write usage, budgets and resets the way the real writers do.
 */
abstract class AggregatorFixture {
  /** 2026-11-22 10:00 in Berlin. */
  static final Instant DAY1 = Instant.parse("2026-11-22T09:00:00Z");
  static final String TEAM = "team-a";

  final Topics topics = Topics.create(TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://aggregator")).client(new InMemorySchemaRegistryClient()).build());
  final AtomicInteger calls = new AtomicInteger();
  TopologyTestDriver driver;
  TestInputTopic<String, byte[]> usage;
  TestInputTopic<String, byte[]> policies;
  TestInputTopic<String, byte[]> actionsIn;
  TestOutputTopic<String, BudgetAction> actions;
  TestOutputTopic<String, BudgetAlert> alerts;
  TestOutputTopic<String, UsageTotals> totals;
  TestOutputTopic<byte[], byte[]> dlq;
  /** The driver's wall clock: the aggregator's own clock, which records may not run ahead of. */
  Instant clock = DAY1;

  @TempDir
  Path stateDir;

  @BeforeEach
  void start() {
    AggregatorConfig config = new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "PT1H",
        "aggregator.totals.interval", "1000", "aggregator.rollover.check", "30000")));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "aggregator-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    // A directory of its own: test JVMs running at the same time must not share /tmp/kafka-streams
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
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
  void dailyBudget(long version, long inputLimit) {
    BudgetPolicy policy = BudgetPolicy.newBuilder()
        .setTeamId(TEAM).setVersion(version).setTimeZone("Europe/Berlin")
        .setDaily(WindowBudget.newBuilder().setInputTokens(inputLimit).setOutputTokens(null).setCostMicros(null)
            .setAlertThresholds(List.of(0.5, 0.8, 1.0)).setAction(BudgetActionType.PAUSE)
            .setEscalations(List.of(new Escalation(0.8, BudgetActionType.RESTRICT))).build())
        .setMonthly(null).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), DAY1.minusSeconds(60));
  }

  void budget(WindowBudget daily, WindowBudget monthly) {
    BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(TEAM).setVersion(1).setTimeZone("Europe/Berlin")
        .setDaily(daily).setMonthly(monthly).setUpdatedAt(null).build();
    policies.pipeInput(TEAM, topics.budgetPolicies().serializeValue(policy), DAY1.minusSeconds(60));
  }

  /** Input tokens limited to {@code limit}, alerts at 50% and the limit, pause at the limit. */
  static WindowBudget pausingAt(long limit) {
    return WindowBudget.newBuilder().setInputTokens(limit).setOutputTokens(null).setCostMicros(null)
        .setAlertThresholds(List.of(0.5, 1.0)).setAction(BudgetActionType.PAUSE).setEscalations(List.of()).build();
  }

  void use(long inputTokens, Instant eventTime) {
    use(inputTokens, eventTime, eventTime, "session-1");
  }

  /** A usage event written at {@code arrival} by a worker whose clock agrees with the aggregator's. */
  void use(long inputTokens, Instant eventTime, Instant arrival, String session) {
    arrive(arrival);
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, eventTime, session)), arrival);
  }

  /** A usage event dated and written by a worker whose clock is ahead: the record's timestamp is that clock too. */
  void useFromSkewedClock(long inputTokens, Instant workerClock) {
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, workerClock, "session-1")), workerClock);
  }

  UsageEvent event(long inputTokens, Instant eventTime, String session) {
    return event(inputTokens, 10, inputTokens, eventTime, session);
  }

  /** A call that billed these tokens and micro-dollars, written when it happened. */
  void use(long inputTokens, long outputTokens, long costMicros, Instant at) {
    arrive(at);
    usage.pipeInput(TEAM, topics.usage().serializeValue(event(inputTokens, outputTokens, costMicros, at,
        "session-1")), at);
  }

  UsageEvent event(long inputTokens, long outputTokens, long costMicros, Instant eventTime, String session) {
    int call = calls.incrementAndGet();
    return UsageEvent.newBuilder()
        .setEventId("r-" + call + "#1").setRequestId("r-" + call).setTeamId(TEAM).setPipelineId(null)
        .setSessionId(session).setTaskType("codeReview").setProvider("anthropic").setModel("claude-haiku-4-5")
        .setInputTokens(inputTokens).setOutputTokens(outputTokens).setCachedInputTokens(0).setEstimated(false)
        .setCostMicros(costMicros).setCreditsMicros(costMicros * 400).setLatencyMs(100)
        .setOutcome(AttemptOutcome.OK).setFinalCall(true).setSimulated(false).setEventTime(eventTime).build();
  }

  /** Moves the aggregator's wall clock to {@code at}, if it is later (punctuations due on the way run). */
  void arrive(Instant at) {
    if (at.isAfter(clock)) {
      advance(Duration.between(clock, at));
    }
  }

  void advance(Duration duration) {
    driver.advanceWallClockTime(duration);
    clock = clock.plus(duration);
  }

  List<BudgetState> states() {
    return actions.readValuesToList().stream().map(BudgetAction::getState).toList();
  }

  void reset(Instant at) {
    BudgetAction reset = BudgetAction.newBuilder().setTeamId(TEAM).setState(BudgetState.NORMAL).setWindow(null)
        .setWindowStart(null).setMetric(null).setUsage(0).setLimit(0).setFraction(0)
        .setDailyState(BudgetState.NORMAL).setMonthlyState(BudgetState.NORMAL).setReason("by admin").setSince(at)
        .setPolicyVersion(1).setManualReset(true).build();
    arrive(at);
    actionsIn.pipeInput(TEAM, topics.budgetActions().serializeValue(reset), at);
  }
}
