package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.registry.HttpSchemaRegistryClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With a data directory, the broker's records and the registry's ids survive a full restart. */
@Tag("integration")
class PersistentStackIT {

  @Test
  void recordsAndSchemaIdsSurviveARestart(@TempDir Path dataDirectory) throws Exception {
    Schema schema = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Kept\",\"fields\":[]}");
    int id;
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDirectory(dataDirectory).build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      TopicAdmin.createAndAwait(admin, List.of(new NewTopic("kept", 1, (short) 1)), Duration.ofSeconds(30));
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
          new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("kept", "k", "survives")).get();
      }
      id = client(registry).register("kept-value", schema);
    }

    try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDirectory(dataDirectory).build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build()) {
      assertThat(client(registry).schemaById(id)).isEqualTo(schema);
      assertThat(client(registry).latest("kept-value").id()).isEqualTo(id);
      assertThat(read(kafka.bootstrapServers(), "kept")).containsExactly("survives");
    }
  }

  private static HttpSchemaRegistryClient client(EmbeddedSchemaRegistry registry) {
    return new HttpSchemaRegistryClient(List.of(URI.create(registry.url())), Optional.empty(), Duration.ofSeconds(10));
  }

  private static List<String> read(String bootstrap, String topic) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "restart-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      Instant deadline = Instant.now().plusSeconds(30);
      while (values.isEmpty() && Instant.now().isBefore(deadline)) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
    }
    return values;
  }
}
