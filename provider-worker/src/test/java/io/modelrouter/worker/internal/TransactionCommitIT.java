package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A commit that times out, on the real broker: Kafka's transactional producer, whose first {@code commitTransaction}
 * reports a timeout before doing anything (as when the broker is away past {@code max.block.ms}), must be committed
 * by trying the same commit again: its records read once, committed, and the producer usable for the next one.
 */
@IntegrationTest
class TransactionCommitIT {

  @Test
  void aCommitThatTimedOutIsMadeAgainAndItsRecordsAreCommittedOnce(KafkaStack stack) throws Exception {
    String topic = stack.uniqueName("commit-timeout");
    try (var admin = stack.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Map<String, Object> config = stack.producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-tx");
    try (TimingOut producer = new TimingOut(config, 2)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "first"));
      TransactionCommit.commit(producer, () -> true);
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "second"));
      producer.commitTransaction();
      assertThat(producer.commits.get()).isEqualTo(4);
    }
    assertThat(committed(stack, topic)).containsExactly("first", "second");
  }

  @Test
  void whenItMayNoLongerTryTheTimeoutIsThrown(KafkaStack stack) {
    Map<String, Object> config = stack.producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, stack.uniqueName("commit-stop") + "-tx");
    try (TimingOut producer = new TimingOut(config, 1)) {
      producer.initTransactions();
      producer.beginTransaction();
      assertThatThrownBy(() -> TransactionCommit.commit(producer, () -> false)).isInstanceOf(TimeoutException.class);
      producer.abortTransaction();
    }
  }

  private static List<String> committed(KafkaStack stack, String topic) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(stack.consumerConfig(topic + "-reader"),
        new StringDeserializer(), new StringDeserializer())) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      List<String> values = new ArrayList<>();
      while (consumer.position(partition) < end) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(record -> values.add(record.value()));
      }
      return values;
    }
  }

  /** Kafka's producer, whose first {@code timeouts} commits time out before anything is sent. */
  private static final class TimingOut extends KafkaProducer<String, String> {
    final AtomicInteger commits = new AtomicInteger();
    private final int timeouts;

    TimingOut(Map<String, Object> config, int timeouts) {
      super(config, new StringSerializer(), new StringSerializer());
      this.timeouts = timeouts;
    }

    @Override
    public void commitTransaction() {
      if (commits.incrementAndGet() <= timeouts) {
        throw new TimeoutException("Timeout expired after 60000ms while awaiting EndTxn(true)");
      }
      super.commitTransaction();
    }
  }
}
