package io.modelrouter.worker;

import io.github.resilience4j.micrometer.tagged.TaggedBulkheadMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.TableFollower;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.worker.internal.RequestExecutor;
import io.modelrouter.worker.internal.UsageWriter;
import io.modelrouter.worker.internal.WorkerLoop;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.resilience.ProviderPolicy;
import io.modelrouter.worker.resilience.ResilientCalls;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider worker: {@code llm.requests.routed} in, one {@code InferenceResult} per request on
 * {@code llm.results} and one {@code UsageEvent} per provider call on {@code llm.usage} out, exactly once.
 * Prices come from the catalog on {@code llm.models} (the shipped catalog until one is published).
 */
public final class WorkerService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerService.class);

  private final WorkerConfig config;
  private final Topics topics;
  private final Map<String, Provider> providers;
  private final ResilientCalls resilience;
  private final TableFollower<ModelSpec> catalogFollower;
  /** The topic check and the schema ids, done while the clients are built (see CommonSettings.prepareTopics). */
  private final java.util.concurrent.CompletableFuture<Void> topicsReady;
  private final WorkerLoop loop;
  private final UsageWriter usageWriter;
  private final Thread thread;
  private final PrometheusMeterRegistry registry = Metrics.registry("worker");
  private io.modelrouter.runtime.Tracing tracing;
  private KafkaClientMetrics consumerMetrics;
  private final CallJournal journal;
  /** Null when no provider's batch API is used. */
  private final io.modelrouter.worker.batch.BatchCoordinator batches;
  private final Thread batchThread;
  private final io.modelrouter.runtime.HangingTransactions hanging;

  public WorkerService(Settings settings) {
    this(settings, Providers.build(new WorkerConfig(settings), System.getenv()));
  }

  /** With these providers (tests and benchmarks inject simulated ones with a fault plan of their own). */
  public WorkerService(Settings settings, Map<String, Provider> providers) {
    this.tracing = io.modelrouter.runtime.Tracing.create(settings, "worker");
    this.config = new WorkerConfig(settings);
    this.topics = CommonSettings.topics(settings);
    Phases.mark("worker", "serdes");
    this.providers = new LinkedHashMap<>();
    String journalFile = settings.get(WorkerConfig.CALL_JOURNAL);
    this.journal = journalFile == null || journalFile.isBlank() ? null
        : new CallJournal(java.nio.file.Path.of(journalFile));
    providers.forEach((name, provider) -> this.providers.put(name,
        new MeteredProvider(journal == null ? provider : journal.around(provider), registry)));
    this.topicsReady = CommonSettings.prepareTopics(settings, topics, Duration.ofSeconds(60));
    Map<String, ProviderPolicy> policies = new HashMap<>();
    Map<String, Duration> timeouts = new HashMap<>();
    providers.forEach((name, provider) -> {
      policies.put(name, config.policy(name, provider.simulated()));
      timeouts.put(name, config.provider(WorkerConfig.P_TIMEOUT, name));
    });
    this.resilience = new ResilientCalls(policies).batchShare(settings.get(WorkerConfig.BATCH_SHARE));
    // started once the topics are there (start())
    this.catalogFollower = new TableFollower<>(topics.models(), config.kafka(), (id, spec) -> { });
    Map<String, ModelSpec> defaults = DefaultPolicies.catalogById();
    ModelCatalog catalog = id -> catalogFollower.isEmpty() ? defaults.get(id) : catalogFollower.get(id);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(resilience.breakers()).bindTo(registry);
    TaggedBulkheadMetrics.ofBulkheadRegistry(resilience.bulkheads()).bindTo(registry);
    Map<String, Counter> results = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, io.micrometer.core.instrument.Timer> latencies = new java.util.concurrent.ConcurrentHashMap<>();
    RequestExecutor executor = new RequestExecutor(this.providers, resilience, catalog, timeouts, Clock.systemUTC(),
        outcome -> {
          String status = outcome.result().getStatus().name();
          results.computeIfAbsent(status + "|" + outcome.result().getModel(),
              k -> Counter.builder("worker.results")
                  .description("results the worker produced, by status and the model that answered")
                  .tag("status", status)
                  .tag("model", outcome.result().getModel() == null ? "" : outcome.result().getModel())
                  .register(registry)).increment();
          // the result's latency: from the request's creation (as the pipeline stamped it) to its result
          latencies.computeIfAbsent(status, k -> io.micrometer.core.instrument.Timer.builder("worker.result.latency")
                  .description("time from a request's createdAt to its result, by status")
                  .tag("status", status)
                  .publishPercentileHistogram()
                  .register(registry))
              .record(java.time.Duration.ofMillis(Math.max(0, outcome.result().getLatencyMs())));
        });
    String instance = config.instanceId();
    java.nio.file.Path journalDir = config.usageJournalDir();
    io.modelrouter.worker.internal.StripedUsageJournal usageJournal = journalDir == null ? null
        : io.modelrouter.worker.internal.StripedUsageJournal.open(journalDir);
    this.usageWriter = new UsageWriter(usageProducer(instance), topics, usageJournal,
        usageJournal == null ? "" : clusterId(), config.kafka());
    Phases.mark("worker", "usage-journal");
    this.loop = new WorkerLoop(consumer(instance), () -> producer(instance), usageWriter, topics, executor,
        settings.get(WorkerConfig.MAX_IN_FLIGHT), settings.get(WorkerConfig.MAX_RECORD_BYTES),
        settings.get(WorkerConfig.COMMIT_INTERVAL),
        settings.get(WorkerConfig.DRAIN_TIMEOUT), Clock.systemUTC()).tracing(tracing)
        .batchLane((int) Math.ceil(settings.get(WorkerConfig.MAX_IN_FLIGHT)
            * Math.min(1.0, settings.get(WorkerConfig.BATCH_SHARE))));
    Map<String, io.modelrouter.worker.provider.BatchApi> batchApis = new LinkedHashMap<>();
    this.providers.forEach((name, provider) -> {
      if (!settings.get(WorkerConfig.P_BATCH_API.forName(name))) {
        return;
      }
      io.modelrouter.worker.provider.BatchApi api = provider.simulated()
          ? new io.modelrouter.worker.provider.SimulatedBatchApi(simulatedVendor(settings, name),
              settings.get(WorkerConfig.SIM_BATCH_DIR) == null || settings.get(WorkerConfig.SIM_BATCH_DIR).isBlank()
                  ? null : java.nio.file.Path.of(settings.get(WorkerConfig.SIM_BATCH_DIR), name), name,
              settings.get(WorkerConfig.SIM_BATCH_TURNAROUND), settings.get(WorkerConfig.SIM_BATCH_ERRORED),
              settings.get(WorkerConfig.SIM_SEED), settings.get(WorkerConfig.SIM_OUTPUT_TOKENS), Clock.systemUTC())
              .minItems(settings.get(WorkerConfig.SIM_BATCH_MIN_ITEMS))
          : provider.batchApi();
      if (api == null) {
        LOG.debug("provider {} has no batch API this worker uses: its batch-lane requests take the normal path", name);
      } else {
        batchApis.put(name, api);
      }
    });
    if (batchApis.isEmpty()) {
      this.batches = null;
      this.batchThread = null;
    } else {
      loop.batchApi(new io.modelrouter.worker.batch.BatchEligibility(batchApis.keySet(), catalog,
          settings.get(WorkerConfig.BATCH_MAX_BYTES) / 2, Clock.systemUTC()));
      this.batches = new io.modelrouter.worker.batch.BatchCoordinator(batchConsumer(instance),
          () -> stateReader(instance), batchProducer(instance), topics, executor, batchApis,
          new io.modelrouter.worker.batch.BatchCoordinator.Limits(settings.get(WorkerConfig.BATCH_MAX_ITEMS),
              settings.get(WorkerConfig.BATCH_MAX_BYTES), settings.get(WorkerConfig.BATCH_MAX_AGE),
              settings.get(WorkerConfig.BATCH_POLL_INTERVAL)), instance, Clock.systemUTC());
      this.batchThread = Thread.ofPlatform().name("worker-batch-" + instance).unstarted(batches);
      LOG.info("BATCH requests of {} go through their batch APIs", batchApis.keySet());
    }
    // A hanging transaction of ours (a broker stopped mid-write) would block every reader of its partition
    this.hanging = new io.modelrouter.runtime.HangingTransactions(
        io.modelrouter.config.CommonSettings.kafkaClientConfig(settings), settings.get(WorkerConfig.GROUP_ID) + "-",
        settings.get(io.modelrouter.config.CommonSettings.HANGING_TRANSACTION_AGE), Clock.systemUTC());
    Map<String, Integer> clusterRates = config.clusterRequestsPerMinute();
    if (!clusterRates.isEmpty()) {
      loop.ownership((owned, total) -> clusterRates.forEach((provider, rpm) -> LOG.info(
          "provider {}: {} of {} partitions, {} calls/s of the cluster's {}/min", provider, owned, total,
          resilience.share(provider, rpm, owned, total), rpm)));
    }
    this.thread = Thread.ofPlatform().name("worker-" + instance).unstarted(loop);
    Gauge.builder("worker.in.flight", loop, WorkerLoop::inFlight)
        .description("requests being executed (at most worker.max.in.flight)")
        .register(registry);
    if (batches != null) {
      FunctionCounter.builder("worker.batch.api.batches", batches, b -> b.submitted())
          .description("batches created with a provider's batch API").register(registry);
      FunctionCounter.builder("worker.batch.api.requests", batches, b -> b.answered())
          .description("requests answered through a provider's batch API, and those sent back to the normal path")
          .tag("outcome", "answered").register(registry);
      FunctionCounter.builder("worker.batch.api.requests", batches, b -> b.fellBack())
          .description("requests answered through a provider's batch API, and those sent back to the normal path")
          .tag("outcome", "normal_path").register(registry);
    }
    Gauge.builder("worker.in.flight.batch", loop, WorkerLoop::inFlightBatch)
        .description("requests of the BATCH lane being executed (at most worker.batch.share of worker.max.in.flight)")
        .register(registry);
    FunctionCounter.builder("worker.usage.events", loop, l -> l.usage().written())
        .description("usage events written (one per provider call), and those that could not be")
        .tag("outcome", "written").register(registry);
    FunctionCounter.builder("worker.usage.events", loop, l -> l.usage().failed())
        .description("usage events written (one per provider call), and those that could not be")
        .tag("outcome", "failed").register(registry);
    FunctionCounter.builder("worker.usage.events", loop, l -> l.usage().foundAfterFailure())
        .description("usage events written (one per provider call), and those that could not be")
        .tag("outcome", "found-after-failure").register(registry);
    FunctionCounter.builder("worker.usage.journal.failures", loop, l -> l.usage().journalFailures())
        .description("usage events and call intents the usage journal could not keep (disk full or failing); the"
            + " events were still sent, the calls still made")
        .register(registry);
    String recovered = "usage events this start found in the previous run's journal: written now (estimated: of"
        + " those, the estimates of calls in flight when it ended), or already on llm.usage";
    FunctionCounter.builder("worker.usage.recovered", loop, l -> l.usage().recovery().written()
            - l.usage().recovery().inFlight())
        .description(recovered).tag("outcome", "written").register(registry);
    FunctionCounter.builder("worker.usage.recovered", loop, l -> l.usage().recovery().inFlight())
        .description(recovered).tag("outcome", "estimated").register(registry);
    FunctionCounter.builder("worker.usage.recovered", loop, l -> l.usage().recovery().alreadyWritten())
        .description(recovered).tag("outcome", "already-written").register(registry);
  }

  private KafkaConsumer<byte[], byte[]> consumer(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.settings().get(WorkerConfig.GROUP_ID));
    props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, instance + "-consumer");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1_000);
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    // The consumer's metrics, its lag (records-lag-max, per partition records-lag) among them.
    this.consumerMetrics = new KafkaClientMetrics(consumer);
    consumerMetrics.bindTo(registry);
    return consumer;
  }

  /** The simulated vendor of a provider: shared by the workers of one group in this JVM. */
  public static String simulatedVendor(Settings settings, String provider) {
    return settings.get(WorkerConfig.GROUP_ID) + "/" + provider;
  }

  private KafkaConsumer<byte[], byte[]> batchConsumer(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.settings().get(WorkerConfig.GROUP_ID) + ".batch");
    props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance + "-batch");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, instance + "-batch-consumer");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private KafkaConsumer<byte[], byte[]> stateReader(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, instance + "-batch-state-reader");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private KafkaProducer<byte[], byte[]> batchProducer(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        config.settings().get(WorkerConfig.GROUP_ID) + "-" + instance + "-batch");
    props.put(ProducerConfig.CLIENT_ID_CONFIG, instance + "-batch-producer");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        (int) config.settings().get(WorkerConfig.TRANSACTION_TIMEOUT).toMillis());
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private KafkaProducer<byte[], byte[]> producer(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.settings().get(WorkerConfig.GROUP_ID) + "-" + instance);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, instance + "-producer");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 131_072);
    // One request in flight per connection: a batch retried after CONCURRENT_TRANSACTIONS (the previous commit's
    // markers still being written) cannot be overtaken by the next one, which transactions v2 brokers reject as
    // OUT_OF_ORDER_SEQUENCE_NUMBER (seen with Kafka 4.1.2).
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        (int) config.settings().get(WorkerConfig.TRANSACTION_TIMEOUT).toMillis());
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Usage events go out as each call returns, not with the results' transaction: idempotent, acks=all, and retried
   * for as long as the broker is away (no delivery timeout), so that a billed call is never dropped.
   */
  private KafkaProducer<byte[], byte[]> usageProducer(String instance) {
    Map<String, Object> props = new HashMap<>(config.kafka());
    props.put(ProducerConfig.CLIENT_ID_CONFIG, instance + "-usage-producer");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 131_072);
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.MAX_VALUE);
    props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** The Kafka cluster's id, kept with each journaled usage event so that only this cluster's are written back. */
  private String clusterId() {
    try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(config.kafka())) {
      return admin.describeCluster().clusterId().get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot read the Kafka cluster id (kafka.bootstrap.servers): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the Kafka cluster id", e);
    }
  }

  public WorkerService start() {
    CommonSettings.awaitTopics(topicsReady);
    Phases.mark("worker", "topics");
    catalogFollower.start();
    // Usage events a killed run journaled and never saw acknowledged go out again, unless already on llm.usage:
    // beside the new run (their ids are the earlier run's, never this one's), which need not wait for the look-up
    Thread.ofPlatform().name("usage-recovery-" + config.instanceId()).start(() -> {
      try {
        usageWriter.recover();
        Phases.mark("worker", "usage-recovered");
      } catch (RuntimeException e) {
        LOG.error("usage journal recovery failed; the earlier run's journal is kept and recovered at the next start",
            e);
      }
    });
    thread.start();
    if (batchThread != null) {
      batchThread.start();
    }
    hanging.start(Duration.ofSeconds(30));
    LOG.info("worker {} started: {} -> {} + {}, providers {}", config.instanceId(), topics.routed().name(),
        topics.results().name(), topics.usage().name(), providers.values());
    return this;
  }

  /** Stops after committing what finished (waits up to the drain timeout for requests in flight). */
  public void stop() {
    loop.stop();
    if (batches != null) {
      batches.stop();
    }
    join();
  }

  /** Stops at once without committing: for recovery tests. */
  public void crash() {
    loop.crash();
    if (batches != null) {
      batches.crash();
    }
    join();
  }

  /** The batch coordinator, or null when no provider's batch API is used. */
  public io.modelrouter.worker.batch.BatchCoordinator batches() {
    return batches;
  }

  private void join() {
    try {
      thread.join(config.settings().get(WorkerConfig.DRAIN_TIMEOUT).plusSeconds(30).toMillis());
      if (batchThread != null) {
        batchThread.join(Duration.ofSeconds(30).toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Hanging transactions of this worker's producers it aborted (see HangingTransactions). */
  public long hangingTransactionsAborted() {
    return hanging.aborted();
  }

  public boolean isRunning() {
    return thread.isAlive();
  }

  public WorkerLoop loop() {
    return loop;
  }

  public ResilientCalls resilience() {
    return resilience;
  }

  public Map<String, Provider> providers() {
    return providers;
  }

  /** Provider call latency histograms, breaker states, results, in-flight requests, consumer lag, JVM. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Healthy while the worker thread runs. */
  public MetricsServer.Health health() {
    if (thread.isAlive() && batchThread != null && batchThread.getState() == Thread.State.TERMINATED) {
      // started, but its batch coordinator died
      return new MetricsServer.Health(false, "worker " + config.instanceId() + " running, its batch coordinator "
          + "stopped (see the log); batch-lane requests wait in llm.batch.requests until a restart");
    }
    return new MetricsServer.Health(thread.isAlive(), thread.isAlive()
        ? "worker " + config.instanceId() + " running, " + loop.inFlight() + " in flight"
        : "worker " + config.instanceId() + " stopped");
  }

  @Override
  public void close() {
    if (thread.isAlive()) {
      stop();
    }
    hanging.close();
    catalogFollower.close();
    tracing.close();
    if (consumerMetrics != null) {
      consumerMetrics.close();
    }
    resilience.close();
    providers.values().forEach(Provider::close);
    if (journal != null) {
      journal.close();
    }
  }
}
