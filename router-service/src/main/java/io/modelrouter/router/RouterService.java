package io.modelrouter.router;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.router.internal.RouterStores;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.LexicalTierModel;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.runtime.StreamsLifecycle;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the router topology: creates missing topics (if configured), starts Kafka Streams, stops it cleanly. */
public final class RouterService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RouterService.class);

  private final StreamsLifecycle streams;
  private final Topics topics;
  /** The topic check and the schema ids, done while the topology and clients are built (see prepareTopics). */
  private final java.util.concurrent.CompletableFuture<Void> topicsReady;
  private final PrometheusMeterRegistry registry = Metrics.registry("router");
  private final io.modelrouter.runtime.Tracing tracing;
  private final boolean preload;

  public RouterService(Settings settings) {
    RouterConfig config = new RouterConfig(settings);
    this.topics = CommonSettings.topics(settings);
    Phases.mark("router", "serdes");
    this.topicsReady = CommonSettings.prepareTopics(settings, topics, Duration.ofSeconds(60));
    this.tracing = io.modelrouter.runtime.Tracing.create(settings, "router");
    Topology topology = RouterTopology.buildTopology(topics, DefaultPolicies.routingPolicy(),
        DefaultPolicies.catalogById(), config.admission(), new MicrometerRouterMetrics(registry), tracing);
    this.streams = new StreamsLifecycle("router", topology, config.streamsProperties(), registry)
        .guardTransactions(settings);
    this.preload = settings.get(RouterConfig.LEARNED_PRELOAD);
  }

  /**
   * Whether the built-in policy or one on {@code llm.routing.policies} judges with the embedding model; throws
   * CancellationException once this router has stopped (the preload thread then ends).
   */
  private boolean embeddingModelInUse() {
    if (RoutingEngine.usesEmbeddingModel(DefaultPolicies.routingPolicy())) {
      return true;
    }
    KafkaStreams.State state = streams.state();
    if (state == KafkaStreams.State.PENDING_SHUTDOWN || state == KafkaStreams.State.NOT_RUNNING
        || state == KafkaStreams.State.PENDING_ERROR || state == KafkaStreams.State.ERROR) {
      throw new java.util.concurrent.CancellationException("router " + state);
    }
    if (state != KafkaStreams.State.RUNNING) {
      return false;
    }
    ReadOnlyKeyValueStore<String, byte[]> policies = streams.streams().store(StoreQueryParameters.fromNameAndType(
        RouterStores.ROUTING_POLICIES, QueryableStoreTypes.<String, byte[]>keyValueStore()));
    try (KeyValueIterator<String, byte[]> all = policies.all()) {
      while (all.hasNext()) {
        KeyValue<String, byte[]> next = all.next();
        try {
          if (next.value != null
              && RoutingEngine.usesEmbeddingModel(topics.routingPolicies().deserializeValue(next.value))) {
            return true;
          }
        } catch (RuntimeException e) { // one unreadable policy does not hide the others
          LOG.debug("routing policy {} not readable here: {}", next.key, e.toString());
        }
      }
    }
    return false;
  }

  public RouterService start() {
    CommonSettings.awaitTopics(topicsReady);
    Phases.mark("router", "topics");
    if (preload) {
      // Before start(), which opens every local task's stores one after the other on this thread (seconds after a
      // crash): the fit uses the other core meanwhile, instead of the first requests' time after it
      LexicalTierModel.fitInBackground();
    }
    streams.start();
    if (preload) { // once started: a router whose start failed leaves no thread behind
      LearnedRouter.shipped().preloadInBackground(this::embeddingModelInUse);
    }
    LOG.info("router started: {} -> {} | {} | {}", topics.requests().name(), topics.routed().name(),
        topics.results().name(), topics.dlq().name());
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

  /** The router's meters: {@code router_requests_total} and Kafka Streams' metrics, JVM metrics. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Healthy while Kafka Streams runs or rebalances; down when it is not running, with the state. */
  public MetricsServer.Health health() {
    return streams.health();
  }

  @Override
  public void close() {
    streams.close();
    tracing.close();
  }
}
