package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.PromotionStep;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router on a real broker and registry: a mixed workload, a policy change, then RESTRICT and PAUSE, live. */
@IntegrationTest
class RouterIT {
  private Topics topics;
  private RouterService router;
  private KafkaProducer<String, byte[]> producer;
  private final Map<String, RoutedRequest> routed = new ConcurrentHashMap<>();
  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final List<ConsumerRecord<byte[], byte[]>> dead = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    String prefix = stack.uniqueName("router") + ".";
    topics = stack.createTopics(prefix, 4);
    Settings settings = Settings.of(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4",
        "router.application.id", prefix + "router",
        "router.state.dir", state.toString(),
        "router.threads", "1"));
    router = new RouterService(settings).start();
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    reader = Thread.ofVirtual().start(() -> readOutputs(stack, prefix));
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws InterruptedException {
    reading.set(false);
    reader.join(10_000);
    producer.close();
    router.close();
  }

  @Test
  void routesAMixedWorkloadThenAppliesAPolicyChangeARestrictAndAPauseWhileRunning() throws Exception {
    // A mixed workload: three teams, the development loop's task types, two invalid requests and a poison record
    List<String> taskTypes = List.of("research", "planning", "implementation", "codeReview", "interactiveChat",
        "hookActions", "specGeneration", "documentationUpdate", "validation");
    // Some pin a profile or a catalog model
    Map<String, InferenceRequest> valid = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 120; i++) {
      String team = "team-" + (char) ('a' + i % 3);
      String pin = i % 7 == 3 ? "fast" : i % 5 == 4 ? "claude-sonnet-4-0" : "auto";
      InferenceRequest r = request(taskTypes.get(i % taskTypes.size()), "Task " + i + ": update the handler.")
          .setRequestId("mixed-" + i).setTeamId(team).setTier(i % 2 == 0 ? "power" : "pro").setModel(pin).build();
      send(r);
      valid.put(r.getRequestId(), r);
    }
    send(request("interactiveChat", "x").setRequestId("bad-empty").setMessages(List.of()).build());
    send(request("interactiveChat", "x").setRequestId("bad-pin").setModel("gpt-17").build());
    producer.send(new ProducerRecord<>(topics.requests().name(), "team-a", new byte[] {9, 9, 9, 9, 9, 9})).get();

    await().atMost(Duration.ofSeconds(60)).until(() -> routed.keySet().containsAll(valid.keySet())
        && results.containsKey("bad-empty") && results.containsKey("bad-pin") && !dead.isEmpty());
    // Every routed request went where the shipped policy sends its task type, tier and pin
    for (InferenceRequest r : valid.values()) {
      assertThat(routed.get(r.getRequestId()).getDecision().getProfile())
          .as("%s: %s, tier %s, model %s", r.getRequestId(), r.getTaskType(), r.getTier(), r.getModel())
          .isEqualTo(expectedProfile(r));
    }
    assertThat(valid.values()).extracting(this::expectedProfile)
        .contains("frontier", "primary", "fast", "pinned");   // the workload covers every kind of outcome
    assertThat(results.get("bad-empty").getErrorMessage()).isEqualTo("messages: must hold at least one message");
    assertThat(results.get("bad-pin").getErrorCode()).isEqualTo("UNKNOWN_MODEL");
    assertThat(new String(dead.get(0).headers().lastHeader("dlq.error.class").value()))
        .endsWith("WireFormatException");

    // When team-b's policy changes on the topic, its next chats follow it, with the new version on the decision
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.setTeamId("team-b");
    policy.setVersion(2);
    policy.getRouting().put("interactiveChat", "primary");
    producer.send(new ProducerRecord<>(topics.routingPolicies().name(), "team-b",
        topics.routingPolicies().serializeValue(policy))).get();
    RoutedRequest afterPolicy = probeUntil("team-b", "interactiveChat", r -> r.getDecision().getPolicyVersion().equals("team-b@2"));
    assertThat(afterPolicy.getDecision().getProfile()).isEqualTo("primary");

    // When team-a is restricted, everything it sends goes to the fast profile
    publish(BudgetState.RESTRICT);
    RoutedRequest restricted = probeUntil("team-a", "specGeneration",
        r -> r.getDecision().getBudgetState() == BudgetState.RESTRICT);
    assertThat(restricted.getDecision().getProfile()).isEqualTo("fast");
    assertThat(restricted.getDecision().getReason()).contains("budget RESTRICT: primary → fast");

    // When team-a is paused, it gets PAUSED results at once and nothing is routed
    publish(BudgetState.PAUSE);
    InferenceResult paused = probePausedUntil("team-a");
    assertThat(paused.getErrorMessage()).contains("POST /teams/team-a/budget/reset");

    // Nothing was doubled: every request has exactly one outcome
    assertThat(duplicates).isEmpty();
    assertThat(routed.keySet()).doesNotContainAnyElementsOf(results.keySet());

    // The router counted what it did, for Prometheus
    String scrape = router.registry().scrape();
    assertThat(scrape).contains("router_requests_total{budget_state=\"RESTRICT\",code=\"\",model=\"claude-haiku-4-5\","
        + "outcome=\"routed\",profile=\"fast\",reason=\"restrict\"");
    assertThat(scrape).contains("outcome=\"paused\"").contains("outcome=\"rejected\"")
        .contains("outcome=\"dead_lettered\"");
    assertThat(scrape).contains("kafka_consumer_fetch_manager_records_lag_max");
    assertThat(router.health().healthy()).isTrue();
  }

  /**
   * The profile the shipped policy gives a request, from the policy's own data: a pinned profile, or a pinned model
   * ("pinned"), or the routing table with the hybrid step (promotion out of the profile, demotion of demoteFrom
   * unless the task type is in neverDemote) on the estimator's score; then the tier's entitlement.
   */
  private String expectedProfile(InferenceRequest r) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    AutoRouting auto = policy.getAuto();
    List<String> tier = policy.getTiers().get(r.getTier()).getProfiles();
    String profile;
    if (policy.getProfiles().containsKey(r.getModel())) {
      profile = r.getModel();
    } else if (!r.getModel().equals("auto")) {
      boolean usable = tier.contains("*") || tier.stream().anyMatch(p -> policy.getProfiles().get(p).getModel()
          .equals(r.getModel()));
      return usable ? "pinned" : tier.get(0);
    } else {
      profile = policy.getRouting().get(r.getTaskType());
      double score = new ComplexityEstimator().score(r, new RoutingEngine(new ComplexityEstimator()).inputTokens(r), 0)
          .value();
      PromotionStep step = auto.getPromote().get(profile);
      if (step != null && score > step.getAbove()) {
        profile = step.getTo();
      } else if (profile.equals(auto.getDemoteFrom()) && score < auto.getDemoteBelow()
          && !auto.getNeverDemote().contains(r.getTaskType())) {
        profile = auto.getDemoteTo();
      }
    }
    return tier.contains("*") || tier.contains(profile) ? profile : tier.get(0);
  }

  /** Sends probe requests until one is routed the way {@code done} expects (the change took effect). */
  private RoutedRequest probeUntil(String team, String taskType, java.util.function.Predicate<RoutedRequest> done) {
    int[] n = {0};
    RoutedRequest[] seen = new RoutedRequest[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      String id = "probe-" + team + "-" + taskType + "-" + n[0]++;
      send(request(taskType, "probe").setRequestId(id).setTeamId(team).build());
      await().atMost(Duration.ofSeconds(20)).until(() -> routed.containsKey(id) || results.containsKey(id));
      seen[0] = routed.get(id);
      return seen[0] != null && done.test(seen[0]);
    });
    return seen[0];
  }

  private InferenceResult probePausedUntil(String team) {
    int[] n = {0};
    InferenceResult[] seen = new InferenceResult[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      String id = "pause-" + n[0]++;
      send(request("specGeneration", "probe").setRequestId(id).setTeamId(team).build());
      await().atMost(Duration.ofSeconds(20)).until(() -> routed.containsKey(id) || results.containsKey(id));
      seen[0] = results.get(id);
      return seen[0] != null && seen[0].getStatus() == ResultStatus.PAUSED;
    });
    return seen[0];
  }

  private void publish(BudgetState state) throws Exception {
    BudgetAction action = BudgetAction.newBuilder().setTeamId("team-a").setState(state).setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22").setMetric("inputTokens").setUsage(1).setLimit(1).setFraction(1.0)
        .setDailyState(state).setMonthlyState(BudgetState.NORMAL).setReason("test " + state)
        .setSince(Instant.now()).setPolicyVersion(1).setManualReset(false).build();
    producer.send(new ProducerRecord<>(topics.budgetActions().name(), "team-a",
        topics.budgetActions().serializeValue(action))).get();
  }

  private void send(InferenceRequest request) throws Exception {
    producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
        topics.requests().serializeValue(request))).get();
  }

  private void readOutputs(KafkaStack stack, String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer());
        KafkaConsumer<byte[], byte[]> dlqConsumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "dlq-reader"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.routed().name(), topics.results().name()));
      dlqConsumer.subscribe(List.of(topics.dlq().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.routed().name())) {
            RoutedRequest r = topics.routed().deserializeValue(record.value());
            if (routed.put(r.getRequest().getRequestId(), r) != null) {
              duplicates.add(r.getRequest().getRequestId());
            }
          } else {
            InferenceResult r = topics.results().deserializeValue(record.value());
            if (results.put(r.getRequestId(), r) != null) {
              duplicates.add(r.getRequestId());
            }
          }
        }
        dlqConsumer.poll(Duration.ofMillis(10)).forEach(dead::add);
      }
    }
  }
}
