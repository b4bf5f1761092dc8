package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command without the shell: {@link LocalStack} on its own ports and data directory serves a
 * request end to end, and after a full stop and start on the same directory keeps its budgets, its admin token and
 * its results, and serves again. The environment holds a broker and a registry left over from another cluster: the
 * embedded ones win, and the banner says so.
 */
@Tag("integration")
class LocalStackIT {
  private static final String TEAM = "team-local";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesRequestsAndKeepsItsDataAcrossARestart(@TempDir Path data) throws Exception {
    int kafkaPort = FreePorts.pair();
    String[] args = {"--no-demo", "--data-dir", data.toString(), "--kafka-port", Integer.toString(kafkaPort),
        "--registry-port", Integer.toString(FreePorts.any()), "--http-port", Integer.toString(FreePorts.any())};
    // Unreachable on purpose: the stack would not start if its services used them.
    Map<String, String> env = Map.of("MR_ROUTER_METRICS_PORT", "0", "MR_WORKER_METRICS_PORT", "0",
        "MR_AGGREGATOR_METRICS_PORT", "0", "MR_SIMULATOR_LATENCY", "20",
        "MR_KAFKA_BOOTSTRAP_SERVERS", "leftover-broker.invalid:9092",
        "MR_SCHEMA_REGISTRY_URL", "http://leftover-registry.invalid:8081");
    ByteArrayOutputStream console = new ByteArrayOutputStream();

    // Given a first run: a budget written over HTTP and one request answered
    String token;
    try (LocalStack stack = new LocalStack(LocalStackConfig.parse(args, env),
        new PrintStream(console, true, StandardCharsets.UTF_8)).start()) {
      token = Files.readString(data.resolve("admin-token")).strip();
      assertThat(token).hasSizeGreaterThanOrEqualTo(32);
      assertThat(console.toString(StandardCharsets.UTF_8))
          .contains("model-router local stack is up", "localhost:" + kafkaPort, "simulated: ",
              "WARNING: MR_KAFKA_BOOTSTRAP_SERVERS (kafka.bootstrap.servers) is set but ignored",
              "WARNING: MR_SCHEMA_REGISTRY_URL (schema.registry.url) is set but ignored")
          .doesNotContain(token);
      assertThat(stack.settings().get(CommonSettings.BOOTSTRAP_SERVERS)).endsWith(":" + kafkaPort);
      HttpResponse<String> put = http.send(budget(stack, token).PUT(HttpRequest.BodyPublishers.ofString(
              "{\"daily\": {\"outputTokens\": 7654321}}")).header("Content-Type", "application/json").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      assertThat(serve(stack, "before-restart").getStatus()).isEqualTo(ResultStatus.OK);
    }

    // When the stack starts again on the same data directory
    try (LocalStack stack = new LocalStack(LocalStackConfig.parse(args, env),
        new PrintStream(console, true, StandardCharsets.UTF_8)).start()) {
      // Then the token, the budget and the earlier result are still there, and requests are served again
      assertThat(Files.readString(data.resolve("admin-token")).strip()).isEqualTo(token);
      HttpResponse<String> get = http.send(budget(stack, token).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(get.statusCode()).as(get.body()).isEqualTo(200);
      assertThat(get.body().replace(" ", "")).contains("\"outputTokens\":7654321");
      assertThat(results(stack)).containsKey("before-restart");
      assertThat(serve(stack, "after-restart").getStatus()).isEqualTo(ResultStatus.OK);
    }
  }

  @Test
  void refusesAnUnknownOptionWithTheUsage() {
    assertThatThrownBy(() -> LocalStackConfig.parse(new String[] {"--rates", "5"},
            Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option '--rates'")
        .hasMessageContaining("--no-demo");
    assertThatThrownBy(() -> LocalStackConfig.parse(new String[] {"--teams", "12"},
            Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("local.demo.teams (MR_LOCAL_DEMO_TEAMS) must be between 2 and 9, got 12");
  }

  private HttpRequest.Builder budget(LocalStack stack, String token) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + stack.httpPort() + "/teams/" + TEAM + "/budget"))
        .header("Authorization", "Bearer " + token);
  }

  private static InferenceResult serve(LocalStack stack, String requestId) throws Exception {
    Topics topics = CommonSettings.topics(stack.settings());
    InferenceRequest request = SampleRecords.request(requestId, TEAM);
    request.setDeadline(null);
    request.setCreatedAt(Instant.now());
    Map<String, Object> config = new HashMap<>(CommonSettings.kafkaClientConfig(stack.settings()));
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.requests().name(), TEAM, topics.requests().serializeValue(request)))
          .get();
    }
    return await().atMost(Duration.ofSeconds(60)).until(() -> results(stack).get(requestId), r -> r != null);
  }

  /** Every result on llm.results so far, by request id (read_committed). */
  private static Map<String, InferenceResult> results(LocalStack stack) {
    Topics topics = CommonSettings.topics(stack.settings());
    Map<String, Object> config = new HashMap<>(CommonSettings.kafkaClientConfig(stack.settings()));
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, InferenceResult> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topics.results().name()).forEach(p ->
          partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          out.put(result.getRequestId(), result);
        }
      }
    }
    return out;
  }
}
