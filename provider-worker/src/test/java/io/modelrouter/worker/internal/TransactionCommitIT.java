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
import org.apache.kafka.common.errors.InvalidProducerEpochException;
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

  /**
   * What the worker does when the transaction coordinator aborted its transaction for its age (the process was
   * paused, or a commit took longer than {@code transaction.timeout.ms}), both ways it shows, with one pause for both:
   * a send after the pause fails with {@link InvalidProducerEpochException}, and aborting lets the same producer go
   * on; a commit straight after it is refused ({@code InvalidTxnStateException}), the producer cannot abort either,
   * and a new producer for the same transactional id goes on (the worker replaces its producer). The worker loop and
   * the batch coordinator rely on this instead of stopping the process.
   */
  @Test
  void aTransactionAbortedForItsAgeIsAbortedAndTheWorkGoesOn(KafkaStack stack) throws Exception {
    String sending = stack.uniqueName("txn-aged-send");
    String committing = stack.uniqueName("txn-aged-commit");
    try (var admin = stack.admin()) {
      admin.createTopics(List.of(new NewTopic(sending, 1, (short) 1), new NewTopic(committing, 1, (short) 1)))
          .all().get();
    }
    try (KafkaProducer<String, String> first = agedProducer(stack, sending);
        KafkaProducer<String, String> second = agedProducer(stack, committing)) {
      for (var producer : List.of(first, second)) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      first.send(new ProducerRecord<>(sending, "k", "aborted")).get();
      second.send(new ProducerRecord<>(committing, "k", "aborted")).get();
      // past the 1 s timeout and the embedded broker's 1 s check for timed-out transactions
      Thread.sleep(4_000);

      // the worker goes on where it was: its next output, then the commit
      first.send(new ProducerRecord<>(sending, "k", "aborted too"));
      assertThatThrownBy(() -> TransactionCommit.commit(first, () -> true))
          .isInstanceOf(InvalidProducerEpochException.class);
      first.abortTransaction();
      first.beginTransaction();
      first.send(new ProducerRecord<>(sending, "k", "next"));
      TransactionCommit.commit(first, () -> true);

      assertThatThrownBy(() -> TransactionCommit.commit(second, () -> true))
          .isInstanceOf(org.apache.kafka.common.errors.InvalidTxnStateException.class);
      assertThatThrownBy(second::abortTransaction).isInstanceOf(org.apache.kafka.common.KafkaException.class);
    }
    try (KafkaProducer<String, String> replacement = agedProducer(stack, committing)) {
      replacement.initTransactions();
      replacement.beginTransaction();
      replacement.send(new ProducerRecord<>(committing, "k", "next"));
      TransactionCommit.commit(replacement, () -> true);
    }
    assertThat(committed(stack, sending)).containsExactly("next");
    assertThat(committed(stack, committing)).containsExactly("next");
  }

  private static KafkaProducer<String, String> agedProducer(KafkaStack stack, String topic) {
    Map<String, Object> config = stack.producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-tx");
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 1000);
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
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
