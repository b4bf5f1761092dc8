package io.modelrouter.cli;

import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The services' topics as mr reaches them: its bootstrap servers, registry and topic prefix. */
final class Kafka {
  private Kafka() {}

  static Topics topics(Mr mr) {
    return Topics.create(TopicsConfig.builder().prefix(mr.topicPrefix == null ? "" : mr.topicPrefix)
        .serde(AvroSerdeConfig.from(Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, mr.schemaRegistry,
            AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false")))
        .build());
  }

  /** A consumer of raw bytes that reads committed records only. */
  static KafkaConsumer<byte[], byte[]> consumer(Mr mr, String groupId) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, mr.bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "mr-cli");
    if (groupId != null) {
      config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    }
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    var infos = consumer.partitionsFor(topic, java.time.Duration.ofSeconds(15));
    if (infos == null || infos.isEmpty()) {
      throw new CliException("topic " + topic + " does not exist on " + consumer.groupMetadata().groupId()
          .replace("null", "the cluster") + " (--bootstrap-servers, --topic-prefix)");
    }
    return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
  }
}
