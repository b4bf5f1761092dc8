package io.modelrouter.client;

import io.modelrouter.client.internal.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka's mock producer and consumers behind {@link KafkaClients}: topics with a partition count, records
 * appended per partition with increasing offsets, and every config the client asked for.
 */
final class FakeKafka implements KafkaClients {
  final MockProducer<String, byte[]> producer =
      new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
  final List<Map<String, Object>> producerConfigs = new CopyOnWriteArrayList<>();
  final Map<String, Map<String, Object>> consumerConfigs = new ConcurrentHashMap<>();
  private final Map<String, Integer> topics = new HashMap<>();
  private final Map<String, PollingMockConsumer> consumersByTopic = new ConcurrentHashMap<>();
  private final Map<TopicPartition, AtomicLong> nextOffsets = new ConcurrentHashMap<>();

  FakeKafka topic(String name, int partitions) {
    topics.put(name, partitions);
    return this;
  }

  @Override
  public Producer<String, byte[]> producer(Map<String, Object> config) {
    producerConfigs.add(config);
    return producer;
  }

  @Override
  public Consumer<String, byte[]> consumer(Map<String, Object> config) {
    String clientId = config.get(ConsumerConfig.CLIENT_ID_CONFIG).toString();
    consumerConfigs.put(clientId.substring(clientId.lastIndexOf('-') + 1), config);
    PollingMockConsumer consumer = new PollingMockConsumer(this);
    Map<TopicPartition, Long> ends = new HashMap<>();
    topics.forEach((topic, count) -> {
      consumer.updatePartitions(topic, IntStream.range(0, count)
          .mapToObj(p -> new PartitionInfo(topic, p, null, null, null)).toList());
      IntStream.range(0, count).forEach(p -> ends.put(new TopicPartition(topic, p), 0L));
    });
    consumer.updateEndOffsets(ends);
    consumer.updateBeginningOffsets(ends);
    return consumer;
  }

  /** Appends a record to the partition; the consumer reading that topic sees it on its next poll. */
  void append(String topic, int partition, String key, byte[] value) {
    TopicPartition tp = new TopicPartition(topic, partition);
    long offset = nextOffsets.computeIfAbsent(tp, p -> new AtomicLong()).getAndIncrement();
    PollingMockConsumer consumer = consumersByTopic.get(topic);
    if (consumer == null) {
      throw new IllegalStateException("no consumer reads " + topic);
    }
    consumer.addRecord(new ConsumerRecord<>(topic, partition, offset, key, value));
  }

  /** Adds a partition to a topic the client already reads, as {@code kafka-topics --alter} would. */
  TopicPartition addPartition(String topic) {
    int partition = topics.merge(topic, 1, Integer::sum) - 1;
    TopicPartition added = new TopicPartition(topic, partition);
    PollingMockConsumer consumer = consumersByTopic.get(topic);
    consumer.updateBeginningOffsets(Map.of(added, 0L));
    consumer.updateEndOffsets(Map.of(added, 0L));
    consumer.updatePartitions(topic, IntStream.rangeClosed(0, partition)
        .mapToObj(p -> new PartitionInfo(topic, p, null, null, null)).toList());
    return added;
  }

  boolean reads(TopicPartition partition) {
    PollingMockConsumer consumer = consumersByTopic.get(partition.topic());
    return consumer != null && consumer.assignment().contains(partition);
  }

  /** MockConsumer returns at once from an empty poll; this one waits a little, as a real consumer would. */
  static final class PollingMockConsumer extends MockConsumer<String, byte[]> {
    private final FakeKafka kafka;

    PollingMockConsumer(FakeKafka kafka) {
      super("earliest");
      this.kafka = kafka;
    }

    @Override
    public synchronized void assign(java.util.Collection<TopicPartition> partitions) {
      super.assign(partitions);
      partitions.forEach(p -> kafka.consumersByTopic.put(p.topic(), this));
    }

    @Override
    public ConsumerRecords<String, byte[]> poll(Duration timeout) {
      ConsumerRecords<String, byte[]> records = super.poll(timeout);
      if (records.isEmpty()) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return records;
    }
  }
}
