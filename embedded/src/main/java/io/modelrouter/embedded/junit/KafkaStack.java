package io.modelrouter.embedded.junit;

import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * A broker and a schema registry for integration tests, shared by every test class of a JVM (see
 * {@link KafkaStackExtension}). Tests isolate themselves with topic prefixes and group ids from
 * {@link #uniqueName}.
 */
public final class KafkaStack implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final EmbeddedKafka kafka;
  private final EmbeddedSchemaRegistry registry;

  private KafkaStack(EmbeddedKafka kafka, EmbeddedSchemaRegistry registry) {
    this.kafka = kafka;
    this.registry = registry;
  }

  public static KafkaStack start() {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    try {
      return new KafkaStack(kafka, EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build());
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public String registryUrl() {
    return registry.url();
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** A name no other test of this JVM uses, e.g. {@code routing-7}. */
  public String uniqueName(String base) {
    return base + "-" + SEQUENCE.incrementAndGet();
  }

  /** The contract's topics under a prefix of their own, created with leaders ready. */
  public Topics createTopics(String prefix, int partitions) {
    Topics topics = Topics.create(TopicsConfig.builder()
        .serde(io.modelrouter.schemas.serde.AvroSerdeConfig.forUrl(registryUrl()))
        .prefix(prefix)
        .build());
    try (Admin admin = admin()) {
      TopicAdmin.ensureTopics(admin, topics.all(), partitions, (short) 1, Duration.ofSeconds(30));
    }
    return topics;
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  public Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    return config;
  }

  public Map<String, Object> consumerConfig(String groupId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return config;
  }

  @Override
  public void close() {
    try {
      registry.close();
    } finally {
      kafka.close();
    }
  }
}
