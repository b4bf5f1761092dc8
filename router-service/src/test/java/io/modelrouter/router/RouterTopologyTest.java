package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.schemas.serde.AvroSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The router topology's plumbing: outputs and keys, bad input, budget state, live policy and catalog changes. */
class RouterTopologyTest {
  private RouterDriver router;
  private Topics topics;
  private TestInputTopic<String, byte[]> requests;
  private TestInputTopic<String, byte[]> policies;
  private TestInputTopic<String, byte[]> models;
  private TestOutputTopic<String, RoutedRequest> routed;
  private TestOutputTopic<String, InferenceResult> results;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeEach
  void start() {
    router = new RouterDriver("router-topology");
    topics = router.topics;
    requests = router.requests;
    policies = router.policies;
    models = router.models;
    routed = router.routed;
    results = router.results;
    dlq = router.dlq;
  }

  @AfterEach
  void stop() {
    router.close();
  }

  private void send(InferenceRequest request) {
    router.send(request);
  }

  @Test
  void routesARequestToTheRoutedTopicKeyedByTeam() {
    send(Requests.chat("What does this stack trace mean?"));

    TestRecord<String, RoutedRequest> out = routed.readRecord();
    assertThat(out.key()).isEqualTo("team-a");
    assertThat(out.value().getRequest().getMessages().get(0).getContent()).isEqualTo("What does this stack trace mean?");
    assertThat(out.value().getDecision().getProfile()).isEqualTo("fast");
    assertThat(out.value().getDecision().getPolicyVersion()).isEqualTo("*@0");
    assertThat(results.isEmpty()).isTrue();
    assertThat(dlq.isEmpty()).isTrue();
  }

  @Test
  void theShippedPolicyJudgesEachRequestWithTheLexicalModelAndOverrulesTheTable() {
    try (RouterDriver shipped = new RouterDriver("router-shipped", RouterTopology.DEFAULT_ADMISSION,
        DefaultPolicies.routingPolicy())) {
      // the table sends research to frontier and chat to fast; the model reads the requests
      shipped.send(request("research", "Fix the typo 'recieve' -> 'receive' in README.md").setRequestId("chore")
          .setTier("power").build());
      shipped.send(request("interactiveChat", "We run Kafka Streams with exactly-once across three regions. Design "
          + "the failover so that no committed transaction is lost or applied twice when a region is partitioned "
          + "for minutes, and explain the trade-offs against active-active replication with conflict resolution.")
          .setRequestId("design").setTier("power").build());

      Map<String, RoutedRequest> out = new java.util.HashMap<>();
      shipped.routed.readValuesToList().forEach(r -> out.put(r.getRequest().getRequestId(), r));
      assertThat(out).containsOnlyKeys("chore", "design");
      for (RoutedRequest r : out.values()) {
        assertThat(r.getDecision().getPolicyVersion()).isEqualTo("*@0");
        assertThat(r.getDecision().getReason()).startsWith("learned lexical-437: p(fast)=");
        assertThat(r.getDecision().getLearnedModel()).isEqualTo("lexical-437");
      }
      assertThat(out.get("chore").getDecision().getProfile()).isNotEqualTo("frontier");
      assertThat(out.get("design").getDecision().getProfile()).isNotEqualTo("fast");
    }
  }

  @Test
  void aBatchRequestGoesToTheBatchLaneAndAnInteractiveOneToTheRoutedTopic() {
    TestOutputTopic<String, RoutedRequest> batch = router.driver.createOutputTopic(topics.routedBatch().name(),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        topics.routedBatch().valueSerde().deserializer());

    send(request("codeReview", "Review this diff overnight.").setRequestId("nightly-1")
        .setPriority(io.modelrouter.avro.Priority.BATCH).build());
    send(request("codeReview", "Review this diff now.").setRequestId("now-1").build());

    TestRecord<String, RoutedRequest> lane = batch.readRecord();
    assertThat(lane.key()).isEqualTo("team-a");
    assertThat(lane.value().getRequest().getRequestId()).isEqualTo("nightly-1");
    assertThat(new String(lane.headers().lastHeader(Topics.LANE_HEADER).value(), StandardCharsets.UTF_8))
        .isEqualTo("batch");
    assertThat(batch.isEmpty()).isTrue();
    assertThat(routed.readValuesToList()).extracting(r -> r.getRequest().getRequestId()).containsExactly("now-1");
  }

  @Test
  void rejectsAnInvalidRequestWithAResultNamingTheField() {
    send(request("interactiveChat", "x").setMessages(java.util.List.of()).build());

    InferenceResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("INVALID_REQUEST");
    assertThat(result.getErrorMessage()).isEqualTo("messages: must hold at least one message");
    assertThat(routed.isEmpty()).isTrue();
  }

