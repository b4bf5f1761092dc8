package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * budget-service's writes of admin data: a change (a budget, a policy, a catalog entry, a reset, a pin) and its
 * {@link AdminChange} on {@code llm.admin.changes} in one Kafka transaction, so a change is on its topic if and only
 * if its history record is. The transactional id is fixed ({@code <topic prefix>budget-service}): a second instance
 * started against the same topics fences this one, whose writes then answer 503, which enforces the single writer
 * the version numbers need; and a restart after a kill aborts the killed process's open transaction at once instead
 * of waiting for its timeout. Not thread-safe on its own: {@link BudgetStore} calls it under its write lock.
 */
final class ChangeLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);
  /** How long a killed instance's open transaction can hold back readers if no new instance starts. */
  static final Duration TRANSACTION_TIMEOUT = Duration.ofSeconds(10);

  /** One record of a change. */
  record Out<V>(Topic<String, V> topic, String key, V value) {
    ProducerRecord<byte[], byte[]> serialize() {
      return new ProducerRecord<>(topic.name(), topic.serializeKey(key),
          value == null ? null : topic.serializeValue(value));
    }
  }

  private final Map<String, Object> props;
  private final MeterRegistry registry;
  private final String transactionalId;
  private KafkaProducer<byte[], byte[]> producer;
  private KafkaClientMetrics metrics;
  private volatile String fenced;

  ChangeLog(Map<String, Object> clientConfig, String transactionalId, MeterRegistry registry) {
    Map<String, Object> p = new HashMap<>(clientConfig);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "budget-service-changes");
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) TRANSACTION_TIMEOUT.toMillis());
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Publisher.ACK_TIMEOUT.toMillis());
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Publisher.ACK_TIMEOUT.toMillis());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.props = p;
    this.registry = registry;
    this.transactionalId = transactionalId;
  }

  String transactionalId() {
    return transactionalId;
  }

  /** Why this instance no longer writes (another one fenced it), or null. */
  String fenced() {
    return fenced;
  }

  /**
   * Writes {@code records} in one transaction and returns once it is committed.
   *
   * @throws ApiException 503 when the records cannot be serialized (registry unreachable), Kafka does not commit
   *     within the timeout, or another instance fenced this one; nothing of the change is then visible
   */
  void write(List<Out<?>> records) {
    if (fenced != null) {
      throw new ApiException(503, fenced, List.of());
    }
    List<ProducerRecord<byte[], byte[]>> serialized = new ArrayList<>(records.size());
    for (Out<?> record : records) {
      try {
        serialized.add(record.serialize());
      } catch (RuntimeException e) {
        throw new ApiException(503, "could not serialize the record for " + record.topic().name() + " (is the"
            + " schema registry reachable?): " + e.getMessage(), List.of());
      }
    }
    KafkaProducer<byte[], byte[]> p = producer();
    try {
      p.beginTransaction();
      List<Future<?>> sent = new ArrayList<>();
      for (ProducerRecord<byte[], byte[]> record : serialized) {
        sent.add(p.send(record));
      }
      p.commitTransaction();
      for (Future<?> future : sent) {
        future.get(); // done after a successful commit; surfaces a failed send that commit did not
      }
    } catch (ProducerFencedException | InvalidProducerEpochException e) {
      fenced = "another budget-service instance took over writing (transactional id " + transactionalId
          + "): this one no longer changes anything; stop it";
      LOG.error("{}", fenced);
      discard();
      throw new ApiException(503, fenced, List.of());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort(p);
      throw new ApiException(503, "interrupted while writing the change", List.of());
    } catch (KafkaException | java.util.concurrent.ExecutionException e) {
      abort(p);
      throw new ApiException(503, "could not write the change to Kafka, nothing of it was applied: " + e, List.of());
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    if (producer == null) {
      KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(),
          new ByteArraySerializer());
      try {
        p.initTransactions();
      } catch (RuntimeException e) {
        p.close(Duration.ZERO);
        throw new ApiException(503, "could not start writing to Kafka (transactional id " + transactionalId
            + "): " + e, List.of());
      }
      producer = p;
      metrics = new KafkaClientMetrics(p, List.of());
      metrics.bindTo(registry);
    }
    return producer;
  }

  /** Aborts the open transaction; a producer that cannot abort is dropped and made again on the next write. */
  private void abort(KafkaProducer<byte[], byte[]> p) {
    try {
      p.abortTransaction();
    } catch (RuntimeException e) {
      LOG.warn("aborting a failed change's transaction failed ({}); the next change starts a new producer",
          e.toString());
      discard();
    }
  }

  private void discard() {
    if (metrics != null) {
      metrics.close();
      metrics = null;
    }
    if (producer != null) {
      producer.close(Duration.ZERO);
      producer = null;
    }
  }

  /** Starts the producer now (initTransactions), so that a start-up fails early when Kafka is not there. */
  void start() {
    producer();
  }

  @Override
  public void close() {
    if (metrics != null) {
      metrics.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
  }
}
