package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

@IntegrationTest
class BrokerIT {

  @Test
  void idempotentAcksAllProducerDeliversEveryRecordInOrder(KafkaStack stack) throws Exception {
    String topic = stack.uniqueName("delivery");
    createTopic(stack, topic, 1);
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 500; i++) {
        producer.send(new ProducerRecord<>(topic, "k", "v" + i));
      }
      producer.flush();
    }
    List<String> values = readAll(stack, topic, "read_committed", 500).stream().map(ConsumerRecord::value).toList();
    assertThat(values).hasSize(500);
    assertThat(values.get(0)).isEqualTo("v0");
    assertThat(values.get(499)).isEqualTo("v499");
  }

  @Test
  void readCommittedSeesCommittedTransactionsAndNotAbortedOnes(KafkaStack stack) throws Exception {
    String topic = stack.uniqueName("transactions");
    createTopic(stack, topic, 2);
    Map<String, Object> config = stack.producerConfig();
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + UUID.randomUUID());
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "a", "committed-1"));
      producer.send(new ProducerRecord<>(topic, "b", "committed-2"));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "a", "aborted-1"));
      producer.send(new ProducerRecord<>(topic, "b", "aborted-2"));
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "a", "committed-3"));
      producer.commitTransaction();
    }
    assertThat(readAll(stack, topic, "read_committed", 3)).extracting(ConsumerRecord::value)
        .containsExactlyInAnyOrder("committed-1", "committed-2", "committed-3");
    assertThat(readAll(stack, topic, "read_uncommitted", 5)).extracting(ConsumerRecord::value)
        .contains("aborted-1", "aborted-2");
  }

  @Test
  void avroRecordsTravelThroughTheBrokerWithTheHttpRegistry(KafkaStack stack) throws Exception {
    Topics topics = stack.createTopics(stack.uniqueName("avro") + ".", 2);
    InferenceRequest request = SampleRecords.request("req-avro", "team-a");
    try (KafkaProducer<String, InferenceRequest> producer = new KafkaProducer<>(stack.producerConfig(),
        topics.requests().keySerde().serializer(), topics.requests().valueSerde().serializer())) {
      producer.send(topics.requests().record("team-a", request)).get();
    }
    try (KafkaConsumer<String, InferenceRequest> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName("avro-reader")),
        topics.requests().keySerde().deserializer(), topics.requests().valueSerde().deserializer())) {
      consumer.subscribe(List.of(topics.requests().name()));
      List<InferenceRequest> read = new ArrayList<>();
      Instant deadline = Instant.now().plusSeconds(30);
      while (read.isEmpty() && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
      }
      assertThat(read).containsExactly(request);
    }
  }

  static void createTopic(KafkaStack stack, String topic, int partitions) {
    try (var admin = stack.admin()) {
      io.modelrouter.schemas.TopicAdmin.createAndAwait(admin, List.of(new NewTopic(topic, partitions, (short) 1)),
          Duration.ofSeconds(30));
    }
  }

  static List<ConsumerRecord<String, String>> readAll(KafkaStack stack, String topic, String isolation, int expected) {
    Map<String, Object> config = stack.consumerConfig(stack.uniqueName("reader"));
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      Instant deadline = Instant.now().plusSeconds(30);
      // Poll until the expected count, then a little longer to catch records that should not be there.
      Instant settle = null;
      while (Instant.now().isBefore(deadline) && (settle == null || Instant.now().isBefore(settle))) {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        if (settle == null && out.size() >= expected) {
          settle = Instant.now().plusMillis(500);
        }
      }
    }
    return out;
  }
}