  @Test
  void aRecordMissingRequiredFieldsIsRejectedNotDeadLettered() throws Exception {
    // Given a producer whose schema has no teamId at all
    Schema withoutTeam = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"InferenceRequest\","
        + "\"namespace\":\"io.modelrouter.avro\",\"fields\":[{\"name\":\"requestId\",\"type\":\"string\"},"
        + "{\"name\":\"taskType\",\"type\":\"string\"}]}");
    GenericRecord record = new GenericData.Record(withoutTeam);
    record.put("requestId", "r-no-team");
    record.put("taskType", "interactiveChat");
    byte[] bytes = new AvroSerializer<GenericRecord>(router.registry, AvroSerdeConfig.forUrl("mock://x"), false)
        .serialize(topics.requests().name(), record);

    requests.pipeInput("team-a", bytes);

    InferenceResult result = results.readValue();
    assertThat(result.getRequestId()).isEqualTo("r-no-team");
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorMessage()).isEqualTo("teamId: is required");
  }

  @Test
  void sendsBytesThatAreNotARequestToTheDlqWithHeaders() {
    byte[] random = new byte[64];
    new Random(1).nextBytes(random);
    random[0] = 7;
    byte[] unknownId = {0, 0, 0, 0x7f, 0x7f, 1, 2, 3};
    requests.pipeInput("team-a", random);
    requests.pipeInput("team-a", unknownId);
    requests.pipeInput("team-a", (byte[]) null);

    TestRecord<byte[], byte[]> wrongMagic = dlq.readRecord();
    assertThat(wrongMagic.value()).isEqualTo(random);
    assertThat(new String(wrongMagic.key(), StandardCharsets.UTF_8)).isEqualTo("team-a");
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(topics.requests().name());
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("0");
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.ERROR_CLASS))
        .isEqualTo("io.modelrouter.schemas.serde.WireFormatException");
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.ERROR_MESSAGE)).contains("Unknown magic byte 0x07");
    assertThat(DeadLetters.header(wrongMagic.headers(), DeadLetters.SERVICE)).isEqualTo("router");

    TestRecord<byte[], byte[]> unknown = dlq.readRecord();
    assertThat(DeadLetters.header(unknown.headers(), DeadLetters.ERROR_CLASS))
        .isEqualTo("io.modelrouter.schemas.serde.UnknownSchemaIdException");
    assertThat(DeadLetters.header(unknown.headers(), DeadLetters.SCHEMA_ID)).isEqualTo(Integer.toString(0x7f7f));
    assertThat(DeadLetters.header(unknown.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1");

    TestRecord<byte[], byte[]> tombstone = dlq.readRecord();
    assertThat(DeadLetters.header(tombstone.headers(), DeadLetters.ERROR_MESSAGE)).contains("tombstone");

    // And the stream keeps going
    send(Requests.chat("still there?"));
    assertThat(routed.readValue().getRequest().getRequestId()).isNotBlank();
  }

  @Test
  void anUnexpectedErrorWhileRoutingIsRejectedAsInternalErrorAndTheStreamGoesOn() {
    // Given a catalog whose fast model has a price that overflows the cost estimate
    ModelSpec haiku = DefaultPolicies.catalogById().get("claude-haiku-4-5");
    for (ModelSpec spec : DefaultPolicies.catalog()) {
      models.pipeInput(spec.getId(), topics.models().serializeValue(spec));
    }
    models.pipeInput(haiku.getId(), topics.models().serializeValue(
        ModelSpec.newBuilder(haiku).setInputPricePerMTokMicros(Long.MAX_VALUE / 2).build()));

    send(Requests.chat("hello?"));

    // Then the request gets an answer that names the problem, instead of failing the stream thread over and over
    InferenceResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("INTERNAL_ERROR");
    assertThat(result.getErrorMessage()).contains("ArithmeticException: long overflow");
    assertThat(routed.isEmpty()).isTrue();

    // And once the catalog is fixed, the next request is routed
    models.pipeInput(haiku.getId(), topics.models().serializeValue(haiku));
    send(Requests.chat("and now?"));
    assertThat(routed.readValue().getDecision().getModel()).isEqualTo("claude-haiku-4-5");
  }

  @Test
  void answersPausedAtOnceWhenTheTeamIsPaused() {
    router.budgetState(BudgetState.PAUSE, "daily inputTokens at 100% of 500,000");

    send(Requests.chat("hello?"));

    InferenceResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(ResultStatus.PAUSED);
    assertThat(result.getErrorCode()).isEqualTo("BUDGET_PAUSED");
    assertThat(result.getErrorMessage()).contains("daily inputTokens at 100% of 500,000")
        .contains("POST /teams/team-a/budget/reset");
    assertThat(result.getRoutingReason()).isEqualTo("routing table: interactiveChat → fast; budget PAUSE");
    assertThat(routed.isEmpty()).isTrue();
  }

  @Test
  void routesEverythingToFastWhileTheTeamIsRestrictedAndNotOtherTeams() {
    router.budgetState(BudgetState.RESTRICT, "daily at 80%");

    send(request("specGeneration", "Write the spec.").build());
    send(request("specGeneration", "Write the spec.").setTeamId("team-b").build());

    RoutedRequest restricted = routed.readValue();
    RoutedRequest other = routed.readValue();
    assertThat(restricted.getDecision().getProfile()).isEqualTo("fast");
    assertThat(restricted.getDecision().getReason()).contains("budget RESTRICT: primary → fast");
    assertThat(other.getDecision().getProfile()).isEqualTo("primary");
  }

  @Test
  void aTeamReturnsToNormalRoutingWhenItsStateDoes() {
    router.budgetState(BudgetState.RESTRICT, "daily at 80%");
    send(request("specGeneration", "one").build());
    router.budgetState(BudgetState.NORMAL, "new day");
    send(request("specGeneration", "two").build());

    assertThat(routed.readValue().getDecision().getProfile()).isEqualTo("fast");
    assertThat(routed.readValue().getDecision().getProfile()).isEqualTo("primary");
  }

  @Test
  void appliesATeamPolicyWithoutRestartAndRecordsItsVersion() {
    send(Requests.chat("before"));
    RoutingPolicy teamPolicy = DefaultPolicies.hybridRoutingPolicy();
    teamPolicy.setTeamId("team-a");
    teamPolicy.setVersion(3);
    teamPolicy.getRouting().put("interactiveChat", "primary");
    policies.pipeInput("team-a", topics.routingPolicies().serializeValue(teamPolicy));
    send(Requests.chat("after"));
    send(request("interactiveChat", "other team").setTeamId("team-b").build());

    assertThat(routed.readValue().getDecision().getProfile()).isEqualTo("fast");
    RoutedRequest after = routed.readValue();
    assertThat(after.getDecision().getProfile()).isEqualTo("primary");
    assertThat(after.getDecision().getPolicyVersion()).isEqualTo("team-a@3");
    assertThat(routed.readValue().getDecision().getPolicyVersion()).isEqualTo("*@0");
  }

  @Test
  void aDefaultPolicyOnTheTopicReplacesTheBuiltInOne() {
    RoutingPolicy star = DefaultPolicies.hybridRoutingPolicy();
    star.setVersion(5);
    star.getRouting().put("interactiveChat", "local");
    policies.pipeInput("*", topics.routingPolicies().serializeValue(star));

    send(Requests.chat("hi"));

    RoutedRequest out = routed.readValue();
    assertThat(out.getDecision().getPolicyVersion()).isEqualTo("*@5");
    assertThat(out.getDecision().getModel()).isEqualTo("llama-3.1-8b");
  }

  @Test
  void aCatalogChangeTakesEffectWithoutRestart() {
    for (ModelSpec spec : DefaultPolicies.catalog()) {
      models.pipeInput(spec.getId(), topics.models().serializeValue(spec));
    }
    send(Requests.chat("price check"));
    ModelSpec haiku = DefaultPolicies.catalogById().get("claude-haiku-4-5");
    haiku.setOutputPricePerMTokMicros(haiku.getOutputPricePerMTokMicros() * 10);
    models.pipeInput(haiku.getId(), topics.models().serializeValue(haiku));
    send(Requests.chat("price check"));

    long before = routed.readValue().getDecision().getEstimatedCostMicros();
    long after = routed.readValue().getDecision().getEstimatedCostMicros();
    assertThat(after).isGreaterThan(before * 5);
  }

  @Test
  void aRequestKeyedByAnythingButItsTeamIsRepartitionedByTeam() {
    router.budgetState(BudgetState.RESTRICT, "daily at 80%");
    InferenceRequest request = request("specGeneration", "keyless").build();
    requests.pipeInput((String) null, topics.requests().serializeValue(request));

    TestRecord<String, RoutedRequest> out = routed.readRecord();
    assertThat(out.key()).isEqualTo("team-a");
    // the budget state of team-a applied: the record met its team's partition
    assertThat(out.value().getDecision().getProfile()).isEqualTo("fast");
  }

  /** Run with {@code -Dsnapshots.update=true} to rewrite the snapshot after an intended change. */
  @Test
  void topologyMatchesTheSnapshot() throws IOException {
    String actual = RouterTopology.buildTopology(topics).describe().toString().strip() + "\n";
    Path snapshot = Path.of("src/test/resources/router-topology.txt");
    if (Boolean.getBoolean("snapshots.update")) {
      Files.writeString(snapshot, actual);
    }
    assertThat(actual)
        .as("the topology changed: check that state stores and internal topics keep their names, then rerun with "
            + "-Dsnapshots.update=true")
        .isEqualTo(Files.readString(snapshot));
  }
}
