package io.modelrouter.runtime;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of one Kafka Streams service (the router, the aggregator): its {@link KafkaStreams} with Kafka Streams'
 * own metrics bound to the service's registry, a failed stream thread replaced rather than the instance stopped,
 * health while running or rebalancing, and a bounded close. Written once for every Streams service.
 *
 * <p>This module declares kafka-streams as optional: only the services that run a topology bring it in, so the
 * worker and budget-service do not carry Kafka Streams and RocksDB.
 */
public final class StreamsLifecycle implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsLifecycle.class);
  /** How long {@link #close()} waits for the stream threads to finish their work and commit. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final String name;
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;

  public StreamsLifecycle(String name, Topology topology, Properties properties, PrometheusMeterRegistry registry) {
    this.name = Objects.requireNonNull(name);
    this.streams = new KafkaStreams(topology, properties);
    // Kafka Streams' own metrics, consumer lag (records-lag-max) among them, as kafka_* meters.
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    streams.setUncaughtExceptionHandler(error -> {
      LOG.error("{} stream thread failed; replacing it", name, error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
  }

  public void start() {
    streams.start();
  }

  public KafkaStreams streams() {
    return streams;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Healthy while Kafka Streams runs or rebalances; down otherwise, with the state. */
  public MetricsServer.Health health() {
    KafkaStreams.State state = streams.state();
    boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    return new MetricsServer.Health(up, "streams " + state);
  }

  @Override
  public void close() {
    if (!streams.close(CLOSE_TIMEOUT)) {
      LOG.warn("{} streams did not stop within {}", name, CLOSE_TIMEOUT);
    }
    streamsMetrics.close();
  }
}
