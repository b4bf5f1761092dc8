package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.registry.HttpSchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The schema registry down under load (issue 15): 20 s in {@code ./mvnw verify}, 60 s (the length) with
 * {@code -Dregistry.outage.seconds=60}. Router, worker and aggregator run on the embedded broker, with the session
 * timeout {@code docker-compose.yml} gives them (6 s), against a registry of the test's own, which is stopped after a
 * warm-up and started again on the same port when the outage is over, while requests keep coming. The services must
 * run on the schemas they cached; requests written with a schema version they have never seen (registered just
 * before the outage) must wait for the registry, neither dead-lettered nor failed; and afterwards every request has
 * exactly one result, the DLQ is empty and the usage is exact.
 */
@IntegrationTest
class RegistryOutageIT {
  private static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("registry.outage.seconds", 20));
  /** Requests per second from the pipeline, before, during and after the outage. */
  private static final int RATE = 20;

  private final Map<String, List<InferenceResult>> results = new ConcurrentHashMap<>();
  private final Map<String, Instant> resultSeenAt = new ConcurrentHashMap<>();
  private final List<UsageEvent> usage = new CopyOnWriteArrayList<>();
  private final List<byte[]> dlq = new CopyOnWriteArrayList<>();
  /** The aggregator's latest daily totals per team (key {@code <team>|DAILY|<day>}). */
  private final Map<String, io.modelrouter.avro.UsageTotals> dailyTotals = new ConcurrentHashMap<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);

  @Test
  void servicesRunOnCachedSchemasANewSchemaWaitsAndEverythingCatchesUp(KafkaStack stack, @TempDir Path state)
      throws Exception {
    int port = FreePorts.any();
    String schemasTopic = stack.uniqueName("_schemas-outage");
    EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(stack.bootstrapServers()).port(port)
        .topic(schemasTopic).build();
    String url = registry.url();
    String prefix = stack.uniqueName("outage") + ".";
    Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(url)).prefix(prefix).build());
    TopicAdmin.ensureTopics(stack.admin(), topics.all(), 2, (short) 1, Duration.ofSeconds(30));
    // The compose file's session timeout: a stream thread replaced after a failure (the new schema's record, below)
    // gets its partitions back when the failed member's session ends
    Map<String, String> own = Map.of("schema.registry.url", url, "kafka.session.timeout.ms", "6000");
    Thread reader;
    try (TestServices services = new TestServices(stack, prefix, 2, state);
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
            new ByteArraySerializer())) {
      services.aggregator(own);
      services.router("router", own);
      services.worker(with(own, Map.of("worker.simulate", "all", "simulator.latency", "20")));
      reader = Thread.ofPlatform().name("outage-reader").start(() -> read(stack, topics, prefix));

      // Given: traffic through every service, so that each has cached the schemas it reads and writes
      List<String> sent = new ArrayList<>(send(producer, topics, "warm", RATE * 3));
      awaiting().atMost(Duration.ofSeconds(120)).until(() -> results.keySet().containsAll(sent));
      // (and the aggregator's totals: it publishes them every second)
      awaiting().atMost(Duration.ofSeconds(60)).until(() -> dailyCalls() >= sent.size());
      // And a newer version of the request schema, registered but never seen by the services
      int newSchemaId = registerNewerRequestSchema(url, topics.requests().name() + "-value");

      // When: the registry goes away for the outage, with requests arriving every second
      registry.close();
      Instant down = Instant.now();
      List<String> duringCached = new ArrayList<>();
      List<String> duringNewSchema = new ArrayList<>();
      int second = 0;
      while (Duration.between(down, Instant.now()).compareTo(OUTAGE) < 0) {
        duringCached.addAll(send(producer, topics, "cached-" + second, RATE));
        if (second == newSchemaSecond()) {
          // Two thirds into the outage: requests written with the new schema (one team, one partition)
          duringNewSchema.addAll(sendWithSchema(producer, topics, newSchemaId, "new-schema", 10));
        }
        second++;
        Thread.sleep(1_000);
      }
      Map<String, Instant> seenBeforeRestart = Map.copyOf(resultSeenAt);
      List<byte[]> dlqBeforeRestart = List.copyOf(dlq);
      EmbeddedSchemaRegistry restarted = EmbeddedSchemaRegistry.builder(stack.bootstrapServers()).port(port)
          .topic(schemasTopic).build();
      Instant up = Instant.now();
      List<String> after = send(producer, topics, "after", RATE * 3);

      // Then: everything catches up, each request once, nothing dead-lettered
      List<String> all = new ArrayList<>(sent);
      all.addAll(duringCached);
      all.addAll(duringNewSchema);
      all.addAll(after);
      try {
        awaiting().atMost(Duration.ofSeconds(180)).until(() -> results.keySet().containsAll(all));
      } finally {
        restarted.close();
      }
      assertThat(all).allSatisfy(id -> assertThat(results.get(id)).as(id).hasSize(1));
      assertThat(all).allSatisfy(id -> assertThat(results.get(id).get(0).getStatus()).as(id)
          .isEqualTo(ResultStatus.OK));
      assertThat(dlq).as("records dead-lettered").isEmpty();
      assertThat(dlqBeforeRestart).isEmpty();
      // The services ran on their cached schemas: requests sent during the first two thirds were answered while the
      // registry was still down
      long servedWhileDown = duringCached.stream().filter(seenBeforeRestart::containsKey).count();
      assertThat(servedWhileDown).as("requests answered while the registry was down").isPositive();
      List<String> beforeNewSchema = duringCached.stream().filter(id -> secondOf(id) < newSchemaSecond()).toList();
      assertThat(beforeNewSchema).as("requests sent before the new schema's, answered during the outage")
          .isNotEmpty().allSatisfy(id -> assertThat(seenBeforeRestart).containsKey(id));
      // The new schema waited for the registry: no result before it was back, and then one
      assertThat(duringNewSchema).noneSatisfy(id -> assertThat(seenBeforeRestart).containsKey(id));
      assertThat(duringNewSchema).allSatisfy(id -> assertThat(resultSeenAt.get(id)).isAfter(up.minusMillis(1)));
      // Usage is exact: one event per answered request (the simulated provider answers each call)
      awaiting().atMost(Duration.ofSeconds(30)).until(() -> usage.size() >= all.size());
      assertThat(usage).extracting(UsageEvent::getEventId).doesNotHaveDuplicates();
      assertThat(usage.stream().map(UsageEvent::getRequestId).distinct().count()).isEqualTo(all.size());
      // And the aggregator caught up: its daily totals count exactly the usage events
      awaiting().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(dailyCalls()).isEqualTo(usage.size()));
      System.out.printf("registry outage: %d s down; %d requests sent while it was down, %d answered before it was"
              + " back; %d with a new schema waited and were answered %d ms after it was back; %d sent after;"
              + " 0 dead-lettered, %d usage events, the same number of calls in the aggregator's totals%n",
          OUTAGE.toSeconds(), duringCached.size() + duringNewSchema.size(),
          servedWhileDown, duringNewSchema.size(), duringNewSchema.stream()
              .mapToLong(id -> Duration.between(up, resultSeenAt.get(id)).toMillis()).max().orElse(0),
          after.size(), usage.size());
    } finally {
      reading.set(false);
    }
    reader.join(10_000);
  }

  /**
   * Awaitility without its default of failing the wait on any thread's uncaught exception: the router's stream
   * thread that reads the new schema during the outage fails by design, and Kafka Streams, after starting its
   * replacement, rethrows the failure on the dying thread. A wait that happens to be running then would fail the test
   * for the very behaviour it checks; what must hold is asserted on the results.
   */
  private static org.awaitility.core.ConditionFactory awaiting() {
    return org.awaitility.Awaitility.await().dontCatchUncaughtExceptions();
  }

  /** Calls in the aggregator's latest daily totals, every team. */
  private long dailyCalls() {
    return dailyTotals.values().stream().mapToLong(io.modelrouter.avro.UsageTotals::getCalls).sum();
  }

  /** The second of the outage at which the requests with the new schema are sent: two thirds into it. */
  private static long newSchemaSecond() {
    return OUTAGE.toSeconds() * 2 / 3;
  }

  /** {@code cached-<second>-<i>}: the second of the outage it was sent in. */
  private static long secondOf(String id) {
    return Long.parseLong(id.substring("cached-".length(), id.lastIndexOf('-')));
  }

  private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
    Map<String, String> out = new java.util.HashMap<>(a);
    out.putAll(b);
    return out;
  }

  /** The request schema with one more optional field: a newer client's, BACKWARD-compatible. */
  private static int registerNewerRequestSchema(String url, String subject) {
    Schema newer = newerRequestSchema();
    return new HttpSchemaRegistryClient(List.of(URI.create(url)), Optional.empty(), Duration.ofSeconds(10))
        .register(subject, newer);
  }

  private static Schema newerRequestSchema() {
    String json = InferenceRequest.getClassSchema().toString();
    int end = json.lastIndexOf(']');
    return new Schema.Parser().parse(json.substring(0, end)
        + ",{\"name\":\"outageNote\",\"type\":[\"null\",\"string\"],\"default\":null}" + json.substring(end));
  }

  private static List<String> send(KafkaProducer<String, byte[]> producer, Topics topics, String label, int count)
      throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = label + "-" + i;
      InferenceRequest request = SampleRecords.request(id, "team-" + (i % 6));
      request.setDeadline(null);
      request.setCreatedAt(Instant.now());
      producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
          topics.requests().serializeValue(request)));
      ids.add(id);
    }
    producer.flush();
    return ids;
  }

  /** Requests of one team written in the wire format with schema {@code id} (the newer version), by hand. */
  private static List<String> sendWithSchema(KafkaProducer<String, byte[]> producer, Topics topics, int id,
      String label, int count) throws Exception {
    Schema newer = newerRequestSchema();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String requestId = label + "-" + i;
      InferenceRequest request = SampleRecords.request(requestId, "team-new");
      request.setDeadline(null);
      request.setCreatedAt(Instant.now());
      GenericRecord record = (GenericRecord) GenericData.get().deepCopy(newer,
          toGeneric(request, InferenceRequest.getClassSchema(), newer));
      record.put("outageNote", "written during the registry outage");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(newer).write(record, encoder);
      encoder.flush();
      producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(), out.toByteArray()));
      ids.add(requestId);
    }
    producer.flush();
    return ids;
  }

  /** The request as a generic record of the newer schema (the same fields, the new one unset). */
  private static GenericRecord toGeneric(InferenceRequest request, Schema old, Schema newer) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
    new org.apache.avro.specific.SpecificDatumWriter<InferenceRequest>(old).write(request, encoder);
    encoder.flush();
    return new org.apache.avro.generic.GenericDatumReader<GenericRecord>(old, newer).read(null,
        org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
  }

  private void read(KafkaStack stack, Topics topics, String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name(), topics.usage().name(), topics.dlq().name(),
          topics.usageTotals().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.results().name())) {
            InferenceResult result = topics.results().deserializeValue(record.value());
            results.computeIfAbsent(result.getRequestId(), k -> new CopyOnWriteArrayList<>()).add(result);
            resultSeenAt.putIfAbsent(result.getRequestId(), Instant.now());
          } else if (record.topic().equals(topics.usage().name())) {
            usage.add(topics.usage().deserializeValue(record.value()));
          } else if (record.topic().equals(topics.usageTotals().name())) {
            if (record.key().contains("|DAILY|") && record.value() != null) {
              dailyTotals.put(record.key(), topics.usageTotals().deserializeValue(record.value()));
            }
          } else {
            dlq.add(record.value());
          }
        }
      }
    }
  }
}
