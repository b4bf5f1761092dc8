package io.modelrouter.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import io.modelrouter.worker.provider.SimulatedBatchApi;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * BATCH requests through the simulated provider's batch API on the embedded broker: answered once each at half
 * price, errored items through the normal path, and a worker killed while its batch is at the provider resumes
 * polling it after its restart without creating it again.
 */
@IntegrationTest
class BatchApiIT {
  private static final int PARTITIONS = 2;

  private final Map<String, List<InferenceResult>> results = new ConcurrentHashMap<>();
  private final List<UsageEvent> usage = new CopyOnWriteArrayList<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private KafkaProducer<String, byte[]> producer;
  private Thread reader;
  private final List<WorkerService> workers = new ArrayList<>();
  private String vendorDir;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("batchapi") + ".";
    topics = stack.createTopics(prefix, PARTITIONS);
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    reader = Thread.ofVirtual().start(this::read);
  }

  @AfterEach
  void stop() throws InterruptedException {
    workers.forEach(WorkerService::close);
    reading.set(false);
    reader.join(10_000);
    producer.close();
  }

  private WorkerService worker(String turnaround, String errored) {
    return worker(turnaround, errored, 1);
  }

  private WorkerService worker(String turnaround, String errored, int minItems) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", Integer.toString(PARTITIONS),
        "worker.group.id", prefix + "workers",
        "worker.instance.id", prefix + "w1",
        "worker.simulate", "all",
        "simulator.latency", "20",
        "providers.anthropic.batch.api", "true",
        "simulator.batch.turnaround", turnaround));
    settings.putAll(Map.of(
        "simulator.batch.errored", errored,
        "worker.batch.api.max.age", "PT0.5S",
        "worker.batch.api.poll.interval", "PT0.2S",
        "worker.usage.journal.dir", "none",
        "simulator.batch.min.items", Integer.toString(minItems)));
    if (vendorDir != null) {
      settings.put("simulator.batch.dir", vendorDir);
    }
    WorkerService worker = new WorkerService(Settings.of(settings)).start();
    workers.add(worker);
    return worker;
  }

  private int submissions() {
    return SimulatedBatchApi.submissions(prefix + "workers/anthropic");
  }

  @Test
  void batchRequestsAreAnsweredOnceThroughABatchAtHalfPriceAndErroredItemsThroughTheNormalPath() {
    // Given a worker whose simulated Anthropic answers batches after 1 s, a fifth of their items errored
    worker("PT1S", "0.2");
    // When 40 requests the router put in the batch lane arrive, with 3 BATCH requests due within the hour and 3
    // INTERACTIVE ones it did not
    for (int i = 0; i < 40; i++) {
      send("b-" + i, i % 2 == 0 ? "team-a" : "team-b", Priority.BATCH, null, true);
    }
    for (int i = 0; i < 3; i++) {
      send("soon-" + i, "team-a", Priority.BATCH, Instant.now().plus(Duration.ofHours(1)), false);
      send("chat-" + i, "team-a", Priority.INTERACTIVE, null, false);
    }
    producer.flush();

    // Then every request has exactly one result, OK
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() >= 46);
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> results.size() == 46);
    results.forEach((id, list) -> assertThat(list).as(id).hasSize(1));
    results.values().forEach(list -> assertThat(list.get(0).getStatus()).as(list.get(0).getRequestId() + " "
        + list.get(0).getErrorMessage()).isEqualTo(ResultStatus.OK));
    // the urgent and interactive ones by a direct call, never in a batch
    for (int i = 0; i < 3; i++) {
      assertThat(results.get("soon-" + i).get(0).getBatchId()).isNull();
      assertThat(results.get("chat-" + i).get(0).getBatchId()).isNull();
    }
    // the others in a batch (one per partition, the teams' keys spread them), except the items that errored
    List<String> batched = new ArrayList<>();
    List<String> erroredItems = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      InferenceResult result = results.get("b-" + i).get(0);
      (result.getBatchId() != null ? batched : erroredItems).add(result.getRequestId());
    }
    assertThat(batched).hasSizeBetween(20, 39);
    assertThat(erroredItems).isNotEmpty();
    assertThat(results.values().stream().map(l -> l.get(0).getBatchId()).filter(b -> b != null).distinct().count())
        .isEqualTo((long) submissions()).isBetween(1L, 4L);
    // and each batched answer billed once, at Sonnet 4.5's batch price: $1.50/M input, $7.50/M output, half the
    // standard $3/$15
    await().atMost(Duration.ofSeconds(10)).until(() -> usage.size() >= 46);
    for (String id : batched) {
      List<UsageEvent> events = usage.stream().filter(e -> e.getRequestId().equals(id)).toList();
      assertThat(events).as(id).hasSize(1);
      UsageEvent event = events.get(0);
      assertThat(event.getEventId()).isEqualTo(id + "#batch");
      long standard = (event.getInputTokens() * 3_000_000 + event.getOutputTokens() * 15_000_000 + 500_000)
          / 1_000_000;
      long batch = (event.getInputTokens() * 1_500_000 + event.getOutputTokens() * 7_500_000 + 500_000) / 1_000_000;
      assertThat(event.getCostMicros()).as(id).isEqualTo(batch);
      assertThat(event.getBatchSavedMicros()).as(id).isEqualTo(standard - batch);
      assertThat(results.get(id).get(0).getCostMicros()).isEqualTo(batch);
    }
    // the errored ones went to the normal path: a direct call at the standard price
    for (String id : erroredItems) {
      List<UsageEvent> events = usage.stream().filter(e -> e.getRequestId().equals(id)).toList();
      assertThat(events).as(id).hasSize(1);
      UsageEvent event = events.get(0);
      assertThat(event.getEventId()).doesNotContain("#batch");
      assertThat(event.getBatchSavedMicros()).isZero();
      assertThat(event.getCostMicros()).isEqualTo(
          (event.getInputTokens() * 3_000_000 + event.getOutputTokens() * 15_000_000 + 500_000) / 1_000_000);
    }
  }

  @Test
  void aBatchBelowTheProvidersMinimumGoesToTheNormalPathAtOnce() {
    // Given a provider that takes no batch of fewer than 10 requests (as Bedrock's batch inference below its quota)
    worker("PT0.5S", "0", 10);
    // When one team sends 30 requests the router put in the batch lane and another 4, the teams' keys on different
    // partitions (so in different batches)
    String other = java.util.stream.Stream.iterate(1, n -> n + 1).map(n -> "team-" + n)
        .filter(team -> partition(team) != partition("team-a")).findFirst().orElseThrow();
    for (int i = 0; i < 30; i++) {
      send("big-" + i, "team-a", Priority.BATCH, null, true);
    }
    for (int i = 0; i < 4; i++) {
      send("small-" + i, other, Priority.BATCH, null, true);
    }
    producer.flush();

    // Then every request has exactly one result, OK
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() >= 34);
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> results.size() == 34);
    results.forEach((id, list) -> assertThat(list).as(id).hasSize(1));
    results.values().forEach(list -> assertThat(list.get(0).getStatus()).isEqualTo(ResultStatus.OK));
    // the 4 by direct calls at the standard price, never in a batch; the 30 in batches
    for (int i = 0; i < 4; i++) {
      assertThat(results.get("small-" + i).get(0).getBatchId()).isNull();
    }
    assertThat(java.util.stream.IntStream.range(0, 30).filter(i -> results.get("big-" + i).get(0).getBatchId() != null)
        .count()).isGreaterThanOrEqualTo(10);
    await().atMost(Duration.ofSeconds(10)).until(() -> usage.size() >= 34);
    for (int i = 0; i < 4; i++) {
      String id = "small-" + i;
      List<UsageEvent> events = usage.stream().filter(e -> e.getRequestId().equals(id)).toList();
      assertThat(events).as(id).hasSize(1);
      assertThat(events.get(0).getBatchSavedMicros()).isZero();
    }
  }

  @Test
  void aWorkerKilledWhileItsBatchIsAtTheProviderResumesPollingItAndNeverCreatesItTwice(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path vendor) throws Exception {
    // Given a worker whose simulated vendor keeps its batches in files and ends them 4 s after their creation
    this.vendorDir = vendor.toString();
    WorkerService first = worker("PT4S", "0");
    // 20 requests, and one asking for structured output (the file-kept vendor answers it in plain text)
    for (int i = 0; i < 20; i++) {
      send("k-" + i, "team-a", Priority.BATCH, null, true);
    }
    send("k-json", "team-a", Priority.BATCH, null, true);
    producer.flush();
    java.nio.file.Path batches = vendor.resolve("anthropic");
    await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.isDirectory(batches)
        && SimulatedBatchApi.requestIds(batches).size() == 21);

    // When the worker is killed before the batch ends, and started again
    first.crash();
    workers.remove(first);
    first.close();
    worker("PT4S", "0");

    // Then every request has exactly one result, and each request was in exactly one batch
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() >= 21);
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(() -> results.size() == 21);
    results.forEach((id, list) -> assertThat(list).as(id).hasSize(1));
    assertThat(SimulatedBatchApi.requestIds(batches)).doesNotHaveDuplicates().hasSize(21);
    for (int i = 0; i < 20; i++) {
      assertThat(results.get("k-" + i).get(0).getBatchId()).isNotNull();
    }
    // the answer that did not conform to the response format was billed and asked again by a direct call
    InferenceResult json = results.get("k-json").get(0);
    assertThat(json.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(json.getBatchId()).isNull();
    assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.getContent()).has("verdict")).isTrue();
    await().atMost(Duration.ofSeconds(10)).until(() -> usage.size() >= 22);
    assertThat(usage.stream().map(UsageEvent::getEventId).toList()).doesNotHaveDuplicates().hasSize(22);
    assertThat(usage.stream().filter(e -> e.getRequestId().equals("k-json")).map(UsageEvent::getEventId).toList())
        .hasSize(2).contains("k-json#batch");
  }

  /** The partition the producer's default partitioner gives this key. */
  private static int partition(String key) {
    return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
        key.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % PARTITIONS;
  }

  private void send(String id, String team, Priority priority, Instant deadline, boolean batchLane) {
    RoutedRequest routed = SampleRecords.routed();
    routed.getRequest().setRequestId(id);
    routed.getRequest().setTeamId(team);
    routed.getRequest().setPriority(priority);
    routed.getRequest().setDeadline(deadline);
    routed.getRequest().setCreatedAt(Instant.now());
    routed.getDecision().setFallbacks(List.of());
    routed.getDecision().setShadow(null);
    routed.getDecision().setBatchApi(batchLane);
    if (id.endsWith("-json")) {
      routed.getRequest().setResponseFormat(new io.modelrouter.avro.ResponseFormat("review", """
          {"type": "object", "properties": {"verdict": {"type": "string"}}, "required": ["verdict"],
           "additionalProperties": false}"""));
    }
    Topic<String, RoutedRequest> lane = topics.routedFor(priority);
    producer.send(new ProducerRecord<>(lane.name(), team, lane.serializeValue(routed)));
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        partitions.add(new TopicPartition(topics.results().name(), p));
        partitions.add(new TopicPartition(topics.usage().name(), p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          if (record.topic().equals(topics.results().name())) {
            InferenceResult result = topics.results().deserializeValue(record.value());
            results.computeIfAbsent(result.getRequestId(), k -> new CopyOnWriteArrayList<>()).add(result);
          } else {
            usage.add(topics.usage().deserializeValue(record.value()));
          }
        }
      }
    }
  }
}
