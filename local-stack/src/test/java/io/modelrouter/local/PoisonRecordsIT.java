package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.registry.HttpSchemaRegistryClient;
import io.modelrouter.schemas.registry.SchemaRegistryClient;
import io.modelrouter.schemas.serde.MalformedPayloadException;
import io.modelrouter.schemas.serde.UnknownSchemaIdException;
import io.modelrouter.schemas.serde.WireFormat;
import io.modelrouter.schemas.serde.WireFormatException;
import io.modelrouter.worker.WorkerService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
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
 * Bad input at rate (docs/reliability.md, scenario 4): 10% poison records mixed into valid traffic through the real
 * router and worker. On the router's input: random bytes, a wrong magic byte, an unknown schema id, our schema id
 * with a truncated body or with a 2 GB length prefix, valid Avro missing required fields, an older registered writer
 * schema without a required field, a 6 MB prompt (larger than every context window) and a 10 MB one (over the
 * router's record limit); on the worker's input: random bytes, a routed request claiming 2 billion messages, and a
 * 1.2 MB routed request (over the worker's default record limit). Every bad record must end on the DLQ exactly once (its bytes, its headers, the error
 * of its kind) or as a REJECTED result naming the reason, every valid request must be served, and neither service may
 * stop or restart.
 */
@IntegrationTest
class PoisonRecordsIT {
  private static final int RECORDS = 2_000;
  private static final int TEN_MB = 10 * 1024 * 1024;
  private static final int SIX_MB = 6 * 1024 * 1024;
  /** router.max.request.bytes here: between the two large prompts. */
  private static final int ROUTER_LIMIT = 8 * 1024 * 1024;
  /** Kinds of poison, each as often as the others: one record in ten is poison, one of these kinds in turn. */
  private static final int KINDS = 10;

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
    // So does a routed request over the worker's default limit, written straight to the worker's input.
    AlterConfigOp sixteenMb = new AlterConfigOp(new ConfigEntry("max.message.bytes", Integer.toString(16 * 1024 * 1024)),
        AlterConfigOp.OpType.SET);
    stack.admin().incrementalAlterConfigs(Map.of(
        new ConfigResource(ConfigResource.Type.TOPIC, topics.requests().name()), List.of(sixteenMb),
        new ConfigResource(ConfigResource.Type.TOPIC, topics.routed().name()), List.of(sixteenMb))).all().get();
    Map<String, String> common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4");
    Map<String, String> routerSettings = new HashMap<>(common);
    routerSettings.putAll(Map.of("router.application.id", prefix + "router", "router.state.dir", state.toString(),
        "router.threads", "1", "router.max.request.bytes", Integer.toString(ROUTER_LIMIT)));
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
    OlderWriterSchema olderWriterSchema = OlderWriterSchema.register(stack.registryUrl(), topics.requests().name());
    assertThat(olderWriterSchema.id()).as("the older schema's id")
        .isNotEqualTo(ByteBuffer.wrap(topics.requests().serializeValue(request("id", "team", "hi")), 1, 4).getInt());
    Set<String> threadsBefore = threads();
    long started = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        String team = "team-" + (i % 9);
        String id = "r-" + i;
        String topic = topics.requests().name();
        byte[] value;
        if (i % 10 != 7) {
          value = topics.requests().serializeValue(request(id, team, "Explain the retry policy of handler " + i));
          valid.add(id);
        } else {
          switch ((i / 10) % KINDS) {
            case 0 -> {       // random bytes
              value = new byte[1 + random.nextInt(200)];
              random.nextBytes(value);
              value[0] = (byte) (1 + random.nextInt(100));   // never the magic byte, so never a valid frame
              deadExpected.put(id, new Poison("random bytes", topic, value, WireFormatException.class));
            }
            case 1 -> {       // a Confluent frame with the wrong magic byte
              value = topics.requests().serializeValue(request(id, team, "hello"));
              value[0] = 1;
              deadExpected.put(id, new Poison("wrong magic byte", topic, value, WireFormatException.class));
            }
            case 2 -> {       // the right magic byte and an id the registry never issued
              value = topics.requests().serializeValue(request(id, team, "hello"));
              ByteBuffer.wrap(value).putInt(1, 987_654_321);
              deadExpected.put(id, new Poison("unknown schema id", topic, value, UnknownSchemaIdException.class));
            }
            case 3 -> {       // valid Avro, required fields missing
              InferenceRequest missing = request(id, team, "hello");
              missing.setTaskType(null);
              missing.setMessages(List.of());
              value = topics.requests().serializeValue(missing);
              rejectedExpected.put(id, "taskType: is required");
            }
            case 4 -> {
              if ((i / 100) % 2 == 0) { // a 6 MB prompt: within the router's limit, larger than any context window
                value = topics.requests().serializeValue(request(id, team, "a ".repeat(SIX_MB / 2)));
                rejectedExpected.put(id, "context window");
              } else {                  // a 10 MB prompt: over the router's limit, answered without routing
                value = topics.requests().serializeValue(request(id, team, "a ".repeat(TEN_MB / 2)));
                rejectedExpected.put(id, "(router.max.request.bytes)");
              }
            }
            case 5 -> {       // our header and schema id, then an Avro body cut in half
              byte[] whole = topics.requests().serializeValue(request(id, team, "hello"));
              value = Arrays.copyOf(whole, whole.length / 2);
              deadExpected.put(id, new Poison("truncated Avro body", topic, value, MalformedPayloadException.class));
            }
            case 6 -> {       // our header and schema id, then a request id claiming to be 2 GB long
              value = hugeLength(topics.requests().serializeValue(request(id, team, "hello")), 0);
              deadExpected.put(id, new Poison("2 GB string length", topic, value, MalformedPayloadException.class));
            }
            case 7 -> {       // an older, registered writer schema without taskType: read with taskType null
              value = olderWriterSchema.frame(request(id, team, "hello"));
              rejectedExpected.put(id, "taskType: is required");
            }
            case 8 -> {
              topic = topics.routed().name();
              if ((i / 100) % 2 == 0) { // random bytes on the worker's input
                value = new byte[1 + random.nextInt(200)];
                random.nextBytes(value);
                value[0] = (byte) (1 + random.nextInt(100));
                deadExpected.put(id, new Poison("random bytes, routed", topic, value, WireFormatException.class));
              } else {                  // a routed request over the worker's default limit: answered, never called
                value = topics.routed().serializeValue(new RoutedRequest(request(id, team,
                    "b ".repeat(1_200_000 / 2)), SampleRecords.decision()));
                rejectedExpected.put(id, "(worker.max.record.bytes)");
              }
            }
            default -> {      // on the worker's input: a routed request whose messages claim 2 billion entries
              topic = topics.routed().name();
              value = hugeLength(topics.routed().serializeValue(new RoutedRequest(request(id, team, "hello"),
                  SampleRecords.decision())), 6);
              deadExpected.put(id, new Poison("2 billion messages, routed", topic, value,
                  MalformedPayloadException.class));
            }
          }
        }
        sends.put(id, producer.send(new ProducerRecord<>(topic, team, value)));
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
      assertThat(DeadLetters.header(letter.headers(), DeadLetters.SERVICE)).as(id + " dead-lettered by")
          .isEqualTo(poison.topic().equals(topics.routed().name()) ? "worker" : "router");
    });
    assertThat(dlq).as("records on the DLQ").hasSize(deadExpected.size());

    // And the services never stopped: the router stayed RUNNING, the worker's loop is alive
    assertThat(router.state()).isEqualTo(KafkaStreams.State.RUNNING);
    assertThat(routerStates).doesNotContain(KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR);
    assertThat(threads()).as("no stream thread was replaced after a failure").isEqualTo(threadsBefore);
    assertThat(worker.isRunning()).isTrue();
    Map<String, Long> reasons = new TreeMap<>();
    dlq.forEach(r -> reasons.merge(DeadLetters.header(r.headers(), DeadLetters.SERVICE) + " "
        + DeadLetters.header(r.headers(), DeadLetters.ERROR_CLASS).replaceAll(".*\\.", ""), 1L, Long::sum));
    System.out.printf("poison records: %d records in %.1f s (%d/s), %d valid -> %d OK; %d rejected; %d dead-lettered "
            + "%s; router states %s%n", RECORDS, seconds, Math.round(RECORDS / seconds), valid.size(),
        count(results.values(), ResultStatus.OK), count(results.values(), ResultStatus.REJECTED), dlq.size(),
        reasons, routerStates);
  }

  /**
   * A record that must end on the DLQ: what kind of bad it is, the topic it was written to, the bytes sent, and the
   * error class it must get.
   */
  private record Poison(String kind, String topic, byte[] value, Class<? extends Exception> error) {}

  /**
   * The Confluent header and schema id of {@code frame}, {@code nullUnions} union fields set to null (index 0), then
   * a length or item count of about 2^31 and a few bytes: a decoder that believes it allocates gigabytes.
   */
  private static byte[] hugeLength(byte[] frame, int nullUnions) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(frame, 0, WireFormat.HEADER_SIZE);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    for (int i = 0; i < nullUnions; i++) {
      encoder.writeIndex(0);
    }
    if (nullUnions == 0) {
      encoder.writeIndex(1);   // requestId: the string branch of its union
    }
    encoder.writeLong(Integer.MAX_VALUE - 16);
    encoder.flush();
    out.write("abc".getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /**
   * InferenceRequest as an older pipeline would write it: the current schema without taskType, registered under
   * the topic's subject (BACKWARD compatible: a reader without the field reads the current records).
   */
  private record OlderWriterSchema(Schema schema, int id) {
    static OlderWriterSchema register(String registryUrl, String topic) {
      List<Schema.Field> fields = InferenceRequest.getClassSchema().getFields().stream()
          .filter(f -> !f.name().equals("taskType")).map(f -> new Schema.Field(f, f.schema())).toList();
      Schema older = Schema.createRecord(InferenceRequest.getClassSchema().getName(), "an older version",
          InferenceRequest.getClassSchema().getNamespace(), false, fields);
      try (SchemaRegistryClient registry = new HttpSchemaRegistryClient(List.of(URI.create(registryUrl)),
          Optional.empty(), Duration.ofSeconds(10))) {
        return new OlderWriterSchema(older, registry.register(topic + "-value", older));
      }
    }

    /** The request's fields but taskType, in the wire format with this schema's id. */
    byte[] frame(InferenceRequest request) throws IOException {
      GenericRecord record = new GenericData.Record(schema);
      for (Schema.Field field : schema.getFields()) {
        record.put(field.name(), field.name().equals("createdAt") ? null : request.get(field.name()));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(WireFormat.MAGIC_BYTE);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new SpecificDatumWriter<GenericRecord>(schema).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    }
  }

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
        .setMessages(List.of(new Message(Role.USER, prompt, List.of()))).setSystemPrompt(null).setMaxTokens(null)
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
