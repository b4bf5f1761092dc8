package io.modelrouter.aggregator;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.BudgetStateGauges;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.schemas.TableFollower;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the aggregator topology: creates missing topics (if configured), starts Kafka Streams, stops it cleanly. */
public final class AggregatorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorService.class);

  private final KafkaStreams streams;
  private final Topics topics;
  private final PrometheusMeterRegistry registry = Metrics.registry("aggregator");
  private final KafkaStreamsMetrics streamsMetrics;
  private final TableFollower<BudgetAction> actions;

  public AggregatorService(Settings settings) {
    AggregatorConfig config = new AggregatorConfig(settings);
    this.topics = CommonSettings.topics(settings);
    if (settings.get(CommonSettings.TOPIC_CREATE)) {
      try (Admin admin = Admin.create(CommonSettings.kafkaClientConfig(settings))) {
        TopicAdmin.ensureTopics(admin, topics.all(), settings.get(CommonSettings.TOPIC_PARTITIONS),
            settings.get(CommonSettings.TOPIC_REPLICATION).shortValue(), Duration.ofSeconds(60));
      }
    }
    this.streams = new KafkaStreams(AggregatorTopology.buildTopology(config, topics), config.streamsProperties());
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    // budget_team_state{team} from what the aggregator committed (read_committed), not from its uncommitted work
    BudgetStateGauges gauges = new BudgetStateGauges(registry);
    this.actions = new TableFollower<>(topics.budgetActions(), CommonSettings.kafkaClientConfig(settings),
        gauges::update);
    streams.setUncaughtExceptionHandler(error -> {
      LOG.error("aggregator stream thread failed; replacing it", error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
  }

  public AggregatorService start() {
    streams.start();
    actions.start();
    LOG.info("usage aggregator started: {} -> {} | {} | {}", topics.usage().name(), topics.usageTotals().name(),
        topics.budgetActions().name(), topics.budgetAlerts().name());
    return this;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** Kafka Streams' metrics (consumer lag among them), each team's budget state, JVM metrics. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Healthy while Kafka Streams runs or rebalances. */
  public MetricsServer.Health health() {
    KafkaStreams.State state = streams.state();
    boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    return new MetricsServer.Health(up, "streams " + state);
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    actions.close();
    streamsMetrics.close();
  }
}
