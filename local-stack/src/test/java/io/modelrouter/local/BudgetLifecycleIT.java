package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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

/**
 * Every service on the embedded broker and registry, no mock of our own: a small daily budget set over HTTP,
 * traffic through the real topics (simulated provider), NOTIFY, then RESTRICT (the router sends to the fast
 * profile), then PAUSE (PAUSED results), alerts on the topic, a reset over HTTP, and traffic flows again.
 */
@IntegrationTest
class BudgetLifecycleIT {
  private static final String ADMIN = "lifecycle-admin-token";
  private static final String TEAM = "demo";
  private static final long DAILY_OUTPUT = 12_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final List<BudgetAlert> alerts = new CopyOnWriteArrayList<>();
  private final List<BudgetAction> actions = new CopyOnWriteArrayList<>();
  private final List<UsageEvent> usage = new CopyOnWriteArrayList<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private Topics topics;
  private KafkaProducer<String, byte[]> producer;
  private TestServices services;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    String prefix = stack.uniqueName("lifecycle") + ".";
    topics = stack.createTopics(prefix, 2);
    services = new TestServices(stack, prefix, 2, state);
    services.budget(Map.of("budget.admin.token", ADMIN));
    AggregatorService aggregator = services.aggregator(Map.of("aggregator.totals.interval", "200"));
    RouterService router = services.router("router", Map.of());
    services.worker(Map.of("worker.simulate", "all", "simulator.latency", "20", "simulator.output.tokens", "300"));
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    reader = Thread.ofVirtual().start(() -> read(stack, prefix));
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING
        && aggregator.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws Exception {
    reading.set(false);
    reader.join(10_000);
    producer.close();
    services.close();
  }

  @Test
  void aSmallBudgetGoesNotifyRestrictPauseAndAResetLetsTrafficFlowAgain() throws Exception {
    // Given: a daily output budget, notify at 50%, restrict at 80%, pause at the limit
    HttpResponse<String> put = send("PUT", "/teams/" + TEAM + "/budget", """
        {"daily": {"outputTokens": %d, "alertThresholds": [0.5], "action": "pause",
                   "escalations": [{"at": 0.8, "action": "restrict"}]}}""".formatted(DAILY_OUTPUT));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(30)).until(() -> send("GET", "/teams/" + TEAM + "/budget", null)
        .statusCode() == 200);

