package io.modelrouter.aggregator;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.BudgetStateGauges;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.runtime.StreamsLifecycle;
import io.modelrouter.schemas.TableFollower;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the aggregator topology: creates missing topics (if configured), starts Kafka Streams, stops it cleanly. */
public final class AggregatorService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorService.class);

  private final StreamsLifecycle streams;
  private final Topics topics;
  private final PrometheusMeterRegistry registry = Metrics.registry("aggregator");
  private final TableFollower<BudgetAction> actions;
  /** The topic check and the schema ids, done while the topology and clients are built (see prepareTopics). */
  private final java.util.concurrent.CompletableFuture<Void> topicsReady;
  private final io.modelrouter.runtime.Tracing tracing;

  public AggregatorService(Settings settings) {
    AggregatorConfig config = new AggregatorConfig(settings);
    this.topics = CommonSettings.topics(settings);
    Phases.mark("aggregator", "serdes");
    this.topicsReady = CommonSettings.prepareTopics(settings, topics, Duration.ofSeconds(60));
    this.tracing = io.modelrouter.runtime.Tracing.create(settings, "usage-aggregator");
    this.streams = new StreamsLifecycle("aggregator", AggregatorTopology.buildTopology(config, topics, tracing),
        config.streamsProperties(), registry).guardTransactions(settings);
    // budget_team_state{team} from what the aggregator committed (read_committed), not from its uncommitted work
    BudgetStateGauges gauges = new BudgetStateGauges(registry);
    this.actions = new TableFollower<>(topics.budgetActions(), CommonSettings.kafkaClientConfig(settings),
        gauges::update);
  }

  public AggregatorService start() {
    CommonSettings.awaitTopics(topicsReady);
    Phases.mark("aggregator", "topics");
    streams.start();
    actions.start();
    LOG.info("usage aggregator started: {} -> {} | {} | {}", topics.usage().name(), topics.usageTotals().name(),
        topics.budgetActions().name(), topics.budgetAlerts().name());
    return this;
  }

  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Hanging transactions of this service's producers it aborted (see HangingTransactions). */
  public long hangingTransactionsAborted() {
    return streams.hangingTransactionsAborted();
  }

  public KafkaStreams streams() {
    return streams.streams();
  }

  /** Kafka Streams' metrics (consumer lag among them), each team's budget state, JVM metrics. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Healthy while Kafka Streams runs or rebalances. */
  public MetricsServer.Health health() {
    return streams.health();
  }

  @Override
  public void close() {
    streams.close();
    actions.close();
    tracing.close();
  }
}
