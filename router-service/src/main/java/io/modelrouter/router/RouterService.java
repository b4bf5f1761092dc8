package io.modelrouter.router;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the router topology: creates missing topics (if configured), starts Kafka Streams, stops it cleanly. */
public final class RouterService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RouterService.class);

  private final KafkaStreams streams;
  private final Topics topics;
  private final PrometheusMeterRegistry registry = Metrics.registry("router");
  private final KafkaStreamsMetrics streamsMetrics;

  public RouterService(Settings settings) {
    RouterConfig config = new RouterConfig(settings);
    this.topics = CommonSettings.topics(settings);
    if (settings.get(CommonSettings.TOPIC_CREATE)) {
      try (Admin admin = Admin.create(CommonSettings.kafkaClientConfig(settings))) {
        TopicAdmin.ensureTopics(admin, topics.all(), settings.get(CommonSettings.TOPIC_PARTITIONS),
            settings.get(CommonSettings.TOPIC_REPLICATION).shortValue(), Duration.ofSeconds(60));
      }
    }
    Topology topology = RouterTopology.buildTopology(topics, DefaultPolicies.routingPolicy(),
        DefaultPolicies.catalogById(), config.budget(), new MicrometerRouterMetrics(registry));
    this.streams = new KafkaStreams(topology, config.streamsProperties());
    // Kafka Streams' own metrics, consumer lag (records-lag-max) among them, as kafka_* meters.
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    streams.setUncaughtExceptionHandler(error -> {
      LOG.error("router stream thread failed; replacing it", error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
  }

  public RouterService start() {
    streams.start();
    LOG.info("router started: {} -> {} | {} | {}", topics.requests().name(), topics.routed().name(),
        topics.results().name(), topics.dlq().name());
    return this;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** The router's meters: {@code router_requests_total} and Kafka Streams' metrics, JVM metrics. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Healthy while Kafka Streams runs or rebalances; down when it is not running, with the state. */
  public MetricsServer.Health health() {
    KafkaStreams.State state = streams.state();
    boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    return new MetricsServer.Health(up, "streams " + state);
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
  }
}