    // When: the team sends implementation requests (pinned to primary) one after another until it is paused
    List<InferenceResult> answered = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      InferenceResult result = submit("req-" + i);
      answered.add(result);
      if (result.getStatus() == ResultStatus.PAUSED) {
        break;
      }
    }

    // Then: NOTIFY annotated primary requests, RESTRICT sent them to fast, then PAUSED answers came at once
    InferenceResult last = answered.getLast();
    assertThat(last.getStatus()).as("the team was paused within 200 requests").isEqualTo(ResultStatus.PAUSED);
    assertThat(last.getErrorMessage()).contains("POST /teams/demo/budget/reset");
    assertThat(answered).anySatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
      assertThat(r.getProfile()).isEqualTo("primary");
      assertThat(r.getRoutingReason()).contains("budget NOTIFY");
    });
    assertThat(answered).anySatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
      assertThat(r.getProfile()).isEqualTo("fast");
      assertThat(r.getRoutingReason()).contains("budget RESTRICT: primary → fast");
    });
    int firstFast = indexOf(answered, "fast");
    assertThat(answered.subList(firstFast, answered.size() - 1))
        .as("once restricted, every request goes to the fast profile")
        .allSatisfy(r -> assertThat(r.getProfile()).isEqualTo("fast"));

    // The aggregator published each state change once (a repeated action would show as a repeated state), and one
    // alert per threshold crossed
    await().atMost(Duration.ofSeconds(30)).until(() -> statesOf(actions).contains(BudgetState.PAUSE));
    assertThat(statesOf(actions)).containsExactly(BudgetState.NOTIFY, BudgetState.RESTRICT, BudgetState.PAUSE);
    assertThat(alerts).extracting(BudgetAlert::getThreshold).containsExactlyInAnyOrder(0.5, 0.8, 1.0);
    JsonNode state = json(send("GET", "/teams/" + TEAM + "/state", null));
    assertThat(state.toString()).contains("PAUSE");

    // The overshoot is bounded: the requests in flight at the crossing (here one at a time) write past the limit
    long written = usage.stream().mapToLong(UsageEvent::getOutputTokens).sum();
    assertThat(written).isBetween(DAILY_OUTPUT, DAILY_OUTPUT + 2 * 300 * 2);

    // When: an admin resets the team over HTTP
    HttpResponse<String> reset = send("POST", "/teams/" + TEAM + "/budget/reset", null);
    assertThat(reset.statusCode()).as(reset.body()).isEqualTo(202);

    // Then: traffic flows again (still restricted: the day's usage is over the restrict threshold)
    InferenceResult after = await().atMost(Duration.ofSeconds(30)).until(
        () -> submit("after-reset-" + System.nanoTime()), r -> r.getStatus() == ResultStatus.OK);
    assertThat(after.getProfile()).isEqualTo("fast");
    // ... and the aggregator answered the reset with one action: lifted from PAUSE, still restricted
    await().atMost(Duration.ofSeconds(30)).until(() -> statesOf(actions).size() > 3);
    assertThat(statesOf(actions))
        .containsExactly(BudgetState.NOTIFY, BudgetState.RESTRICT, BudgetState.PAUSE, BudgetState.RESTRICT);

    // And /usage agrees, number for number, with the usage events on the topic
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<UsageEvent> events = List.copyOf(usage);
      long output = events.stream().mapToLong(UsageEvent::getOutputTokens).sum();
      JsonNode report = json(send("GET", "/teams/" + TEAM + "/usage", null));
      for (String window : List.of("daily", "monthly")) {
        JsonNode totals = report.get(window);
        assertThat(totals.get("outputTokens").asLong()).as(window + " output").isEqualTo(output);
        assertThat(totals.get("inputTokens").asLong()).as(window + " input")
            .isEqualTo(events.stream().mapToLong(UsageEvent::getInputTokens).sum());
        assertThat(totals.get("costMicros").asLong()).as(window + " cost")
            .isEqualTo(events.stream().mapToLong(UsageEvent::getCostMicros).sum());
        assertThat(totals.get("calls").asLong()).as(window + " calls").isEqualTo(events.size());
      }
      JsonNode share = report.get("daily").get("share");
      assertThat(share.get("metric").asText()).isEqualTo("outputTokens");
      assertThat(share.get("used").asLong()).isEqualTo(output);
      assertThat(share.get("limit").asLong()).isEqualTo(DAILY_OUTPUT);
    });
  }

  private static int indexOf(List<InferenceResult> answered, String profile) {
    for (int i = 0; i < answered.size(); i++) {
      if (profile.equals(answered.get(i).getProfile())) {
        return i;
      }
    }
    throw new AssertionError("no result from profile " + profile);
  }

  /** The states the aggregator published, in order and each as often as published (manual resets left out). */
  private static List<BudgetState> statesOf(List<BudgetAction> actions) {
    return actions.stream().filter(a -> !a.getManualReset()).map(BudgetAction::getState).toList();
  }

  private InferenceResult submit(String requestId) throws Exception {
    InferenceRequest request = SampleRecords.request(requestId, TEAM);
    request.setTaskType("implementation");
    // pinned to the primary profile: this test is about the budget's states, not where the model would send it
    request.setModel("primary");
    request.setDeadline(null);
    request.setCreatedAt(Instant.now());
    producer.send(new ProducerRecord<>(topics.requests().name(), TEAM, topics.requests().serializeValue(request)))
        .get();
    return await().atMost(Duration.ofSeconds(30)).until(() -> results.get(requestId), r -> r != null);
  }

  private void read(KafkaStack stack, String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name(), topics.budgetAlerts().name(),
          topics.budgetActions().name(), topics.usage().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (!TEAM.equals(record.key()) || record.value() == null) {
            continue;
          }
          String topic = record.topic();
          if (topic.equals(topics.results().name())) {
            InferenceResult r = topics.results().deserializeValue(record.value());
            results.put(r.getRequestId(), r);
          } else if (topic.equals(topics.budgetAlerts().name())) {
            alerts.add(topics.budgetAlerts().deserializeValue(record.value()));
          } else if (topic.equals(topics.budgetActions().name())) {
            actions.add(topics.budgetActions().deserializeValue(record.value()));
          } else {
            usage.add(topics.usage().deserializeValue(record.value()));
          }
        }
      }
    }
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return services.call(method, path, ADMIN, body);
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body());
  }
}
