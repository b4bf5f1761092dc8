package io.modelrouter.embedded.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.registry.CompatibilityLevel;
import io.modelrouter.schemas.registry.RegistryEvent;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Keeps a registry's events in a compacted single-partition topic, with keys and values shaped like Confluent's
 * {@code _schemas} records ({@code {"keytype":"SCHEMA","subject":..,"version":..,"magic":1}} and so on), and
 * replays them on start. The last record per key wins, as compaction would leave it.
 */
public final class SchemasTopicStore implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final String topic;
  private final String bootstrapServers;
  private final KafkaProducer<String, String> producer;

  public SchemasTopicStore(String bootstrapServers, String topic) {
    this.topic = topic;
    this.bootstrapServers = bootstrapServers;
    ensureTopic();
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "embedded-schema-registry");
    this.producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  private void ensureTopic() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      int brokers = admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
      NewTopic schemas = new NewTopic(topic, 1, (short) Math.min(3, brokers))
          .configs(Map.of("cleanup.policy", "compact"));
      TopicAdmin.createAndAwait(admin, List.of(schemas), TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot reach Kafka at " + bootstrapServers + " to create " + topic, e);
    }
  }

  /** Applies every stored event to the state, in order. Returns how many records were read. */
  public int replayInto(SchemaRegistryState state) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    int count = 0;
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
      while (consumer.position(partition, TIMEOUT) < end) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          apply(state, record.key(), record.value());
          count++;
        }
      }
    }
    return count;
  }

  /** Writes the events and waits until the broker has them (acks=all). */
  public void append(List<RegistryEvent> events) {
    try {
      for (RegistryEvent event : events) {
        producer.send(toRecord(event)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to " + topic, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("writing to " + topic + " failed: " + e, e);
    }
  }

  private ProducerRecord<String, String> toRecord(RegistryEvent event) {
    ObjectNode key = JSON.createObjectNode();
    return switch (event) {
      case RegistryEvent.SchemaVersion v -> {
        schemaKey(key, v.subject(), v.version());
        ObjectNode value = JSON.createObjectNode();
        value.put("subject", v.subject());
        value.put("version", v.version());
        value.put("id", v.id());
        value.put("schema", v.schema());
        value.put("deleted", v.deleted());
        yield new ProducerRecord<>(topic, key.toString(), value.toString());
      }
      case RegistryEvent.VersionRemoved r -> {
        schemaKey(key, r.subject(), r.version());
        yield new ProducerRecord<>(topic, key.toString(), null);
      }
      case RegistryEvent.Config c -> {
        key.put("keytype", "CONFIG");
        if (c.subject() == null) {
          key.putNull("subject");
        } else {
          key.put("subject", c.subject());
        }
        key.put("magic", 0);
        String value = c.level() == null ? null
            : JSON.createObjectNode().put("compatibilityLevel", c.level().name()).toString();
        yield new ProducerRecord<>(topic, key.toString(), value);
      }
    };
  }

  private static void schemaKey(ObjectNode key, String subject, int version) {
    key.put("keytype", "SCHEMA");
    key.put("subject", subject);
    key.put("version", version);
    key.put("magic", 1);
  }

  static void apply(SchemaRegistryState state, String keyJson, String valueJson) {
    try {
      JsonNode key = JSON.readTree(keyJson);
      JsonNode value = valueJson == null ? null : JSON.readTree(valueJson);
      String subject = key.path("subject").isNull() || key.path("subject").isMissingNode()
          ? null : key.path("subject").asText();
      switch (key.path("keytype").asText()) {
        case "SCHEMA" -> {
          if (value == null) {
            state.apply(new RegistryEvent.VersionRemoved(subject, key.path("version").asInt()));
          } else {
            state.apply(new RegistryEvent.SchemaVersion(value.path("subject").asText(),
                value.path("version").asInt(), value.path("id").asInt(), value.path("schema").asText(),
                value.path("deleted").asBoolean(false)));
          }
        }
        case "CONFIG" -> state.apply(new RegistryEvent.Config(subject, value == null ? null
            : CompatibilityLevel.parse(value.path("compatibilityLevel").asText()).orElse(null)));
        case "DELETE_SUBJECT" -> {
          // Written by a Confluent registry: every version up to the watermark is soft-deleted.
          int watermark = value == null ? Integer.MAX_VALUE : value.path("version").asInt(Integer.MAX_VALUE);
          state.planSoftDelete(subject).stream()
              .filter(e -> ((RegistryEvent.SchemaVersion) e).version() <= watermark)
              .forEach(state::apply);
        }
        default -> {
          // NOOP, MODE, CONTEXT and newer key types carry nothing this registry serves.
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable record in the schemas topic: key " + keyJson, e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}
