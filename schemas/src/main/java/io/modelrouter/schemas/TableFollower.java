package io.modelrouter.schemas;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a compacted topic in memory: reads it from the beginning on a thread of its own (no consumer group, every
 * partition assigned), then follows it. Tombstones remove keys. A value that cannot be decoded is logged and
 * skipped, so one bad record cannot stop the view. {@link #awaitLoaded} waits until the topic has been read up to
 * the end it had at start.
 */
public final class TableFollower<V> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TableFollower.class);

  private final Topic<String, V> topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, V> values = new ConcurrentHashMap<>();
  private final CountDownLatch loaded = new CountDownLatch(1);
  private final Thread thread;
  private final BiConsumer<String, V> listener;
  private volatile boolean running = true;

  /**
   * @param clientConfig bootstrap servers and any Kafka client settings
   * @param listener told about each change after it is applied (value null for a removal); may be a no-op
   */
  public TableFollower(Topic<String, V> topic, Map<String, Object> clientConfig, BiConsumer<String, V> listener) {
    this.topic = topic;
    this.listener = listener;
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.thread = Thread.ofPlatform().daemon().name("follow-" + topic.name()).unstarted(this::run);
  }

  public TableFollower<V> start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(60)).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
      boolean caughtUp = false;
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply(record);
        }
        if (!caughtUp && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          caughtUp = true;
          loaded.countDown();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("following {} stopped", topic.name(), e);
    } finally {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      values.remove(record.key());
      listener.accept(record.key(), null);
      return;
    }
    try {
      V value = topic.deserializeValue(record.value());
      values.put(record.key(), value);
      listener.accept(record.key(), value);
    } catch (RuntimeException e) {
      LOG.error("skipping unreadable record {} on {}-{}@{}: {}", record.key(), record.topic(), record.partition(),
          record.offset(), e.getMessage());
    }
  }

  /** Waits until the topic has been read up to where it ended when following began. */
  public boolean awaitLoaded(Duration timeout) throws InterruptedException {
    return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public V get(String key) {
    return values.get(key);
  }

  /** A snapshot of every key and value. */
  public Map<String, V> snapshot() {
    return Map.copyOf(values);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /**
   * The consumer, for a metrics binder only (Micrometer's {@code KafkaClientMetrics}, so that its lag is exported):
   * {@code metrics()} may be read from any thread; anything else would race with the follower's own thread.
   */
  public org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumerForMetrics() {
    return consumer;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
