package io.modelrouter.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The benchmarks' reader of what the services wrote, as a pipeline reads it: its own consumer group, from the
 * beginning, read_committed, on a thread of its own until {@link #stop()}; each record is handed over with the time it
 * became visible. Also the small helpers the benchmarks share.
 */
abstract class CommittedReader implements Runnable {
  private final String bootstrap;
  private final String group;
  private final List<String> topics;
  private final AtomicBoolean running = new AtomicBoolean(true);

  CommittedReader(String bootstrap, String group, List<String> topics) {
    this.bootstrap = bootstrap;
    this.group = group;
    this.topics = List.copyOf(topics);
  }

  /** One record, and when this reader got it (milliseconds since the epoch). */
  abstract void accept(ConsumerRecord<String, byte[]> record, long visibleAt);

  final void stop() {
    running.set(false);
  }

  @Override
  public final void run() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(topics);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
          accept(record, System.currentTimeMillis());
        }
      }
    }
  }

  /** An idempotent producer with acks=all and a 5 ms linger, as the benchmarks' pipelines write. */
  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG,
        "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer());
  }

  /** The value at {@code p} (0 to 1) of sorted values; 0 when there are none. */
  static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0
        : sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1))];
  }

  /** Settings made of the ones every service of a run shares and its own. */
  static io.modelrouter.config.Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return io.modelrouter.config.Settings.of(all);
  }
}
