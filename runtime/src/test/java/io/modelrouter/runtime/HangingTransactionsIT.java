package io.modelrouter.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The hanging-transaction check never takes a live transaction for a hanging one: on the embedded broker, a
 * transaction open on a partition (records written, not committed) is one its coordinator holds open there, so it
 * is not reported even when every open transaction is old enough to be looked at; nor is one committed. (A hanging
 * transaction itself needs a broker that stops mid-write: DiskFullBenchmark makes one, docs/reliability.md.)
 */
@IntegrationTest
class HangingTransactionsIT {

  @Test
  void aLiveOrCommittedTransactionIsNeverReportedAsHanging(KafkaStack stack) throws Exception {
    String topic = stack.uniqueName("hanging");
    String prefix = stack.uniqueName("svc") + "-";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
      Map<String, Object> config = new HashMap<>(stack.producerConfig());
      config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "1");
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
          new StringSerializer())) {
        producer.initTransactions();
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, 0, "k", "v")).get();
        producer.send(new ProducerRecord<>(topic, 1, "k", "v")).get();
        // the partitions show the transaction open (what a hanging one looks like there too)
        var producers = admin.describeProducers(List.of(new org.apache.kafka.common.TopicPartition(topic, 0),
            new org.apache.kafka.common.TopicPartition(topic, 1))).all().get();
        producers.values().forEach(state -> assertThat(state.activeProducers())
            .anyMatch(p -> p.currentTransactionStartOffset().isPresent()));
        // Every open transaction is a candidate (its last write is "a minute old" by this clock): the coordinator
        // still has it open on both partitions, so it is not hanging
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofMinutes(1)), ZoneOffset.UTC);
        HangingTransactions check = new HangingTransactions(Map.of(), prefix, Duration.ofSeconds(30), later);
        assertThat(check.find(admin)).isEmpty();
        // another service's prefix does not look at it at all
        assertThat(new HangingTransactions(Map.of(), "other-", Duration.ZERO, later).find(admin)).isEmpty();

        producer.commitTransaction();
        assertThat(check.find(admin)).isEmpty();
        assertThat(check.aborted()).isZero();
      }
    }
  }
}
