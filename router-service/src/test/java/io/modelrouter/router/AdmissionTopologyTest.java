package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
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
import org.junit.jupiter.api.io.TempDir;

/** Hard caps: the router reserves each request's tokens and refuses or restricts what would exceed the budget. */
class AdmissionTopologyTest {
  private final Topics topics = Topics.create(TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://admission")).client(new InMemorySchemaRegistryClient()).build());
  private TopologyTestDriver driver;
  private TestInputTopic<String, byte[]> requests;
  private TestInputTopic<String, byte[]> usage;
  private TestInputTopic<String, byte[]> results;
  private TestInputTopic<String, byte[]> budgets;
  private TestInputTopic<String, byte[]> actions;
  private TestOutputTopic<String, RoutedRequest> routed;
  private TestOutputTopic<String, InferenceResult> answered;

  @BeforeEach
  void start(@TempDir Path stateDir) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "admission-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    // A directory of its own: test JVMs running at the same time must not share /tmp/kafka-streams
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(RouterTopology.buildTopology(topics, DefaultPolicies.hybridRoutingPolicy(),
        DefaultPolicies.catalogById(), RouterTopology.DEFAULT_ADMISSION), props, Requests.NOW);
    requests = input(topics.requests().name());
    usage = input(topics.usage().name());
    results = input(topics.results().name());
    budgets = input(topics.budgetPolicies().name());
    actions = input(topics.budgetActions().name());
    routed = driver.createOutputTopic(topics.routed().name(), new StringDeserializer(),
        topics.routed().valueSerde().deserializer());
    answered = driver.createOutputTopic(topics.results().name(), new StringDeserializer(),
        topics.results().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private TestInputTopic<String, byte[]> input(String name) {
    return driver.createInputTopic(name, new StringSerializer(), new ByteArraySerializer());
  }

  /** Daily output tokens limited to {@code limit}: restrict at 80%, pause at the limit. */
  private void outputBudget(long limit) {
    budgets.pipeInput("team-a", topics.budgetPolicies().serializeValue(outputPolicy(limit)));
  }

  private static BudgetPolicy outputPolicy(long limit) {
    return BudgetPolicy.newBuilder().setTeamId("team-a").setVersion(1).setTimeZone("UTC")
        .setDaily(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(limit).setCostMicros(null)
            .setAlertThresholds(List.of(0.5, 1.0)).setAction(BudgetActionType.PAUSE)
            .setEscalations(List.of(new Escalation(0.8, BudgetActionType.RESTRICT))).build())
        .setMonthly(null).setUpdatedAt(null).build();
  }

  private void send(String requestId, int maxTokens) {
    InferenceRequest request = request("specGeneration", "Write the spec for the export.").setRequestId(requestId)
        .setMaxTokens(maxTokens).build();
    requests.pipeInput("team-a", topics.requests().serializeValue(request));
  }

  @Test
  void aRequestWithinBudgetIsAdmittedAndReservesItsTokens() {
    outputBudget(10_000);
    send("r-1", 2_000);

    RoutedRequest out = routed.readValue();
    long input = (long) Math.ceil(out.getDecision().getEstimatedInputTokens() * 1.15);
    assertThat(out.getDecision().getReservedTokens()).isEqualTo(input + 2_000);
    assertThat(out.getDecision().getProfile()).isEqualTo("primary");
  }

  @Test
  void onceReservationsReachThePauseLimitRequestsArePausedBeforeAnySpend() {
    outputBudget(5_000);
    send("r-1", 3_000);
    send("r-2", 3_000);   // crosses the limit: the last one admitted, restricted
    send("r-3", 3_000);

    List<RoutedRequest> out = routed.readValuesToList();
    assertThat(out).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-2");
    assertThat(out.get(1).getDecision().getProfile()).isEqualTo("fast");
    InferenceResult paused = answered.readValue();
    assertThat(paused.getRequestId()).isEqualTo("r-3");
    assertThat(paused.getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(paused.getErrorMessage()).contains("daily outputTokens at 120% of 5,000")
        .contains("in flight 6,000, 2 request(s)").contains("PAUSE at admission");
  }

  @Test
  void reservationsExpectTheTeamsLearnedOutputOnceEnoughRequestsWereAnswered() {
    outputBudget(1_000_000);
    for (int i = 0; i < 20; i++) {
      usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier-" + i, 200)));
    }
    send("r-1", 3_000);

    RoutedRequest out = routed.readValue();
    long input = (long) Math.ceil(out.getDecision().getEstimatedInputTokens() * 1.15);
    assertThat(out.getDecision().getReservedTokens()).isEqualTo(input + 230);   // 200 learned, plus 15%
  }

  @Test
  void aRequestThatWouldCrossTheRestrictThresholdGoesToTheFastProfile() {
    outputBudget(10_000);
    send("r-1", 4_000);   // reserves 4,000 (40%)
    send("r-2", 4_000);   // would bring the team to 80%

    List<RoutedRequest> out = routed.readValuesToList();
    assertThat(out.get(0).getDecision().getProfile()).isEqualTo("primary");
    assertThat(out.get(1).getDecision().getProfile()).isEqualTo("fast");
    assertThat(out.get(1).getDecision().getReason()).contains("budget RESTRICT: primary → fast");
  }

  @Test
  void aResultReleasesTheReservationOfItsRequest() {
    // Given a daily limit of 5,000 output tokens and r-1 in flight with 3,000 reserved
    outputBudget(5_000);
    send("r-1", 3_000);

    // When r-1's result arrives, then three more requests of 3,000 are sent
    results.pipeInput("team-a", topics.results().serializeValue(result("r-1")));
    send("r-2", 3_000);
    send("r-3", 3_000);
    send("r-4", 3_000);

    // Then r-1's 3,000 no longer count: r-2 sees nothing in flight (60% with its own: primary), r-3 sees r-2 (120%
    // with its own: the last one admitted, restricted), and r-4 is paused by r-2 and r-3 alone. Had r-1 kept its
    // reservation, r-2 would have been restricted and r-3 paused.
    List<RoutedRequest> out = routed.readValuesToList();
    assertThat(out).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-2", "r-3");
    assertThat(out).extracting(r -> r.getDecision().getProfile()).containsExactly("primary", "primary", "fast");
    InferenceResult paused = answered.readValue();
    assertThat(paused.getRequestId()).isEqualTo("r-4");
    assertThat(paused.getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(paused.getErrorMessage())
        .contains("daily outputTokens at 120% of 5,000 (settled 0 + in flight 6,000, 2 request(s))");
    assertThat(answered.isEmpty()).isTrue();
  }

  @Test
  void aFinalCallsUsageSettlesItsTokensAndReleasesTheReservation() {
    // Given r-1 in flight with 3,000 reserved of a daily 5,000
    outputBudget(5_000);
    send("r-1", 3_000);

    // When the worker reports r-1's last call (120 output tokens), without a result yet, and three requests follow
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("r-1", 120)));
    send("r-2", 3_000);
    send("r-3", 3_000);
    send("r-4", 3_000);

    // Then r-1 counts for the 120 it wrote, not the 3,000 it had reserved
    List<RoutedRequest> out = routed.readValuesToList();
    assertThat(out).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-2", "r-3");
    assertThat(out).extracting(r -> r.getDecision().getProfile()).containsExactly("primary", "primary", "fast");
    InferenceResult paused = answered.readValue();
    assertThat(paused.getRequestId()).isEqualTo("r-4");
    assertThat(paused.getErrorMessage())
        .contains("daily outputTokens at 122% of 5,000 (settled 120 + in flight 6,000, 2 request(s))");
  }

  @Test
  void aCallThatWasNotTheRequestsLastKeepsItsReservation() {
    // Given r-1 in flight with 3,000 reserved of a daily 5,000
    outputBudget(5_000);
    send("r-1", 3_000);

    // When the worker reports a call of r-1 that failed and will be followed by another (finalCall false)
    UsageEvent firstCall = UsageEvent.newBuilder(usageEvent("r-1", 120)).setFinalCall(false).build();
    usage.pipeInput("team-a", topics.usage().serializeValue(firstCall));
    send("r-2", 3_000);
    send("r-3", 3_000);

    // Then its 120 are settled and r-1 is still in flight: r-2 is restricted, r-3 paused
    List<RoutedRequest> out = routed.readValuesToList();
    assertThat(out).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-2");
    assertThat(out.get(1).getDecision().getProfile()).isEqualTo("fast");
    InferenceResult paused = answered.readValue();
    assertThat(paused.getRequestId()).isEqualTo("r-3");
    assertThat(paused.getErrorMessage())
        .contains("daily outputTokens at 122% of 5,000 (settled 120 + in flight 6,000, 2 request(s))");
  }

  @Test
  void settledUsageCountsAgainstTheLimit() {
    outputBudget(5_000);
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier", 5_000)));
    send("r-1", 2_000);

    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);
  }

  @Test
  void usageDatedDaysAheadByASkewedClockStillCountsToday() {
    // Given a worker whose clock is three days ahead reports a small call
    outputBudget(5_000);
    Instant skewed = Requests.NOW.plus(Duration.ofDays(3));
    UsageEvent ahead = UsageEvent.newBuilder(usageEvent("ahead", 100)).setEventTime(skewed).build();
    usage.pipeInput("team-a", topics.usage().serializeValue(ahead), skewed);

    // When today's usage then reaches the limit
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier", 5_000)));
    send("r-1", 1_000);

    // Then the team is paused: the skewed event did not move its ledger into a future day
    InferenceResult paused = answered.readValue();
    assertThat(paused.getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(paused.getErrorMessage()).contains("daily outputTokens at 102% of 5,000");
  }

  @Test
  void aManualResetLiftsThePauseForTheRestOfTheDay() {
    outputBudget(5_000);
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier", 6_000)));
    send("r-1", 1_000);
    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);

    actions.pipeInput("team-a", topics.budgetActions().serializeValue(reset()));
    send("r-2", 1_000);

    RoutedRequest admitted = routed.readValue();
    assertThat(admitted.getRequest().getRequestId()).isEqualTo("r-2");
    // Still over the restrict threshold: lifted from pause, restricted to the fast profile
    assertThat(admitted.getDecision().getProfile()).isEqualTo("fast");
  }

  @Test
  void aResetWhileWithinBudgetLeavesTheHardCapInPlace() {
    // Given a team within its budget that is reset anyway
    outputBudget(5_000);
    actions.pipeInput("team-a", topics.budgetActions().serializeValue(reset()));

    // When its settled usage then reaches the limit
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier", 6_000)));
    send("r-1", 1_000);

    // Then its next request is paused: the reset lifted nothing
    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(routed.isEmpty()).isTrue();
  }

  @Test
  void aDailyResetKeepsTheMonthlyHardCap() {
    // Given daily 5,000 and monthly 8,000 output tokens, both pausing, and a day paused at 6,000
    WindowBudget monthly = WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(8_000L)
        .setCostMicros(null).setAlertThresholds(List.of(1.0)).setAction(BudgetActionType.PAUSE)
        .setEscalations(List.of()).build();
    budgets.pipeInput("team-a", topics.budgetPolicies().serializeValue(BudgetPolicy.newBuilder(outputPolicy(5_000))
        .setMonthly(monthly).build()));
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("earlier", 6_000)));
    send("r-1", 1_000);
    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);

    // When the pause is reset, the next request is admitted and then the month reaches its limit
    actions.pipeInput("team-a", topics.budgetActions().serializeValue(reset()));
    send("r-2", 1_000);
    assertThat(routed.readValue().getRequest().getRequestId()).isEqualTo("r-2");
    usage.pipeInput("team-a", topics.usage().serializeValue(usageEvent("r-2", 3_000)));
    send("r-3", 1_000);

    // Then the monthly limit pauses the team: the reset lifted only the daily window
    InferenceResult paused = answered.readValue();
    assertThat(paused.getRequestId()).isEqualTo("r-3");
    assertThat(paused.getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(paused.getErrorMessage()).contains("monthly outputTokens");
  }

  @Test
  void aReservationWithoutAResultExpiresAfterItsTtl() {
    outputBudget(4_000);
    send("r-1", 4_000);
    send("r-2", 1_000);
    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);

    driver.advanceWallClockTime(Duration.ofMinutes(11));
    send("r-3", 1_000);

    assertThat(routed.readValuesToList()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-3");
  }

  @Test
  void aBatchLaneReservationHoldsWhileItsBatchMayStillBeAtTheProviderAndThenExpires() {
    // Given a policy with a batch lane and a daily budget of 4,000 output tokens
    io.modelrouter.avro.RoutingPolicy policy = io.modelrouter.schemas.policy.DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("team-a");
    policy.setBatchApi(new io.modelrouter.avro.BatchApiRouting(24.0));
    input(topics.routingPolicies().name()).pipeInput("team-a", topics.routingPolicies().serializeValue(policy));
    outputBudget(4_000);
    TestOutputTopic<String, RoutedRequest> batchLane = driver.createOutputTopic(topics.routedBatch().name(),
        new StringDeserializer(), topics.routedBatch().valueSerde().deserializer());
    // When a BATCH request without a deadline reserves the whole budget
    requests.pipeInput("team-a", topics.requests().serializeValue(request("specGeneration",
        "Write the spec for the export.").setRequestId("r-1").setMaxTokens(4_000)
        .setPriority(io.modelrouter.avro.Priority.BATCH).build()));
    RoutedRequest first = batchLane.readValue();
    assertThat(first.getDecision().getBatchApi()).isTrue();

    // Then 11 minutes later (past router.budget.reservation.ttl) it still holds: its batch may take hours
    driver.advanceWallClockTime(Duration.ofMinutes(11));
    send("r-2", 1_000);
    assertThat(answered.readValue().getStatus()).isEqualTo(ResultStatus.PAUSED);
    // and after 25 h without a result it expires
    driver.advanceWallClockTime(Duration.ofHours(25));
    send("r-3", 1_000);
    assertThat(routed.readValuesToList()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-3");
  }

  @Test
  void aTeamWithoutABudgetIsNeverHeldBack() {
    send("r-1", 60_000);
    send("r-2", 60_000);
    assertThat(routed.readValuesToList()).hasSize(2);
  }

  private static UsageEvent usageEvent(String requestId, long outputTokens) {
    return UsageEvent.newBuilder().setEventId(requestId + "#1").setRequestId(requestId).setTeamId("team-a")
        .setPipelineId(null).setSessionId(null).setTaskType("specGeneration").setProvider("anthropic")
        .setModel("claude-sonnet-4-5").setInputTokens(20).setOutputTokens(outputTokens).setCachedInputTokens(0)
        .setEstimated(false).setCostMicros(1).setCreditsMicros(1).setLatencyMs(10).setOutcome(AttemptOutcome.OK)
        .setFinalCall(true).setSimulated(false).setEventTime(Requests.NOW).build();
  }

  private static InferenceResult result(String requestId) {
    return InferenceResult.newBuilder().setRequestId(requestId).setTeamId("team-a").setStatus(ResultStatus.OK)
        .setUsage(new TokenUsage(20L, 120L, 0L, 0L, 0L, false)).setCompletedAt(Requests.NOW).build();
  }

  private static BudgetAction reset() {
    return BudgetAction.newBuilder().setTeamId("team-a").setState(BudgetState.NORMAL).setWindow(null)
        .setWindowStart(null).setMetric(null).setUsage(0).setLimit(0).setFraction(0)
        .setDailyState(BudgetState.NORMAL).setMonthlyState(BudgetState.NORMAL).setReason("by admin")
        .setSince(Instant.now()).setPolicyVersion(1).setManualReset(true).build();
  }
}
