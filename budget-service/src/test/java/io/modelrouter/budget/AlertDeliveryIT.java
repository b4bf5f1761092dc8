package io.modelrouter.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Topics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Budget alerts posted to webhooks, against a local HTTP receiver: a receiver that fails and recovers, a Slack-shaped
 * one, one that never recovers (the DLQ), signatures checked with the shared key, and no second delivery after a
 * restart.
 */
@IntegrationTest
class AlertDeliveryIT {
  private static final String ADMIN = "admin-alert-delivery";
  private static final String KEY = "whsec-test-key";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request a receiver got. */
  record Received(String path, Map<String, String> headers, String body) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private HttpServer receiver;
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private BudgetService service;

  @BeforeEach
  void start(KafkaStack stack) throws IOException {
    this.stack = stack;
    prefix = stack.uniqueName("alerts") + ".";
    topics = stack.createTopics(prefix, 2);
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", this::receive);
    receiver.start();
    service = service();
  }

  @AfterEach
  void stop() {
    if (service != null) {
      service.close();
    }
    receiver.stop(0);
  }

  private BudgetService service() {
    String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
    Map<String, String> settings = new HashMap<>(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "2",
        "budget.http.port", "0",
        "budget.admin.token", ADMIN,
        "alerts.webhooks", "flaky,chat,down",
        "alerts.delivery.group", prefix + "alert-delivery",
        "alerts.delivery.backoff", "50",
        "alerts.delivery.max.backoff", "200"));
    settings.putAll(Map.of(
        "alerts.delivery.max.attempts", "3",
        "alerts.webhook.flaky.url", base + "/flaky",
        "alerts.webhook.flaky.secret", KEY,
        "alerts.webhook.chat.url", base + "/chat",
        "alerts.webhook.chat.format", "slack",
        "alerts.webhook.down.url", base + "/down"));
    return new BudgetService(Settings.of(settings)).start();
  }

  /** /flaky answers 503 twice, then 200; /down always 500; /chat 200. */
  private void receive(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Map<String, String> headers = new HashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    received.add(new Received(path, headers, body));
    int n = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    int status = switch (path) {
      case "/flaky" -> n <= 2 ? 503 : 200;
      case "/down" -> 500;
      default -> 200;
    };
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  private int put(String path, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + service.port()
            + path)).header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  private void publish(BudgetAlert alert) throws Exception {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
        stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.budgetAlerts().name(), alert.getTeamId(),
          topics.budgetAlerts().serializeValue(alert))).get();
    }
  }

  private static BudgetAlert alert(String team) {
    return BudgetAlert.newBuilder().setAlertId(team + "|DAILY|2026-12-06|0.8").setTeamId(team)
        .setWindow(WindowKind.DAILY).setWindowStart("2026-12-06").setThreshold(0.8).setFraction(0.82)
        .setMetric("outputTokens").setUsage(41_000).setLimit(50_000).setState(BudgetState.NOTIFY)
        .setPreviousState(BudgetState.NORMAL).setMessage("daily outputTokens at 82% (41,000 of 50,000)")
        .setAt(Instant.parse("2026-12-06T14:00:00Z")).setPolicyVersion(1).build();
  }

  private List<Received> at(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Test
  void alertsArePostedSignedRetriedDeadLetteredAndNotDeliveredTwiceAfterARestart() throws Exception {
    assertThat(put("/teams/alpha/budget", "{\"daily\": {\"outputTokens\": 50000}, \"webhooks\": [\"flaky\", \"chat\"]}"))
        .isEqualTo(200);
    assertThat(put("/teams/beta/budget", "{\"daily\": {\"outputTokens\": 50000}, \"webhooks\": [\"down\"]}"))
        .isEqualTo(200);
    // a webhook budget-service does not know is refused, naming it
    assertThat(put("/teams/gamma/budget", "{\"daily\": {\"outputTokens\": 1}, \"webhooks\": [\"nope\"]}"))
        .isEqualTo(400);

    publish(alert("alpha"));
    publish(alert("beta"));

    // The flaky receiver gets the alert three times (503, 503, 200), each with the same idempotency key
    await().atMost(Duration.ofSeconds(60)).until(() -> at("/flaky").size() >= 3 && at("/chat").size() >= 1
        && at("/down").size() >= 3);
    List<Received> flaky = at("/flaky");
    assertThat(flaky).hasSize(3).allSatisfy(r -> {
      assertThat(r.headers().get("idempotency-key")).isEqualTo("alpha|DAILY|2026-12-06|0.8");
      // the signature: t=<unix seconds>,v1=hex(HMAC-SHA256(key, t + "." + body)), computed here with the JDK
      String[] parts = r.headers().get("x-modelrouter-signature").split(",");
      String t = parts[0].substring(2);
      assertThat(parts[1]).isEqualTo("v1=" + hmac(KEY, t + "." + r.body()));
    });
    JsonNode generic = JSON.readTree(flaky.get(2).body());
    assertThat(generic.get("teamId").asText()).isEqualTo("alpha");
    assertThat(generic.get("state").asText()).isEqualTo("NOTIFY");
    assertThat(generic.get("fraction").asDouble()).isEqualTo(0.82);
    assertThat(generic.get("limit").asLong()).isEqualTo(50_000);

    // The Slack-compatible body is {"text": ...}, unsigned (no key configured)
    Received chat = at("/chat").get(0);
    assertThat(JSON.readTree(chat.body()).get("text").asText()).contains("*alpha*").contains("daily budget")
        .contains("NORMAL → NOTIFY");
    assertThat(chat.headers()).doesNotContainKey("x-modelrouter-signature");

    // The receiver that never recovers: three attempts, then the DLQ, with the alert and its headers
    List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      dead.clear();
      dead.addAll(deadLetters());
      return !dead.isEmpty();
    });
    assertThat(dead).singleElement().satisfies(d -> {
      assertThat(header(d, "dlq.webhook")).isEqualTo("down");
      assertThat(header(d, "dlq.source.topic")).isEqualTo(topics.budgetAlerts().name());
      assertThat(header(d, "dlq.error.message")).contains("down answered 500 (attempt 3)");
      assertThat(topics.budgetAlerts().deserializeValue(d.value()).getTeamId()).isEqualTo("beta");
    });
    assertThat(at("/down")).hasSize(3);

    // After a restart nothing is posted again: the offsets say what was delivered or dead-lettered. Once the
    // restarted delivery has joined its group it resumes from them, and they are at the end of the alerts topic.
    int before = received.size();
    service.close();
    service = service();
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
        Map.<String, Object>of("bootstrap.servers", stack.bootstrapServers()))) {
      String group = prefix + "alert-delivery";
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        var description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
        return description.groupState() == org.apache.kafka.common.GroupState.STABLE
            && !description.members().isEmpty() && !description.members().iterator().next().assignment()
                .topicPartitions().isEmpty();
      });
      var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      var ends = admin.listOffsets(committed.keySet().stream().collect(java.util.stream.Collectors.toMap(
          p -> p, p -> org.apache.kafka.clients.admin.OffsetSpec.latest()))).all().get();
      assertThat(committed).isNotEmpty();
      committed.forEach((partition, offset) -> assertThat(offset.offset()).as(partition.toString())
          .isEqualTo(ends.get(partition).offset()));
    }
    assertThat(received).hasSize(before);
  }

  private List<ConsumerRecord<byte[], byte[]>> deadLetters() {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
        "bootstrap.servers", stack.bootstrapServers(), "isolation.level", "read_committed"),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topics.dlq().name()).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topics.dlq().name(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static String hmac(String key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
  }
}
