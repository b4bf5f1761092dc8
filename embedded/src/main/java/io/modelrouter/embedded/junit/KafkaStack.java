package io.modelrouter.embedded.junit;

import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A broker and a schema registry for integration tests, shared by every test class of a JVM (see
 * {@link KafkaStackExtension}). Tests isolate themselves with topic prefixes and group ids from
 * {@link #uniqueName}. By default the broker and registry are the in-process ones of this module; with
 * {@code -Dstack=containers} they are the {@code apache/kafka} and {@code confluentinc/cp-schema-registry} images
 * ({@link StackSource}, {@link ContainerImages}). Tests see only addresses, so every one runs unchanged on either.
 */
public final class KafkaStack implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String CONTAINER_STACK = "io.modelrouter.embedded.junit.ContainerStack";

  private final StackSource source;
  private final String bootstrapServers;
  private final String registryUrl;
  private final AutoCloseable resources;

  private KafkaStack(StackSource source, String bootstrapServers, String registryUrl, AutoCloseable resources) {
    this.source = source;
    this.bootstrapServers = bootstrapServers;
    this.registryUrl = registryUrl;
    this.resources = resources;
  }

  /** The stack {@link StackSource#selected()} names. */
  public static KafkaStack start() {
    return start(StackSource.selected());
  }

  public static KafkaStack start(StackSource source) {
    return switch (source) {
      case EMBEDDED -> embedded();
      case CONTAINERS -> containers();
    };
  }

  private static KafkaStack embedded() {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    try {
      EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
      return new KafkaStack(StackSource.EMBEDDED, kafka.bootstrapServers(), registry.url(), () -> {
        try {
          registry.close();
        } finally {
          kafka.close();
        }
      });
    } catch (RuntimeException e) {
      kafka.close();
      throw e;
    }
  }

  /**
   * Loads {@code ContainerStack} by name, so that this class never needs Testcontainers on the classpath unless the
   * containers are asked for.
   */
  private static KafkaStack containers() {
    Class<?> type;
    try {
      type = Class.forName(CONTAINER_STACK, true, KafkaStack.class.getClassLoader());
    } catch (ClassNotFoundException | NoClassDefFoundError e) {
      throw new IllegalStateException("-Dstack=containers needs Testcontainers on the test classpath: the build's "
          + "containers profile adds it (./mvnw verify -Dstack=containers activates it)", e);
    }
    try {
      java.lang.reflect.Method start = type.getDeclaredMethod("start");
      start.setAccessible(true);
      Object stack = start.invoke(null);
      java.lang.reflect.Method bootstrap = type.getDeclaredMethod("bootstrapServers");
      java.lang.reflect.Method registry = type.getDeclaredMethod("registryUrl");
      bootstrap.setAccessible(true);
      registry.setAccessible(true);
      return new KafkaStack(StackSource.CONTAINERS, (String) bootstrap.invoke(stack), (String) registry.invoke(stack),
          (AutoCloseable) stack);
    } catch (java.lang.reflect.InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("the containers did not start: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot start " + CONTAINER_STACK + ": " + e, e);
    }
  }

  /** Where the broker and registry of this stack come from. */
  public StackSource source() {
    return source;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String registryUrl() {
    return registryUrl;
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

  /**
   * Every committed record of a topic from its beginning to its end as of this call, in order per partition (a key's
   * records share one partition), values decoded; a tombstone's value is null. Fails after 60 s.
   */
  public <V> List<Map.Entry<String, V>> readCommitted(Topic<String, V> topic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> consumer =
             new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<Map.Entry<String, V>> records = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic.name() + " to its end within 60 s");
        }
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          records.add(new AbstractMap.SimpleEntry<>(record.key(),
              record.value() == null ? null : topic.deserializeValue(record.value())));
        }
      }
      return records;
    }
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
      resources.close();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("closing the " + source.name().toLowerCase(java.util.Locale.ROOT)
          + " stack failed: " + e, e);
    }
  }
}
