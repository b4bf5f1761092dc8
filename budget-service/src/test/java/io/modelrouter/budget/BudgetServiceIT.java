package io.modelrouter.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** budget-service on the embedded broker and registry, driven over HTTP; each test uses teams of its own. */
@IntegrationTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BudgetServiceIT {
  private static final String ADMIN = "adm1n-s3cret";
  private static final String ALPHA = "alpha-s3cret";
  private static final String BETA = "beta-s3cret";
  private static final String KAPPA = "kappa-s3cret";
  private static final String LAMBDA = "lambda-s3cret";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final HttpClient http = HttpClient.newHttpClient();
  private KafkaStack stack;
  private Topics topics;
  private BudgetService service;
  private KafkaProducer<byte[], byte[]> producer;

  @BeforeAll
  void start(KafkaStack stack) {
    this.stack = stack;
    String prefix = stack.uniqueName("budget") + ".";
    topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(stack.registryUrl())).prefix(prefix)
        .build());
    service = new BudgetService(Settings.of(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "2",
        "budget.http.port", "0",
        "budget.admin.token", ADMIN,
        "budget.team.tokens", "alpha=" + ALPHA + ",beta=" + BETA + ",kappa=" + KAPPA + ",lambda=" + LAMBDA)))
        .start();
    producer = new KafkaProducer<>(stack.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  @AfterAll
  void stop() {
    producer.close();
    service.close();
  }

  @Test
  void putBudgetPublishesTheNextVersionAndGetReadsItAtOnce() throws Exception {
    // When
    HttpResponse<String> first = send("PUT", "/teams/alpha/budget", ADMIN,
        "{\"timeZone\": \"Europe/Berlin\", \"daily\": {\"inputTokens\": 100000, \"costUsd\": 12.5, \"action\": \"pause\"}}");
    HttpResponse<String> read = send("GET", "/teams/alpha/budget", ALPHA, null);
    HttpResponse<String> second = send("PUT", "/teams/alpha/budget", ADMIN, "{\"daily\": {\"inputTokens\": 200000}}");

    // Then
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(json(first).get("version").asLong()).isEqualTo(1);
    assertThat(json(first).get("updatedAt").asText()).isNotBlank();
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(json(read).get("daily").get("costUsd").decimalValue()).isEqualByComparingTo("12.5");
    assertThat(json(read).get("timeZone").asText()).isEqualTo("Europe/Berlin");
    assertThat(json(second).get("version").asLong()).isEqualTo(2);
    BudgetPolicy published = readTopic(topics.budgetPolicies()).get("alpha");
    assertThat(published.getVersion()).isEqualTo(2);
    assertThat(published.getDaily().getInputTokens()).isEqualTo(200_000);
    assertThat(published.getUpdatedAt()).isNotNull();
  }

  @Test
  void invalidBudgetIsRefusedNamingThePathAndNothingIsPublished() throws Exception {
    // When
    HttpResponse<String> response = send("PUT", "/teams/zeta/budget", ADMIN, "{\"daily\": {\"inputTokens\": 0}}");

    // Then
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response).get("error").asText()).startsWith("budget policy of team 'zeta' is invalid");
    assertThat(json(response).get("problems").get(0).asText()).startsWith("$.daily.inputTokens: ");
    assertThat(send("GET", "/teams/zeta/budget", ADMIN, null).statusCode()).isEqualTo(404);
    assertThat(readTopic(topics.budgetPolicies())).doesNotContainKey("zeta");
  }

  @Test
  void teamTokenCannotReadAnotherTeamsUsageAndNoTokenIsUnauthorized() throws Exception {
    // When
    HttpResponse<String> other = send("GET", "/teams/alpha/usage", BETA, null);
    HttpResponse<String> anonymous = send("GET", "/teams/alpha/usage", null, null);
    HttpResponse<String> own = send("GET", "/teams/beta/usage", BETA, null);

    // Then
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(json(other).get("error").asText()).contains("team token of 'beta'", "usage of team 'alpha'");
    assertThat(other.body()).doesNotContain(BETA, ALPHA, ADMIN);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(own.statusCode()).isEqualTo(200);
  }

  @Test
  void defaultPolicyAndCatalogAreBootstrapped() throws Exception {
    // When
    HttpResponse<String> policy = send("GET", "/policies/default", BETA, null);
    HttpResponse<String> models = send("GET", "/models", BETA, null);

    // Then
    assertThat(json(policy).get("version").asLong()).isEqualTo(1);
    assertThat(json(policy).get("team").asText()).isEqualTo("*");
    assertThat(json(models).get("source").asText()).isEqualTo("published");
    Map<String, RoutingPolicy> routing = readTopic(topics.routingPolicies());
    assertThat(routing.get(Topics.DEFAULT_POLICY_KEY).getVersion()).isEqualTo(1);
    assertThat(routing.get(Topics.DEFAULT_POLICY_KEY).getProfiles())
        .isEqualTo(DefaultPolicies.routingPolicy().getProfiles());
    assertThat(readTopic(topics.models()).keySet()).containsAll(DefaultPolicies.catalogById().keySet());
    assertThat(json(models).get("models").size()).isGreaterThanOrEqualTo(DefaultPolicies.catalog().size());
  }

  @Test
  void catalogChangesAreAdminOnlyAndPoliciesMayUseTheNewModel() throws Exception {
    // Given
    String model = "{\"provider\": \"ollama\", \"providerModelId\": \"qwen3:8b\", \"inputUsdPerMTok\": 0,"
        + " \"outputUsdPerMTok\": 0}";
    String policy = "{\"profiles\": {\"fast\": {\"model\": \"%s\"}, \"primary\": {\"model\": \"claude-sonnet-4-5\"}},"
        + " \"routing\": {\"interactiveChat\": \"fast\"}}";

    // When
    HttpResponse<String> byTeam = send("PUT", "/models/qwen3-8b", BETA, model);
    HttpResponse<String> byAdmin = send("PUT", "/models/qwen3-8b", ADMIN, model);
    HttpResponse<String> usesIt = send("PUT", "/teams/beta/policy", ADMIN, policy.formatted("qwen3-8b"));
    HttpResponse<String> unknown = send("PUT", "/teams/beta/policy", ADMIN, policy.formatted("qwen9"));
    HttpResponse<String> delete = send("DELETE", "/models/qwen3-8b", ADMIN, null);

    // Then
    assertThat(byTeam.statusCode()).isEqualTo(403);
    assertThat(byAdmin.statusCode()).isEqualTo(200);
    assertThat(usesIt.statusCode()).as(usesIt.body()).isEqualTo(200);
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(json(unknown).get("problems").get(0).asText())
        .isEqualTo("$.profiles.fast.model: 'qwen9' is not in the model catalog");
    assertThat(delete.statusCode()).isEqualTo(409);
    assertThat(json(delete).get("problems").get(0).asText()).startsWith("policy of team 'beta' $.profiles.fast");
    ModelSpec published = readTopic(topics.models()).get("qwen3-8b");
    assertThat(published.getProvider()).isEqualTo("ollama");
    assertThat(readTopic(topics.routingPolicies()).get("beta").getVersion()).isEqualTo(1);
  }

  @Test
  void resetPublishesAManualResetActionReadableAtOnce() throws Exception {
    // When
    HttpResponse<String> reset = send("POST", "/teams/alpha/budget/reset", ADMIN, null);
    HttpResponse<String> state = send("GET", "/teams/alpha/state", ALPHA, null);

    // Then
    assertThat(reset.statusCode()).isEqualTo(202);
    assertThat(json(reset).get("reason").asText()).isEqualTo("manual reset by admin");
    assertThat(json(state).get("state").asText()).isEqualTo("NORMAL");
    assertThat(json(state).get("manualReset").asBoolean()).isTrue();
    BudgetAction published = readTopic(topics.budgetActions()).get("alpha");
    assertThat(published.getManualReset()).isTrue();
    assertThat(published.getState()).isEqualTo(BudgetState.NORMAL);
    assertThat(published.getWindow()).isNull();
  }

  @Test
  void aggregatorsStateAfterAResetShowsWellBeforeTheReadYourWritesOverlayWouldExpire() throws Exception {
    // Given: a reset, then the aggregator's recomputed state
    send("POST", "/teams/eta/budget/reset", ADMIN, null);
    produce(topics.budgetActions(), "eta", BudgetAction.newBuilder().setTeamId("eta").setState(BudgetState.NOTIFY)
        .setReason("daily inputTokens at 85%").setSince(Instant.now()).build());

    // Then: the service's own write was recognised on the topic and no longer hides newer records
    await().atMost(Duration.ofSeconds(10)).until(() ->
        json(send("GET", "/teams/eta/state", ADMIN, null)).get("state").asText().equals("NOTIFY"));
  }

  @Test
  void totalsOnTheTopicAppearInUsageAsJsonAndText() throws Exception {
    // Given: a budget and the aggregator's totals of today and this month
    send("PUT", "/teams/gamma/budget", ADMIN, "{\"daily\": {\"inputTokens\": 100000}}");
    Instant now = Instant.now();
    BudgetMath.Window day = BudgetMath.window(WindowKind.DAILY, now, ZoneOffset.UTC);
    BudgetMath.Window month = BudgetMath.window(WindowKind.MONTHLY, now, ZoneOffset.UTC);
    Map<String, UsageBreakdown> sessions = new HashMap<>();
    sessions.put("s-1|claude-sonnet-4-5", new UsageBreakdown(1_000L, 300L, 0L, 7_500L, 0L, 1L));
    sessions.put("s-1|claude-haiku-4-5", new UsageBreakdown(500L, 100L, 0L, 1_000L, 0L, 1L));
    produce(topics.usageTotals(), BudgetMath.totalsKey("gamma", day), totals(day, 12_000, 3_000, sessions));
    produce(topics.usageTotals(), BudgetMath.totalsKey("gamma", month), totals(month, 40_000, 9_000, Map.of()));

    // When
    await().atMost(Duration.ofSeconds(30)).until(() ->
        json(send("GET", "/teams/gamma/usage", ADMIN, null)).get("monthly").get("inputTokens").asLong() == 40_000);
    JsonNode usage = json(send("GET", "/teams/gamma/usage", ADMIN, null));
    String text = send("GET", "/teams/gamma/usage?session=s-1", ADMIN, null, "text/plain").body();

    // Then
    assertThat(usage.get("daily").get("inputTokens").asLong()).isEqualTo(12_000);
    assertThat(usage.get("daily").get("share").get("fraction").decimalValue()).isEqualByComparingTo("0.12");
    assertThat(usage.get("sessions").get(0).get("id").asText()).isEqualTo("s-1");
    assertThat(text).contains("Session token usage (s-1):\n",
        "  Input: 1,500 tokens (claude-sonnet-4-5: 1,000 | claude-haiku-4-5: 500)\n",
        "  Estimated cost: $0.0085\n",
        "Daily usage: 12,000 input / 3,000 output tokens (12% of daily budget)");
  }

  @Test
  void alertsOnTheTopicAppearNewestFirstAndStatesShowInMetrics() throws Exception {
    // Given
    for (int i = 1; i <= 3; i++) {
      produce(topics.budgetAlerts(), "delta", BudgetAlert.newBuilder().setAlertId("delta|DAILY|x|" + i)
          .setTeamId("delta").setWindowStart("2026-11-22").setAt(Instant.now()).setState(BudgetState.NOTIFY)
          .setMessage("alert " + i).build());
    }
    produce(topics.budgetActions(), "delta", BudgetAction.newBuilder().setTeamId("delta")
        .setState(BudgetState.PAUSE).setReason("monthly limit reached").setSince(Instant.now()).build());

    // When
    await().atMost(Duration.ofSeconds(30)).until(() ->
        json(send("GET", "/teams/delta/alerts?limit=2", ADMIN, null)).size() == 2);
    JsonNode alerts = json(send("GET", "/teams/delta/alerts?limit=2", ADMIN, null));

    // Then
    assertThat(List.of(alerts.get(0).get("message").asText(), alerts.get(1).get("message").asText()))
        .containsExactly("alert 3", "alert 2");
    assertThat(send("GET", "/teams/delta/alerts", BETA, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/teams/delta/alerts?limit=0", ADMIN, null).statusCode()).isEqualTo(400);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(send("GET", "/metrics", null, null).body())
        .containsPattern("budget_team_state\\{[^}]*team=\"delta\"[^}]*} 3\\.0"));
    assertThat(teamsSeenBy(ADMIN)).contains("delta");
    assertThat(teamsSeenBy(BETA)).doesNotContain("delta", "alpha", "gamma");
  }

  @Test
  void metricsShowTheLagOfEveryTopicReader() throws Exception {
    // The readers of the compacted topics, of the alerts and of the recent results each have a series of their own
    String[] readers = {topics.budgetPolicies().name(), topics.routingPolicies().name(), topics.models().name(),
        topics.budgetActions().name(), topics.usageTotals().name(), "alerts", "results"};

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      String metrics = send("GET", "/metrics", null, null).body();
      for (String reader : readers) {
        assertThat(metrics).containsPattern("(?m)^kafka_consumer_fetch_manager_records_lag_max\\{[^}]*client_id=\""
            + java.util.regex.Pattern.quote("budget-service-" + reader) + "\"[^}]*} ");
      }
    });
  }

  // ---------------------------------------------------------------- helpers

  @Test
  void feedbackIsPublishedForTheTeamsOwnRequestsAndRefusedForAnotherTeamsAndOnBadInput() throws Exception {
    // Given one answered request of alpha and one of beta on llm.results
    Instant now = Instant.now();
    produce(topics.results(), "alpha", Results.unanswered("fb-alpha-1", "alpha", null, ResultStatus.OK, null, null,
        "routing table: codeReview → primary", "v1", 0, now));
    produce(topics.results(), "beta", Results.unanswered("fb-beta-1", "beta", null, ResultStatus.OK, null, null,
        "routing table: codeReview → primary", "v1", 0, now));
    // (budget-service reads llm.results on a thread of its own: wait until its dashboard shows both results)
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      String summary = send("GET", "/dashboard/summary", ADMIN, null).body();
      return summary.contains("fb-alpha-1") && summary.contains("fb-beta-1");
    });
    HttpResponse<String> betasOwn = send("POST", "/teams/beta/feedback", BETA,
        "{\"requestId\": \"fb-beta-1\", \"score\": 0.2, \"source\": \"test\"}");
    assertThat(json(betasOwn).get("matched").asBoolean()).as(betasOwn.body()).isTrue();

    // When alpha judges its own request, an unknown one, and beta's
    HttpResponse<String> own = send("POST", "/teams/alpha/feedback", ALPHA, "{\"requestId\": \"fb-alpha-1\", "
        + "\"score\": 0.9, \"source\": \"HUMAN\", \"sessionId\": \"s-7\", \"neededProfile\": \"primary\", "
        + "\"comment\": \"right answer\"}");
    HttpResponse<String> unknown = send("POST", "/teams/alpha/feedback", ADMIN,
        "{\"requestId\": \"fb-alpha-never-seen\", \"score\": 0, \"source\": \"JUDGE\"}");
    HttpResponse<String> others = send("POST", "/teams/alpha/feedback", ALPHA,
        "{\"requestId\": \"fb-beta-1\", \"score\": 0.0, \"source\": \"HUMAN\"}");
    HttpResponse<String> wrongToken = send("POST", "/teams/alpha/feedback", BETA,
        "{\"requestId\": \"fb-alpha-1\", \"score\": 0.0, \"source\": \"HUMAN\"}");
    HttpResponse<String> bad = send("POST", "/teams/alpha/feedback", ALPHA,
        "{\"requestId\": \"fb-alpha-1\", \"score\": 1.5, \"source\": \"ROBOT\", \"colour\": \"red\"}");
    HttpResponse<String> noScore = send("POST", "/teams/alpha/feedback", ALPHA,
        "{\"requestId\": \"fb-alpha-1\", \"source\": \"HUMAN\"}");

    // Then
    assertThat(own.statusCode()).as(own.body()).isEqualTo(202);
    assertThat(json(own).get("matched").asBoolean()).isTrue();
    assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(202);
    assertThat(json(unknown).get("matched").asBoolean()).isFalse();
    assertThat(others.statusCode()).isEqualTo(403);
    assertThat(json(others).get("error").asText()).contains("'fb-beta-1' is not a request of team 'alpha'");
    assertThat(wrongToken.statusCode()).isEqualTo(403);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(json(bad).get("problems")).extracting(JsonNode::asText).anySatisfy(p -> assertThat(p)
        .startsWith("$.colour: unknown field")).anySatisfy(p -> assertThat(p).startsWith("$.score: must be a number "
        + "from 0 to 1, got 1.5")).anySatisfy(p -> assertThat(p).startsWith("$.source: must be one of"));
    assertThat(noScore.statusCode()).isEqualTo(400);
    assertThat(json(noScore).get("problems").get(0).asText()).isEqualTo("$.score: is required (a number from 0 to 1)");

    List<FeedbackEvent> alpha = readValues(topics.feedback(), "alpha");
    assertThat(alpha).extracting(FeedbackEvent::getRequestId).containsExactlyInAnyOrder("fb-alpha-1",
        "fb-alpha-never-seen");
    FeedbackEvent judged = alpha.stream().filter(f -> f.getRequestId().equals("fb-alpha-1")).findFirst().orElseThrow();
    assertThat(judged.getScore()).isEqualTo(0.9);
    assertThat(judged.getSource()).isEqualTo(FeedbackSource.HUMAN);
    assertThat(judged.getSessionId()).isEqualTo("s-7");
    assertThat(judged.getNeededProfile()).isEqualTo("primary");
    assertThat(judged.getComment()).isEqualTo("right answer");
    assertThat(judged.getFeedbackId()).isEqualTo(json(own).get("feedbackId").asText());
    assertThat(judged.getEventTime()).isNotNull();
    assertThat(readValues(topics.feedback(), "beta")).extracting(FeedbackEvent::getRequestId)
        .as("beta's only feedback is its own").allMatch(id -> id.equals("fb-beta-1"));
    assertThat(service.registry().scrape()).contains("feedback_total{outcome=\"matched\",service=\"budget-service\",source=\"HUMAN\",team=\"alpha\"} 1.0")
        .contains("feedback_total{outcome=\"unmatched\",service=\"budget-service\",source=\"JUDGE\",team=\"alpha\"} 1.0")
        .contains("feedback_total{outcome=\"refused\",service=\"budget-service\",source=\"HUMAN\",team=\"alpha\"} 1.0");
  }

  @Test
  void learnedModelVersionsAreListedAndOnlyTheAdminPinsOneThatIsKept() throws Exception {
    // Given two versions of alpha's learned model on llm.router.models, as the learner publishes them
    for (long version = 1; version <= 2; version++) {
      produce(topics.routerModels(), Topics.routerModelKey("alpha", version), new RouterModel("alpha", version,
          "shipped-437", version * 3, Instant.parse("2026-12-06T10:00:00Z").plusSeconds(version),
          List.of()));
    }
    await().atMost(Duration.ofSeconds(30)).until(() ->
        json(send("GET", "/teams/alpha/learned-model", ALPHA, null)).get("versions").size() == 2);
    JsonNode listed = json(send("GET", "/teams/alpha/learned-model", ALPHA, null));
    assertThat(listed.get("latest").asLong()).isEqualTo(2);
    assertThat(listed.get("inUse").asLong()).isEqualTo(2);
    assertThat(listed.get("pin").isNull()).isTrue();
    assertThat(listed.get("versions").get(0).get("feedbackApplied").asLong()).isEqualTo(3);
    assertThat(send("GET", "/teams/alpha/learned-model", BETA, null).statusCode()).isEqualTo(403);

    // When a team token, then the admin with a version not kept, a bad body, and a kept version try to pin
    HttpResponse<String> byTeam = send("PUT", "/teams/alpha/learned-model/pin", ALPHA, "{\"version\": 1}");
    HttpResponse<String> missing = send("PUT", "/teams/alpha/learned-model/pin", ADMIN, "{\"version\": 7}");
    HttpResponse<String> negative = send("PUT", "/teams/alpha/learned-model/pin", ADMIN, "{\"version\": -1}");
    HttpResponse<String> pinned = send("PUT", "/teams/alpha/learned-model/pin", ADMIN,
        "{\"version\": 1, \"reason\": \"version 2 sends reviews to fast\"}");

    // Then only the last is accepted, and the pin is on llm.router.model.pins for the routers
    assertThat(byTeam.statusCode()).isEqualTo(403);
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(json(missing).get("problems").get(0).asText()).startsWith("$.version: team 'alpha' has no learned "
        + "model version 7");
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(json(negative).get("problems").get(0).asText()).startsWith("$.version: must be a whole number");
    assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(200);
    assertThat(json(pinned).get("inUse").asLong()).isEqualTo(1);
    assertThat(json(pinned).get("pin").get("pinnedBy").asText()).isEqualTo("admin");
    RouterModelPin pin = readValues(topics.routerModelPins(), "alpha").getLast();
    assertThat(pin.getVersion()).isEqualTo(1);
    assertThat(pin.getReason()).isEqualTo("version 2 sends reviews to fast");

    // And unpinning follows the latest again; a second unpin finds nothing
    HttpResponse<String> unpinned = send("DELETE", "/teams/alpha/learned-model/pin", ADMIN, null);
    assertThat(unpinned.statusCode()).isEqualTo(200);
    assertThat(json(unpinned).get("inUse").asLong()).isEqualTo(2);
    assertThat(send("DELETE", "/teams/alpha/learned-model/pin", ADMIN, null).statusCode()).isEqualTo(404);
  }

  private List<String> teamsSeenBy(String token) throws Exception {
    List<String> teams = new ArrayList<>();
    json(send("GET", "/teams", token, null)).forEach(t -> teams.add(t.get("team").asText()));
    return teams;
  }

  private static UsageTotals totals(BudgetMath.Window window, long input, long output,
      Map<String, UsageBreakdown> sessions) {
    return UsageTotals.newBuilder().setTeamId("gamma").setWindow(window.kind()).setWindowStart(window.start())
        .setStartTime(window.from()).setEndTime(window.until()).setInputTokens(input).setOutputTokens(output)
        .setCostMicros(input * 3).setBySession(sessions).build();
  }

  private <V> void produce(Topic<String, V> topic, String key, V value) throws Exception {
    producer.send(new ProducerRecord<>(topic.name(), topic.serializeKey(key), topic.serializeValue(value))).get();
  }

  /** Every value on the topic under {@code key}, in offset order per partition. */
  private <V> List<V> readValues(Topic<String, V> topic, String key) {
    return stack.readCommitted(topic).stream().filter(e -> key.equals(e.getKey()) && e.getValue() != null)
        .map(Map.Entry::getValue).toList();
  }

  /** The topic's current table (latest value per key, tombstones applied). */
  @Test
  void teamWithoutSelfServiceMayNotLiftItsCapAndEachRefusalNamesThePermission() throws Exception {
    // Given: kappa's budget pauses it, set by the admin, no self-service
    assertThat(send("PUT", "/teams/kappa/budget", ADMIN, "{\"daily\": {\"inputTokens\": 1000, \"action\":"
        + " \"pause\"}}").statusCode()).isEqualTo(200);
    String budget = "{\"daily\": {\"inputTokens\": 1000000000}}";
    String policy = "{\"profiles\": {\"primary\": {\"model\": \"claude-sonnet-4-5\"}}}";
    List<List<String>> attempts = List.of(
        List.of("PUT", "/teams/kappa/budget", budget, "budget.write"),
        List.of("DELETE", "/teams/kappa/budget", "", "budget.delete"),
        List.of("POST", "/teams/kappa/budget/reset", "", "budget.reset"),
        List.of("PUT", "/teams/kappa/policy", policy, "policy.write"),
        List.of("DELETE", "/teams/kappa/policy", "", "policy.delete"),
        List.of("PUT", "/policies/default", policy, "default-policy.write"),
        List.of("PUT", "/teams/kappa/learned-model/pin", "{\"version\": 0}", "learned-model.pin"));

    for (List<String> attempt : attempts) {
      // When
      HttpResponse<String> response = send(attempt.get(0), attempt.get(1), KAPPA,
          attempt.get(2).isEmpty() ? null : attempt.get(2));

      // Then
      assertThat(response.statusCode()).as(attempt.toString()).isEqualTo(403);
      assertThat(json(response).get("permission").asText()).as(attempt.toString()).isEqualTo(attempt.get(3));
      assertThat(json(response).get("error").asText()).as(attempt.toString())
          .startsWith("the team token of 'kappa' may not ").contains("(permission " + attempt.get(3) + ")")
          .doesNotContain(KAPPA);
    }
    assertThat(readTopic(topics.budgetPolicies()).get("kappa").getVersion()).isEqualTo(1);
    assertThat(readTopic(topics.budgetActions())).doesNotContainKey("kappa");
    assertThat(readTopic(topics.routingPolicies())).doesNotContainKey("kappa");
    assertThat(readAll(topics.adminChanges())).filteredOn(e -> e.getKey().equals("kappa")).hasSize(1);
  }

  @Test
  void adminGrantsSelfServiceAndTheTeamMayThenChangeItsLimitsAndLiftItsPauseButNotTheGrant() throws Exception {
    // Given
    HttpResponse<String> grant = send("PUT", "/teams/lambda/budget", ADMIN,
        "{\"selfService\": true, \"daily\": {\"inputTokens\": 1000, \"action\": \"pause\"}}");

    // When
    HttpResponse<String> raise = send("PUT", "/teams/lambda/budget", LAMBDA, "{\"daily\": {\"inputTokens\": 5000}}");
    HttpResponse<String> reset = send("POST", "/teams/lambda/budget/reset", LAMBDA, null);
    HttpResponse<String> revokeItself = send("PUT", "/teams/lambda/budget", LAMBDA,
        "{\"selfService\": false, \"daily\": {\"inputTokens\": 5000}}");
    HttpResponse<String> delete = send("DELETE", "/teams/lambda/budget", LAMBDA, null);
    HttpResponse<String> policy = send("PUT", "/teams/lambda/policy", LAMBDA,
        "{\"profiles\": {\"primary\": {\"model\": \"claude-sonnet-4-5\"}}}");
    HttpResponse<String> otherTeam = send("POST", "/teams/kappa/budget/reset", LAMBDA, null);

    // Then: granted
    assertThat(grant.statusCode()).as(grant.body()).isEqualTo(200);
    assertThat(json(grant).get("selfService").asBoolean()).isTrue();
    assertThat(raise.statusCode()).as(raise.body()).isEqualTo(200);
    assertThat(json(raise).get("version").asLong()).isEqualTo(2);
    assertThat(json(raise).get("selfService").asBoolean()).as("a PUT without the flag keeps the grant").isTrue();
    assertThat(json(raise).get("daily").get("inputTokens").asLong()).isEqualTo(5000);
    assertThat(reset.statusCode()).isEqualTo(202);
    assertThat(json(reset).get("reason").asText()).isEqualTo("manual reset by team token of lambda");
    // Then: never the grant itself, a deletion, the routing policy or another team
    assertThat(revokeItself.statusCode()).isEqualTo(403);
    assertThat(json(revokeItself).get("permission").asText()).isEqualTo("budget.grant-self-service");
    assertThat(delete.statusCode()).isEqualTo(403);
    assertThat(json(delete).get("permission").asText()).isEqualTo("budget.delete");
    assertThat(policy.statusCode()).isEqualTo(403);
    assertThat(json(policy).get("permission").asText()).isEqualTo("policy.write");
    assertThat(otherTeam.statusCode()).isEqualTo(403);
    assertThat(json(otherTeam).get("error").asText()).endsWith("a team token reaches only its own team");
    BudgetPolicy published = readTopic(topics.budgetPolicies()).get("lambda");
    assertThat(published.getVersion()).isEqualTo(2);
    assertThat(published.getSelfService()).isTrue();

    // When: the admin takes the grant back
    HttpResponse<String> revoke = send("PUT", "/teams/lambda/budget", ADMIN,
        "{\"selfService\": false, \"daily\": {\"inputTokens\": 5000}}");
    HttpResponse<String> after = send("PUT", "/teams/lambda/budget", LAMBDA, "{\"daily\": {\"inputTokens\": 9000}}");

    // Then
    assertThat(revoke.statusCode()).isEqualTo(200);
    assertThat(after.statusCode()).isEqualTo(403);
    assertThat(json(after).get("permission").asText()).isEqualTo("budget.write");
  }

  @Test
  void everyChangeIsAnEventWithWhoAndWhenShownInUsage() throws Exception {
    // Given
    Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);

    // When
    List<HttpResponse<String>> responses = List.of(
        send("PUT", "/teams/mu/budget", ADMIN, "{\"selfService\": true, \"daily\": {\"outputTokens\": 7000}}"),
        send("PUT", "/teams/mu/policy", ADMIN, "{\"profiles\": {\"fast\": {\"model\": \"claude-haiku-4-5\"},"
            + " \"primary\": {\"model\": \"claude-sonnet-4-5\"}}, \"routing\": {\"interactiveChat\": \"fast\"}}"),
        send("POST", "/teams/mu/budget/reset", ADMIN, null));
    Instant after = Instant.now();

    // Then: on the topic, in order, each with who and when
    assertThat(responses).extracting(HttpResponse::statusCode).containsExactly(200, 200, 202);
    List<AdminChange> changes = readAll(topics.adminChanges()).stream().filter(e -> e.getKey().equals("mu"))
        .map(Map.Entry::getValue).toList();
    assertThat(changes).extracting(AdminChange::getAction).containsExactly("budget.write", "policy.write",
        "budget.reset");
    assertThat(changes).extracting(AdminChange::getBy).containsOnly("admin");
    assertThat(changes).allSatisfy(c -> assertThat(c.getAt()).isBetween(before, after));
    assertThat(changes.get(0).getVersion()).isEqualTo(1);
    assertThat(changes.get(0).getTarget()).isEqualTo(topics.budgetPolicies().name() + "/mu");
    assertThat(MAPPER.readTree(changes.get(0).getDocument()).get("daily").get("outputTokens").asLong())
        .isEqualTo(7000);
    // Then: in /usage and /changes, newest first
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode usage = json(send("GET", "/teams/mu/usage", ADMIN, null));
      assertThat(usage.get("changes")).extracting(n -> n.get("action").asText())
          .containsExactly("budget.reset", "policy.write", "budget.write");
    });
    JsonNode listed = json(send("GET", "/teams/mu/changes?limit=2", ADMIN, null));
    assertThat(listed).hasSize(2);
    assertThat(listed.get(0).get("by").asText()).isEqualTo("admin");
    assertThat(listed.get(0).get("at").asText()).isEqualTo(changes.get(2).getAt().toString());
    String text = send("GET", "/teams/mu/usage", ADMIN, null, "text/plain").body();
    assertThat(text).contains("Changes (newest first):\n  " + changes.get(2).getAt() + " budget.reset by admin\n")
        .contains(" budget.write v1 by admin\n");
  }

  private <V> Map<String, V> readTopic(Topic<String, V> topic) {
    Map<String, V> table = new HashMap<>();
    for (Map.Entry<String, V> record : readAll(topic)) {
      if (record.getValue() == null) {
        table.remove(record.getKey());
      } else {
        table.put(record.getKey(), record.getValue());
      }
    }
    return table;
  }

  private <V> List<Map.Entry<String, V>> readAll(Topic<String, V> topic) {
    return stack.readCommitted(topic);
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    return send(method, path, token, body, "application/json");
  }

  private HttpResponse<String> send(String method, String path, String token, String body, String accept)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + service.port() + path))
        .header("Accept", accept)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body());
  }
}
