package io.modelrouter.client.internal;

import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of one topic from its end onwards, on a thread of its own, and hands each record to a
 * handler.
 *
 * <p>Partitions are assigned, not subscribed: a client must see the results of its own requests whichever
 * partition they land on, so it needs all of them, and a consumer group would only split them between instances
 * (and cost a rebalance on every start). Nothing is committed. The start position is resolved before
 * {@link #start} returns, so every record written after that is read: a request sent afterwards cannot have its
 * result skipped by a lazily evaluated seek. Partitions added to the topic later are picked up from their
 * beginning at the next refresh.
 *
 * <p>A handler failure skips the record, except a retryable serde failure (the registry was unreachable): then
 * the partition is rewound to that record and read again after a back-off.
 */
public final class TopicTail implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicTail.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
  private static final Duration RETRY_BACKOFF = Duration.ofMillis(500);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer;
  private final String topic;
  private final Consumer<ConsumerRecord<String, byte[]>> handler;
  private final Duration refreshInterval;
  /** How long one look for new partitions may wait for the broker. */
  private static final Duration REFRESH_TIMEOUT = Duration.ofSeconds(10);
  /** Written by the starting thread, then only by the reading thread; read by {@link #partitions}. */
  private volatile Set<TopicPartition> assigned = Set.of();
  private final Thread thread;
  private volatile boolean running = true;

  private TopicTail(org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, String topic,
      String threadName, Consumer<ConsumerRecord<String, byte[]>> handler, Duration refreshInterval) {
    this.consumer = consumer;
    this.topic = topic;
    this.handler = handler;
    this.refreshInterval = refreshInterval;
    this.thread = Thread.ofPlatform().name(threadName).daemon(true).unstarted(this::run);
  }

  /**
   * Assigns every partition of the topic, resolves their end offsets (read_committed: the last stable offsets),
   * then starts reading. On failure the consumer is closed.
   *
   * @throws IllegalStateException if the topic does not exist or its end offsets cannot be read
   */
  public static TopicTail start(org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer, String topic,
      String threadName, Consumer<ConsumerRecord<String, byte[]>> handler, Duration refreshInterval) {
    TopicTail tail = new TopicTail(consumer, topic, threadName, handler, refreshInterval);
    try {
      List<TopicPartition> partitions = partitionsOf(consumer, topic);
      if (partitions.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist (or has no partitions): create the "
            + "topics first (the router and worker do at start-up with topics.create=true)");
      }
      tail.assigned = Set.copyOf(partitions);
      consumer.assign(tail.assigned);
      consumer.seekToEnd(tail.assigned);
      for (TopicPartition partition : tail.assigned) {
        consumer.position(partition);
      }
    } catch (KafkaException e) {
      consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      throw new IllegalStateException("cannot start reading " + topic + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      throw e;
    }
    tail.thread.start();
    return tail;
  }

  private static List<TopicPartition> partitionsOf(org.apache.kafka.clients.consumer.Consumer<String, byte[]> consumer,
      String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic);
    return infos == null ? List.of() : infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
  }

  private void run() {
    long nextRefresh = System.nanoTime() + refreshInterval.toNanos();
    try {
      while (running) {
        try {
          ConsumerRecords<String, byte[]> records = consumer.poll(POLL_TIMEOUT);
          for (TopicPartition partition : records.partitions()) {
            handle(partition, records.records(partition));
          }
          if (System.nanoTime() - nextRefresh >= 0) {
            refreshPartitions();
            nextRefresh = System.nanoTime() + refreshInterval.toNanos();
          }
        } catch (WakeupException | InterruptException e) {
          if (running) {
            LOG.warn("reading {} was interrupted; stopping", topic);
          }
          return;
        } catch (KafkaException e) {
          // The consumer retries transient errors itself; what reaches here (authorization, a deleted topic)
          // is logged and tried again rather than leaving every pending request to time out silently.
          LOG.warn("reading {} failed; trying again in {} ms: {}", topic, RETRY_BACKOFF.toMillis(), e.toString());
          sleep(RETRY_BACKOFF);
        }
      }
    } finally {
      try {
        consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      } catch (RuntimeException e) {
        LOG.debug("closing the {} consumer failed", topic, e);
      }
    }
  }

  private void handle(TopicPartition partition, List<ConsumerRecord<String, byte[]>> records) {
    for (ConsumerRecord<String, byte[]> record : records) {
      try {
        handler.accept(record);
      } catch (SchemaSerdeException e) {
        if (e.isRetryable()) {
          LOG.warn("{}-{}@{}: {}; reading it again in {} ms", record.topic(), record.partition(), record.offset(),
              e.getMessage(), RETRY_BACKOFF.toMillis());
          consumer.seek(partition, record.offset());
          sleep(RETRY_BACKOFF);
          return;
        }
        LOG.warn("{}-{}@{} skipped: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.warn("{}-{}@{} skipped: the handler failed", record.topic(), record.partition(), record.offset(), e);
      }
    }
  }

  private void refreshPartitions() {
    // partitionsFor answers from the consumer's cached metadata, which learns of new partitions only every
    // metadata.max.age.ms (5 minutes by default); listTopics asks the broker each time.
    List<PartitionInfo> infos = consumer.listTopics(REFRESH_TIMEOUT).get(topic);
    Set<TopicPartition> added = new HashSet<>();
    if (infos != null) {
      infos.forEach(p -> added.add(new TopicPartition(p.topic(), p.partition())));
    }
    added.removeAll(assigned);
    if (!added.isEmpty()) {
      Set<TopicPartition> all = new HashSet<>(assigned);
      all.addAll(added);
      assigned = Set.copyOf(all);
      consumer.assign(assigned);
      // Everything in a partition that did not exist at start was written after the start.
      consumer.seekToBeginning(added);
      LOG.info("{} gained partitions {}; reading them from their beginning", topic, added);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  /** The partitions read now. */
  public Set<TopicPartition> partitions() {
    return assigned;
  }

  /** Stops reading and closes the consumer; waits for the reading thread. */
  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(CLOSE_TIMEOUT.plusSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
