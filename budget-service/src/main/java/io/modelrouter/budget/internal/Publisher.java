package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The one producer of budget-service (idempotent, acks=all). Every write waits for its acknowledgement before the
 * HTTP answer, so a 200 means the record is on the topic. Records are serialized with each topic's own serdes.
 */
public final class Publisher implements AutoCloseable {
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaClientMetrics metrics;

  public Publisher(Map<String, Object> clientConfig, MeterRegistry registry) {
    Map<String, Object> props = new HashMap<>(clientConfig);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "budget-service");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ACK_TIMEOUT.toMillis());
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    this.metrics = new KafkaClientMetrics(producer, List.of());
    metrics.bindTo(registry);
  }

  /** Publishes {@code value} (null: a tombstone) under {@code key} and waits for the broker's acknowledgement. */
  public <V> RecordMetadata publish(Topic<String, V> topic, String key, V value) {
    byte[] bytes;
    try {
      bytes = value == null ? null : topic.serializeValue(value);
    } catch (RuntimeException e) {
      throw new ApiException(503, "could not serialize the record for " + topic.name() + " (is the schema registry"
          + " reachable?): " + e.getMessage(), List.of());
    }
    try {
      return producer.send(new ProducerRecord<>(topic.name(), topic.serializeKey(key), bytes))
          .get(ACK_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "interrupted while publishing to " + topic.name(), List.of());
    } catch (ExecutionException e) {
      throw new ApiException(503, "could not publish to " + topic.name() + ": " + e.getCause(), List.of());
    } catch (TimeoutException e) {
      throw new ApiException(503, "no acknowledgement from Kafka for " + topic.name() + " within "
          + ACK_TIMEOUT.plusSeconds(5).toSeconds() + " s", List.of());
    }
  }

  @Override
  public void close() {
    metrics.close();
    producer.close(Duration.ofSeconds(10));
  }
}
