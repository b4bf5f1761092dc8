package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.TopicAdmin;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Three brokers, replication 3, min ISR 2: losing one broker loses no acknowledged write, and it comes back. */
@Tag("integration")
class MultiBrokerIT {

  @Test
  void keepsAcceptingAcksAllWritesWithOneBrokerStoppedLosesNothingAndTakesItBack() throws Exception {
    try (EmbeddedKafka cluster = EmbeddedKafka.builder().brokers(3).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
      String topic = "replicated";
      TopicAdmin.createAndAwait(admin, List.of(new NewTopic(topic, 3, (short) 3)
          .configs(Map.of("min.insync.replicas", "2"))), Duration.ofSeconds(60));
      assertThat(cluster.runningBrokers()).hasSize(3);

      Map<String, Object> config = Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
      Set<String> acknowledged = new HashSet<>();
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
        acknowledged.addAll(sendBatch(producer, topic, "before", 300));

        // When the leader of partition 0 stops
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        int leader = description.partitions().get(0).leader().id();
        cluster.stopBroker(leader);
        assertThat(cluster.runningBrokers()).hasSize(2).doesNotContain(leader);

        // Then acks=all writes still succeed (2 in-sync replicas remain) and every acknowledged record is kept
        acknowledged.addAll(sendBatch(producer, topic, "after", 300));

        // When it comes back, it catches up and is in sync again for every partition
        cluster.startBroker(leader);
        assertThat(cluster.runningBrokers()).hasSize(3).contains(leader);
        acknowledged.addAll(sendBatch(producer, topic, "back", 300));
        Instant deadline = Instant.now().plusSeconds(60);
        while (!inSyncEverywhere(admin, topic, leader) && Instant.now().isBefore(deadline)) {
          Thread.sleep(200);
        }
        assertThat(inSyncEverywhere(admin, topic, leader)).as("broker %d back in every ISR", leader).isTrue();
      }
      assertThat(acknowledged).hasSize(900);
      assertThat(readValues(cluster.bootstrapServers(), topic, 900)).containsAll(acknowledged);
    }
  }

  private static boolean inSyncEverywhere(Admin admin, String topic, int broker) throws Exception {
    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    return description.partitions().stream().allMatch(p -> p.isr().stream().anyMatch(n -> n.id() == broker));
  }

  private static List<String> sendBatch(KafkaProducer<String, String> producer, String topic, String label, int count)
      throws Exception {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    List<String> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String value = label + "-" + i;
      values.add(value);
      futures.add(producer.send(new ProducerRecord<>(topic, Integer.toString(i), value)));
    }
    for (Future<RecordMetadata> future : futures) {
      future.get();
    }
    return values;
  }

  private static Set<String> readValues(String bootstrap, String topic, int expected) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Set<String> values = new HashSet<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      Instant deadline = Instant.now().plusSeconds(60);
      while (values.size() < expected && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
    }
    return values;
  }
}
