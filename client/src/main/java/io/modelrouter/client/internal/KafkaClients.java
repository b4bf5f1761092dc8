package io.modelrouter.client.internal;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Makes the client's Kafka producer and consumers. Values are bytes: the client encodes and decodes them with the
 * contract's serde itself, so that a record that does not decode is skipped (or retried) instead of failing a
 * poll. Unit tests substitute Kafka's mock clients.
 */
public interface KafkaClients {

  Producer<String, byte[]> producer(Map<String, Object> config);

  Consumer<String, byte[]> consumer(Map<String, Object> config);

  /** Real Kafka clients. */
  KafkaClients KAFKA = new KafkaClients() {
    @Override
    public Producer<String, byte[]> producer(Map<String, Object> config) {
      return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public Consumer<String, byte[]> consumer(Map<String, Object> config) {
      return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }
  };
}
