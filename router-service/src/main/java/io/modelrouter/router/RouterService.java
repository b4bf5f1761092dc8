package io.modelrouter.router;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
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

  public RouterService(Settings settings) {
    RouterConfig config = new RouterConfig(settings);
    this.topics = CommonSettings.topics(settings);
    if (settings.get(CommonSettings.TOPIC_CREATE)) {
      try (Admin admin = Admin.create(CommonSettings.kafkaClientConfig(settings))) {
        TopicAdmin.ensureTopics(admin, topics.all(), settings.get(CommonSettings.TOPIC_PARTITIONS),
            settings.get(CommonSettings.TOPIC_REPLICATION).shortValue(), Duration.ofSeconds(60));
      }
    }
    Topology topology = RouterTopology.buildTopology(topics);
    this.streams = new KafkaStreams(topology, config.streamsProperties());
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

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
  }
}
