package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.UnknownSchemaIdException;
import io.modelrouter.schemas.serde.WireFormatException;
import io.modelrouter.worker.WorkerService;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
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
 * Bad input at rate (RELIABILITY.md, scenario 4): 10% poison records mixed into valid traffic through the real
 * router and worker: random bytes, a wrong magic byte, an unknown schema id, valid Avro missing required fields and a
 * 10 MB prompt. Every bad record must end on the DLQ (with its headers) or as a REJECTED result naming the reason,
 * every valid request must be served, and neither service may stop or restart.
 */
@IntegrationTest
class PoisonRecordsIT {
  private static final int RECORDS = 2_000;
  private static final int TEN_MB = 10 * 1024 * 1024;

  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  /** Every DLQ record the reader saw, none collapsed: a record dead-lettered twice is here twice. */
  private final List<ConsumerRecord<byte[], byte[]>> dead = new CopyOnWriteArrayList<>();
  private final AtomicInteger duplicates = new AtomicInteger();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final List<KafkaStreams.State> routerStates = java.util.Collections.synchronizedList(new ArrayList<>());
  private KafkaStack stack;
  private Topics topics;
  private RouterService router;
  private WorkerService worker;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) throws Exception {
    this.stack = stack;
    String prefix = stack.uniqueName("poison") + ".";
    topics = stack.createTopics(prefix, 4);
    // Kafka refuses records over 1 MB by default; the 10 MB prompt needs a topic that accepts it (as a team's would).
    ConfigResource requests = new ConfigResource(ConfigResource.Type.TOPIC, topics.requests().name());
    stack.admin().incrementalAlterConfigs(Map.of(requests, List.of(new AlterConfigOp(
        new ConfigEntry("max.message.bytes", Integer.toString(16 * 1024 * 1024)), AlterConfigOp.OpType.SET))))
        .all().get();
    Map<String, String> common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4");
    Map<String, String> routerSettings = new HashMap<>(common);
    routerSettings.putAll(Map.of("router.application.id", prefix + "router", "router.state.dir", state.toString(),
        "router.threads", "1"));
    router = new RouterService(Settings.of(routerSettings));
    router.streams().setStateListener((now, before) -> routerStates.add(now));
    router.start();
    Map<String, String> workerSettings = new HashMap<>(common);
    workerSettings.putAll(Map.of("worker.group.id", prefix + "workers", "worker.instance.id", prefix + "w1",
        "worker.simulate", "all", "simulator.latency", "20"));
    worker = new WorkerService(Settings.of(workerSettings)).start();
    reader = Thread.ofVirtual().start(() -> read(prefix));
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws InterruptedException {
    reading.set(false);
    reader.join(10_000);
    worker.close();
    router.close();
  }

  @Test
  void everyPoisonRecordEndsInTheDlqOrAsRejectedAndEveryValidRequestIsServed() throws Exception {
    Random random = new Random(11);
    List<String> valid = new ArrayList<>();
    Map<String, String> rejectedExpected = new HashMap<>();
    Map<String, Poison> deadExpected = new HashMap<>();
    Map<String, Object> config = new HashMap<>(stack.producerConfig());
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    Map<String, Future<RecordMetadata>> sends = new HashMap<>();
    Set<String> threadsBefore = threads();
    long started = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        String team = "team-" + (i % 9);
        String id = "r-" + i;
        byte[] value;
        if (i % 10 != 7) {
          value = topics.requests().serializeValue(request(id, team, "Explain the retry policy of handler " + i));
          valid.add(id);
        } else {
          switch ((i / 10) % 5) {
            case 0 -> {       // random bytes
              value = new byte[1 + random.nextInt(200)];
              random.nextBytes(value);
              value[0] = (byte) (1 + random.nextInt(100));   // never the magic byte, so never a valid frame
              deadExpected.put(id, new Poison("random bytes", value, WireFormatException.class));
            }
            case 1 -> {       // a Confluent frame with the wrong magic byte
              value = topics.requests().serializeValue(request(id, team, "hello"));
              value[0] = 1;
              deadExpected.put(id, new Poison("wrong magic byte", value, WireFormatException.class));
            }
            case 2 -> {       // the right magic byte and an id the registry never issued
              value = topics.requests().serializeValue(request(id, team, "hello"));
              ByteBuffer.wrap(value).putInt(1, 987_654_321);
              deadExpected.put(id, new Poison("unknown schema id", value, UnknownSchemaIdException.class));
            }
            case 3 -> {       // valid Avro, required fields missing
              InferenceRequest missing = request(id, team, "hello");
              missing.setTaskType(null);
              missing.setMessages(List.of());
              value = topics.requests().serializeValue(missing);
              rejectedExpected.put(id, "taskType");
            }
            default -> {      // a 10 MB prompt: larger than any model's context window
              value = topics.requests().serializeValue(request(id, team, "a ".repeat(TEN_MB / 2)));
              rejectedExpected.put(id, "context window");
            }
          }
        }
        sends.put(id, producer.send(new ProducerRecord<>(topics.requests().name(), team, value)));
      }
      for (Future<RecordMetadata> send : sends.values()) {
        send.get();
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;

    // Then every valid request is served and every bad one is accounted for
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
        results.keySet().containsAll(valid) && results.keySet().containsAll(rejectedExpected.keySet())
            && dead.size() >= deadExpected.size());
    assertThat(valid).allSatisfy(id -> assertThat(results.get(id).getStatus()).as(id).isEqualTo(ResultStatus.OK));
    rejectedExpected.forEach((id, reason) -> {
      InferenceResult result = results.get(id);
      assertThat(result.getStatus()).as(id).isEqualTo(ResultStatus.REJECTED);
      assertThat(result.getErrorMessage()).as(id).contains(reason);
    });
    assertThat(duplicates.get()).as("requests answered twice").isZero();

    // Every record on the DLQ, read again from the start to its end, grouped by the record it came from: each
    // poison record exactly once, with the bytes that were sent and the error of its kind; nothing else
    Map<String, List<ConsumerRecord<byte[], byte[]>>> bySource = new HashMap<>();
    List<ConsumerRecord<byte[], byte[]>> dlq = readToEnd(topics.dlq().name());
    dlq.forEach(r -> bySource.computeIfAbsent(source(r), s -> new ArrayList<>()).add(r));
    deadExpected.forEach((id, poison) -> {
      RecordMetadata sent = get(sends.get(id));
      String where = sent.topic() + "-" + sent.partition() + "@" + sent.offset();
      List<ConsumerRecord<byte[], byte[]>> letters = bySource.getOrDefault(where, List.of());
      assertThat(letters).as("dead letters of %s (%s, %s)", id, poison.kind(), where).hasSize(1);
      ConsumerRecord<byte[], byte[]> letter = letters.getFirst();
      for (String header : List.of(DeadLetters.SOURCE_TOPIC, DeadLetters.SOURCE_PARTITION, DeadLetters.SOURCE_OFFSET,
          DeadLetters.ERROR_CLASS, DeadLetters.ERROR_MESSAGE)) {
        assertThat(DeadLetters.header(letter.headers(), header)).as(id + " " + header).isNotBlank();
      }
      assertThat(DeadLetters.header(letter.headers(), DeadLetters.ERROR_CLASS)).as(id + " " + poison.kind())
          .isEqualTo(poison.error().getName());
      assertThat(letter.value()).as(id + " bytes on the DLQ").isEqualTo(poison.value());
    });
    assertThat(dlq).as("records on the DLQ").hasSize(deadExpected.size());

    // And the services never stopped: the router stayed RUNNING, the worker's loop is alive
    assertThat(router.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(routerStates).doesNotContain(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR);
    assertThat(threads()).as("no stream thread was replaced after a failure").isEqualTo(threadsBefore);
    assertThat(worker.isRunning()).isTrue();
    Map<String, Long> reasons = new TreeMap<>();
    dlq.forEach(r -> reasons.merge(DeadLetters.header(r.headers(), DeadLetters.ERROR_CLASS)
        .replaceAll(".*\\.", ""), 1L, Long::sum));
    System.out.printf("poison records: %d records in %.1f s (%d/s), %d valid -> %d OK; %d rejected; %d dead-lettered "
            + "%s; router states %s%n", RECORDS, seconds, Math.round(RECORDS / seconds), valid.size(),
        count(results.values(), ResultStatus.OK), count(results.values(), ResultStatus.REJECTED), dlq.size(),
        reasons, routerStates);
  }

  /** A record that must end on the DLQ: what kind of bad it is, the bytes sent, and the error class it must get. */
  private record Poison(String kind, byte[] value, Class<? extends Exception> error) {}

  private static String source(ConsumerRecord<byte[], byte[]> letter) {
    return DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC) + "-"
        + DeadLetters.header(letter.headers(), DeadLetters.SOURCE_PARTITION) + "@"
        + DeadLetters.header(letter.headers(), DeadLetters.SOURCE_OFFSET);
  }

  private static RecordMetadata get(Future<RecordMetadata> send) {
    try {
      return send.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every committed record of the topic, from its beginning to its end offsets as of now. */
  private List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(stack.uniqueName("check")),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
      });
    }
    return records;
  }

  private Set<String> threads() {
    Set<String> names = new java.util.TreeSet<>();
    router.streams().metadataForLocalThreads().forEach(t -> names.add(t.threadName()));
    return names;
  }

  private static long count(Collection<InferenceResult> results, ResultStatus status) {
    return results.stream().filter(r -> r.getStatus() == status).count();
  }

  private static InferenceRequest request(String id, String team, String prompt) {
    return InferenceRequest.newBuilder().setRequestId(id).setTeamId(team).setPipelineId("poison-it")
        .setSessionId(null).setTaskType("interactiveChat").setTier("pro")
        .setMessages(List.of(new Message(Role.USER, prompt))).setSystemPrompt(null).setMaxTokens(null)
        .setTemperature(null).setModel("auto").setPriority(Priority.BATCH).setDeadline(null).setMetadata(Map.of())
        .setCreatedAt(Instant.now()).build();
  }

  private void read(String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer());
        KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(stack.consumerConfig(prefix + "dlq-reader"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      dlq.subscribe(List.of(topics.dlq().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          if (results.putIfAbsent(result.getRequestId(), result) != null) {
            duplicates.incrementAndGet();
          }
        }
        for (ConsumerRecord<byte[], byte[]> record : dlq.poll(Duration.ofMillis(10))) {
          dead.add(record);
        }
      }
    }
  }
}
