package io.modelrouter.runtime;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
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
  private final boolean staticMember;
  private final String applicationId;
  private HangingTransactions hanging;

  public StreamsLifecycle(String name, Topology topology, Properties properties, PrometheusMeterRegistry registry) {
    this.name = Objects.requireNonNull(name);
    this.staticMember = properties.get(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)) != null;
    this.applicationId = properties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
    this.streams = new KafkaStreams(topology, properties);
    // Kafka Streams' own metrics, consumer lag (records-lag-max) among them, as kafka_* meters.
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    // Where a (re)start's time goes, for CrashBenchmark: group join, the first store restored, running (after every
    // store is restored)
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.REBALANCING) {
        Phases.mark(name, "rebalancing");
      } else if (now == KafkaStreams.State.RUNNING) {
        Phases.mark(name, "running");
      }
    });
    streams.setGlobalStateRestoreListener(new org.apache.kafka.streams.processor.StateRestoreListener() {
      @Override
      public void onRestoreStart(org.apache.kafka.common.TopicPartition partition, String store, long start,
          long end) {
        Phases.mark(name, "restore-start");
      }

      @Override
      public void onBatchRestored(org.apache.kafka.common.TopicPartition partition, String store, long batchEnd,
          long restored) {}

      @Override
      public void onRestoreEnd(org.apache.kafka.common.TopicPartition partition, String store, long restored) {}
    });
    streams.setUncaughtExceptionHandler(error -> {
      LOG.error("{} stream thread failed; replacing it", name, error);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
  }

  /**
   * The Kafka Streams properties every Streams service of ours starts from: the Kafka client settings, the
   * application id, the processing guarantee, our transactional producer defaults, the commit interval, threads,
   * state directory, the topics' replication for internal topics, 2,000 records a poll, and static membership when
   * an instance id is given. Each service adds its own on top.
   */
  public static Properties properties(Settings settings, String applicationId, String guarantee,
      Duration commitInterval, int threads, String stateDir, String instanceId) {
    Properties props = new Properties();
    props.putAll(CommonSettings.kafkaClientConfig(settings));
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee.trim().toLowerCase(Locale.ROOT));
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee.trim().toLowerCase(Locale.ROOT))) {
      // KIP-892 (Kafka 4.4): writes wait in the store until the transaction commits, so a crash no longer wipes the
      // local stores and replays their whole changelog on restart
      props.put(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG, true);
    }
    CommonSettings.putTransactionalProducerDefaults(props, "producer.", settings);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitInterval.toMillis());
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, settings.get(CommonSettings.TOPIC_REPLICATION));
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2_000);
    if (instanceId != null && !instanceId.isBlank()) {
      props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
    }
    return props;
  }

  /**
   * Aborts hanging transactions of this application's producers (their transactional ids start with its application
   * id) after {@link CommonSettings#HANGING_TRANSACTION_AGE}, checked every 30 s: one left on a changelog would stop
   * its restore for ever. See {@link HangingTransactions}.
   */
  public StreamsLifecycle guardTransactions(Settings settings) {
    this.hanging = new HangingTransactions(CommonSettings.kafkaClientConfig(settings), applicationId + "-",
        settings.get(CommonSettings.HANGING_TRANSACTION_AGE), java.time.Clock.systemUTC());
    return this;
  }

  /** Hanging transactions aborted so far. */
  public long hangingTransactionsAborted() {
    return hanging == null ? 0 : hanging.aborted();
  }

  public void start() {
    streams.start();
    if (hanging != null) {
      hanging.start(Duration.ofSeconds(30));
    }
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

  /**
   * Stops the stream threads after their last commit. Without a static instance id the instance leaves the group, so
   * that the others take its partitions over at once instead of after the session timeout (45 s); with one, it stays
   * a member until that timeout, so that a restart within it gets its partitions back without a rebalance.
   */
  @Override
  public void close() {
    org.apache.kafka.streams.CloseOptions options = org.apache.kafka.streams.CloseOptions.timeout(CLOSE_TIMEOUT)
        .withGroupMembershipOperation(staticMember
            ? org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP
            : org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    if (hanging != null) {
      hanging.close();
    }
    if (!streams.close(options)) {
      LOG.warn("{} streams did not stop within {}", name, CLOSE_TIMEOUT);
    }
    streamsMetrics.close();
  }
}
