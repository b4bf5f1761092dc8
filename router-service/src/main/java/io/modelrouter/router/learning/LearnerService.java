package io.modelrouter.router.learning;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.runtime.StreamsLifecycle;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the learner topology with the shipped MiniLM embedder. */
public final class LearnerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LearnerService.class);

  private final StreamsLifecycle streams;
  private final PrometheusMeterRegistry registry = Metrics.registry("learner");
  /** The topic check and the schema ids, done while the topology and clients are built (see prepareTopics). */
  private final java.util.concurrent.CompletableFuture<Void> topicsReady;

  public LearnerService(Settings settings) {
    LearnerConfig config = new LearnerConfig(settings);
    Topics topics = CommonSettings.topics(settings);
    this.topicsReady = CommonSettings.prepareTopics(settings, topics, Duration.ofSeconds(60));
    LearnedRouter embeddings = LearnedRouter.shipped();
    this.streams = new StreamsLifecycle("learner", LearnerTopology.build(topics, config.learning(),
        embeddings::embedding, new Meters(registry)), config.streamsProperties(), registry).guardTransactions(settings);
  }

  public LearnerService start() {
    CommonSettings.awaitTopics(topicsReady);
    streams.start();
    LOG.info("learner started: llm.requests.routed + llm.feedback -> llm.router.models");
    return this;
  }

  public KafkaStreams streams() {
    return streams.streams();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public MetricsServer.Health health() {
    return streams.health();
  }

  @Override
  public void close() {
    streams.close();
  }

  /** {@code learner_feedback_total{outcome}}, {@code learner_model_version{team}}, {@code learner_exemplars{team}}. */
  private static final class Meters implements LearnerMetrics {
    private final PrometheusMeterRegistry registry;
    private final Map<String, AtomicLong[]> teams = new ConcurrentHashMap<>();

    Meters(PrometheusMeterRegistry registry) {
      this.registry = registry;
    }

    @Override
    public void feedback(String outcome) {
      Counter.builder("learner_feedback").description("Feedback events by what the learner did with them")
          .tag("outcome", outcome).register(registry).increment();
    }

    @Override
    public void published(String team, long version, int exemplars) {
      AtomicLong[] gauges = teams.computeIfAbsent(team, t -> {
        AtomicLong[] values = {new AtomicLong(), new AtomicLong()};
        Gauge.builder("learner_model_version", values[0], AtomicLong::get).tag("team", t)
            .description("The team's latest learned model version").register(registry);
        Gauge.builder("learner_exemplars", values[1], AtomicLong::get).tag("team", t)
            .description("Learned exemplars in the team's latest version").register(registry);
        return values;
      });
      gauges[0].set(version);
      gauges[1].set(exemplars);
    }
  }
}
