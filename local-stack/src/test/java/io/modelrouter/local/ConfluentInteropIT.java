package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.registry.SchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Confluent's own serde reads and writes our topics. A Node.js script ({@code src/test/node}) produces an
 * {@code InferenceRequest} with {@code @confluentinc/schemaregistry}'s {@code AvroSerializer} on kafkajs, the real
 * router and worker (simulated provider) answer it, and the script reads the {@code InferenceResult} our worker
 * wrote with Confluent's {@code AvroDeserializer}. Java checks the request's bytes (magic byte 0, the subject's
 * schema id, the very bytes our serializer writes for the same record) and that each side decoded exactly the
 * fields the other wrote. Confluent's Java artifacts do not resolve here; its JavaScript serde does, from npm.
 *
 * <p>Needs Node.js 20+ and {@value #NPM_CI}; without them the test fails and says what to run (.ci/run does it).
 */
@IntegrationTest
class ConfluentInteropIT {
  static final String NPM_CI = "npm ci --ignore-scripts --prefix local-stack/src/test/node";
  private static final Path NODE_DIR = Path.of(System.getProperty("interop.node.dir", "src/test/node"));
  private static final List<String> PACKAGES = List.of("@confluentinc/schemaregistry", "kafkajs");
  private static final Duration NODE_TIMEOUT = Duration.ofSeconds(45);
  private static final String TEAM = "team-node";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void confluentsSerdeWritesRequestsWeReadAndReadsTheResultsWeWrite(KafkaStack stack, @TempDir Path temp)
      throws Exception {
    requireNodeAndPackages();
    // Given: our topics, the router and a worker on the simulated provider, and the request schema registered the
    // way our own producers register it (a Confluent client configured by the README fetches it, never registers)
    String prefix = stack.uniqueName("interop") + ".";
    Topics topics = stack.createTopics(prefix, 2);
    int requestSchemaId;
    try (SchemaRegistryClient registry = AvroSerdeConfig.forUrl(stack.registryUrl()).createClient()) {
      requestSchemaId = registry.register(topics.requests().name() + "-value", InferenceRequest.getClassSchema());
    }
    String requestId = "node-" + UUID.randomUUID();
    try (TestServices services = new TestServices(stack, prefix, 2, temp.resolve("state"))) {
      RouterService router = services.router("router", Map.of());
      services.worker(Map.of("worker.simulate", "all", "simulator.latency", "20"));
      await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);

      // When: Confluent's serde writes a request and reads its result
      JsonNode node = runNode(temp, stack.bootstrapServers(), stack.registryUrl(), topics.requests().name(),
          topics.results().name(), requestId, TEAM, prefix + "node-reader", Long.toString(NODE_TIMEOUT.toMillis()));

      // Then: the request is on the Confluent wire format with the subject's schema id, and our deserializer reads
      // exactly the fields Confluent's serializer wrote; our serializer writes the same bytes for them
      ConsumerRecord<byte[], byte[]> sent = first(stack, topics.requests().name(), record -> true);
      assertThat(new String(sent.key(), StandardCharsets.UTF_8)).isEqualTo(TEAM);
      byte[] bytes = sent.value();
      assertThat(bytes[0]).as("magic byte").isZero();
      assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).as("schema id").isEqualTo(requestSchemaId);
      assertThat(node.get("sentSchemaId").asInt()).isEqualTo(requestSchemaId);
      InferenceRequest request = topics.requests().deserializeValue(bytes);
      // every field the Node.js client set reads back as it set it; the fields it left out take their defaults
      assertContains(avscJson(request), node.get("sent"), "$");
      assertThat(request.getTools()).singleElement().satisfies(t -> assertThat(t.getName()).isEqualTo("lookup_diff"));
      assertThat(request.getStopSequences()).containsExactly("END");
      assertThat(request.getToolChoice().getMode()).isEqualTo(io.modelrouter.avro.ToolChoiceMode.NONE);
      assertThat(request.getMessages()).allSatisfy(m -> assertThat(m.getBlocks()).isEmpty());
      assertThat(request.getRequestId()).isEqualTo(requestId);
      assertThat(request.getMessages().get(1).getContent()).contains("ünïcödé", "🚀");
      assertThat(request.getPriority()).isEqualTo(Priority.BATCH);
      assertThat(request.getTemperature()).isEqualTo(0.25);
      assertThat(request.getMetadata()).containsEntry("origin", "kafkajs+@confluentinc/schemaregistry");
      assertThat(topics.requests().serializeValue(request)).as("our bytes for the same record").isEqualTo(bytes);

      // And: Confluent's deserializer read exactly the fields of the result our worker wrote, a real answer
      ConsumerRecord<byte[], byte[]> answered = first(stack, topics.results().name(),
          record -> requestId.equals(topics.results().deserializeValue(record.value()).getRequestId()));
      InferenceResult result = topics.results().deserializeValue(answered.value());
      assertThat(result.getStatus()).as(result.toString()).isEqualTo(ResultStatus.OK);
      assertThat(result.getSimulated()).isTrue();
      assertThat(result.getContent()).isNotBlank();
      assertThat(result.getUsage().getOutputTokens()).isPositive();
      assertThat(result.getAttempts()).isNotEmpty();
      assertThat(node.get("result")).isEqualTo(avscJson(result));
      assertThat(node.get("resultKey").asText()).isEqualTo(TEAM);
      assertThat(node.get("resultSchemaId").asInt()).isEqualTo(ByteBuffer.wrap(answered.value(), 1, 4).getInt());
    }
  }

  /** Fails, saying what to install or run, when Node.js or the locked packages are missing: never skips. */
  private static void requireNodeAndPackages() throws Exception {
    String version;
    try {
      Process process = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      version = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      fail("Node.js is not on the PATH (%s): install Node.js 20 or newer, then run '%s' (.ci/run does it)",
          e.getMessage(), NPM_CI);
      return;
    }
    assertThat(version).as("node --version").matches("v\\d+\\..*");
    int major = Integer.parseInt(version.substring(1, version.indexOf('.')));
    assertThat(major).as("Node.js %s is too old: @confluentinc/schemaregistry's dependencies need 20 or newer",
        version).isGreaterThanOrEqualTo(20);
    JsonNode lock = MAPPER.readTree(NODE_DIR.resolve("package-lock.json").toFile()).get("packages");
    for (String name : PACKAGES) {
      Path manifest = NODE_DIR.resolve("node_modules").resolve(name).resolve("package.json");
      assertThat(manifest).as("%s is not installed in %s: run '%s' (.ci/run does it)", name, NODE_DIR, NPM_CI)
          .isRegularFile();
      String locked = lock.get("node_modules/" + name).get("version").asText();
      assertThat(MAPPER.readTree(manifest.toFile()).get("version").asText())
          .as("%s in %s is not the locked version: run '%s'", name, NODE_DIR, NPM_CI).isEqualTo(locked);
    }
  }

  /** Runs the script and returns its JSON summary; fails with its stderr when it fails or hangs. */
  private static JsonNode runNode(Path temp, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("node", "confluent-interop.js"));
    command.addAll(List.of(args));
    Path out = temp.resolve("node.out");
    Path err = temp.resolve("node.err");
    Process process = new ProcessBuilder(command).directory(NODE_DIR.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    boolean exited = process.waitFor(NODE_TIMEOUT.plusSeconds(15).toSeconds(), TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    assertThat(exited && process.exitValue() == 0)
        .as("%s %s; its stderr:%n%s", command, exited ? "exited with " + process.exitValue() : "did not exit",
            Files.readString(err))
        .isTrue();
    return MAPPER.readTree(Files.readString(out));
  }

  /** The first record of {@code topic} (read_committed, from the start) that {@code match} accepts. */
  private static ConsumerRecord<byte[], byte[]> first(KafkaStack stack, String topic,
      Predicate<ConsumerRecord<byte[], byte[]>> match) {
    AtomicReference<ConsumerRecord<byte[], byte[]>> found = new AtomicReference<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName("interop-check")), new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(30)).pollInSameThread().until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(record -> {
          if (found.get() == null && match.test(record)) {
            found.set(record);
          }
        });
        return found.get() != null;
      });
    }
    return found.get();
  }

  /**
   * A record in the JSON form avsc (under Confluent's JavaScript serde) decodes it to: unions unwrapped, enums as
   * their symbols, timestamp-millis as epoch millis. Written and parsed again so numbers compare by value.
   */
  private static JsonNode avscJson(IndexedRecord record) throws IOException {
    return MAPPER.readTree(MAPPER.writeValueAsString(plain(record, record.getSchema())));
  }

  private static Object plain(Object value, Schema schema) {
    return switch (schema.getType()) {
      case UNION -> value == null ? null : plain(value, nonNullBranch(schema));
      case RECORD -> {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (Schema.Field field : schema.getFields()) {
          fields.put(field.name(), plain(((IndexedRecord) value).get(field.pos()), field.schema()));
        }
        yield fields;
      }
      case ARRAY -> ((Collection<?>) value).stream().map(item -> plain(item, schema.getElementType())).toList();
      case MAP -> {
        Map<String, Object> entries = new LinkedHashMap<>();
        ((Map<?, ?>) value).forEach((key, item) -> entries.put(key.toString(), plain(item, schema.getValueType())));
        yield entries;
      }
      case ENUM, STRING -> value.toString();
      case LONG -> value instanceof Instant instant ? instant.toEpochMilli() : value;
      case INT, DOUBLE, FLOAT, BOOLEAN, NULL -> value;
      default -> throw new IllegalArgumentException("no avsc JSON form for " + schema);
    };
  }

  /** Our schemas' unions are all [null, T]: avsc unwraps those to a T or null. */
  private static Schema nonNullBranch(Schema union) {
    List<Schema> others = union.getTypes().stream().filter(type -> type.getType() != Schema.Type.NULL).toList();
    assertThat(others).as("union %s", union).hasSize(1);
    return others.getFirst();
  }

  /** Every field of {@code expected} is in {@code actual} with the same value, objects compared recursively. */
  private static void assertContains(JsonNode actual, JsonNode expected, String path) {
    if (expected.isObject()) {
      assertThat(actual.isObject()).as(path).isTrue();
      expected.properties().forEach(e -> assertContains(actual.path(e.getKey()), e.getValue(), path + "." + e.getKey()));
    } else if (expected.isArray()) {
      assertThat(actual.size()).as(path).isEqualTo(expected.size());
      for (int i = 0; i < expected.size(); i++) {
        assertContains(actual.get(i), expected.get(i), path + "[" + i + "]");
      }
    } else {
      assertThat(actual).as(path).isEqualTo(expected);
    }
  }
}
