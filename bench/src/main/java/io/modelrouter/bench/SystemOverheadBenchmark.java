package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.WorkerService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the system adds to a provider's latency, end to end with exactly-once: {@code --rate} requests/s for
 * {@code --seconds} (after a {@code --warmup} at the same rate) through the router, the worker (simulated provider,
 * {@code --latency-ms} per call) and the aggregator, as a pipeline sees it. For each result, the overhead is the time
 * it became visible to a read_committed reader, minus the request's creation time, minus the time spent in provider
 * calls (the sum of its attempts' latencies). Reported: p50, p90, p99 and the worst, over the results of requests
 * created after the warmup.
 *
 * <p>With {@code --brokers 3} the broker is a 3-broker in-process cluster (plus a controller), every topic with
 * replication 3 and min ISR 2, acks=all everywhere: the production topology's replication, in one JVM.
 *
 * <pre>bench/run SystemOverheadBenchmark --rate 2000 --seconds 30 --brokers 1</pre>
 */
public final class SystemOverheadBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(SystemOverheadBenchmark.class);

  private SystemOverheadBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "2000", "seconds", "30", "warmup", "10",
        "latency-ms", "200", "brokers", "1", "partitions", "8", "commit-ms", "100"));
    LOG.info("system overhead benchmark {}", options);
    int rate = options.integer("rate");
    int brokers = options.integer("brokers");
    short replication = (short) Math.min(3, brokers);
    Path state = Files.createTempDirectory("overhead-bench");
    EmbeddedKafka.Builder cluster = EmbeddedKafka.builder().brokers(brokers);
    if (brokers >= 3) {
      cluster = cluster.brokerProperty("default.replication.factor", "3").brokerProperty("min.insync.replicas", "2");
    }
    long[] sorted;
    int sent;
    double resultsPerSecond;
    try (EmbeddedKafka kafka = cluster.build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), replication, Duration.ofSeconds(60));
      Map<String, String> common = Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
          "schema.registry.url", registry.url(), "topics.partitions", options.string("partitions"),
          "topics.replication", String.valueOf(replication),
          // the services' commit intervals (100 ms by default): each is a wait a result may sit through
          "router.commit.interval", options.string("commit-ms"), "worker.commit.interval", options.string("commit-ms"),
          "aggregator.commit.interval", options.string("commit-ms"));
      try (AggregatorService aggregator = new AggregatorService(CommittedReader.settings(common, Map.of(
              "aggregator.state.dir", state + "/agg")));
          RouterService router = new RouterService(CommittedReader.settings(common, Map.of("router.state.dir", state + "/router")));
          WorkerService worker = new WorkerService(CommittedReader.settings(common, Map.of("worker.instance.id", "overhead-bench",
              "worker.simulate", "all", "simulator.latency", options.string("latency-ms"),
              "simulator.latency.spread", "0.2")));
          KafkaProducer<String, byte[]> producer = CommittedReader.producer(kafka.bootstrapServers())) {
        aggregator.start();
        router.start();
        worker.start();
        while (router.state() != KafkaStreams.State.RUNNING || aggregator.state() != KafkaStreams.State.RUNNING) {
          Thread.sleep(100);
        }
        Collector collector = new Collector(kafka.bootstrapServers(), topics);
        Thread reader = Thread.ofPlatform().name("overhead-collector").start(collector);
        long warm = (long) rate * options.integer("warmup");
        long total = warm + (long) rate * options.integer("seconds");
        Workload workload = new Workload(21, 40);
        Instant measuredFrom = null;
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 1_000_000) {
            Thread.sleep(wait / 1_000_000);
          }
          if (i == warm) {
            measuredFrom = Instant.now();
          }
          InferenceRequest request = workload.next((int) i);
          request.setRequestId("overhead-" + i);
          request.setDeadline(null);
          request.setCreatedAt(Instant.now());
          collector.sent(request.getRequestId(), request.getCreatedAt().toEpochMilli(), i >= warm);
          producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
              topics.requests().serializeValue(request)));
        }
        producer.flush();
        Instant sendEnd = Instant.now();
        sent = (int) total;
        long deadline = System.currentTimeMillis() + 120_000;
        while (collector.results() < sent && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
        }
        collector.stop();
        reader.join();
        if (collector.results() < sent) {
          throw new IllegalStateException("only " + collector.results() + " of " + sent + " requests were answered");
        }
        List<Long> overheads = collector.overheads();
        sorted = overheads.stream().mapToLong(Long::longValue).sorted().toArray();
        resultsPerSecond = collector.measured() / (Duration.between(measuredFrom, sendEnd).toMillis() / 1000.0);
        LOG.info("statuses: {}", collector.statuses());
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "SystemOverheadBenchmark: %,d requests/s for %s s after %s s of warmup, provider "
            + "latency %s ms (spread 20%%), %d broker(s), replication %d, exactly-once, commits every %s ms%n", rate,
        options.string("seconds"), options.string("warmup"), options.string("latency-ms"), brokers, replication,
        options.string("commit-ms"));
    System.out.printf(Locale.ROOT, "%,d requests, %,d measured (%,.0f results/s); overhead p50 %d ms, p90 %d ms, "
            + "p99 %d ms, max %d ms%n", sent, sorted.length, resultsPerSecond, CommittedReader.percentile(sorted, 0.50),
        CommittedReader.percentile(sorted, 0.90), CommittedReader.percentile(sorted, 0.99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
  }

  /** Reads llm.results with read_committed and keeps each first result's overhead. */
  private static final class Collector extends CommittedReader {
    private final Topics topics;
    private final Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<Long> overheads = Collections.synchronizedList(new ArrayList<>());
    private final Map<ResultStatus, Integer> statuses = new java.util.EnumMap<>(ResultStatus.class);
    /** When each request was created, for those measured (the warmup's are not). */
    private final Map<String, Long> createdAt = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile int results;

    Collector(String bootstrap, Topics topics) {
      super(bootstrap, "overhead-collector", List.of(topics.results().name()));
      this.topics = topics;
    }

    void sent(String requestId, long createdAtMillis, boolean measured) {
      if (measured) {
        createdAt.put(requestId, createdAtMillis);
      }
    }

    int results() {
      return results;
    }

    int measured() {
      return overheads.size();
    }

    List<Long> overheads() {
      return new ArrayList<>(overheads);
    }

    synchronized Map<ResultStatus, Integer> statuses() {
      return new java.util.EnumMap<>(statuses);
    }

    @Override
    void accept(ConsumerRecord<String, byte[]> record, long visible) {
      InferenceResult result = topics.results().deserializeValue(record.value());
      if (!seen.add(result.getRequestId())) {
        return;
      }
      results++;
      synchronized (this) {
        statuses.merge(result.getStatus(), 1, Integer::sum);
      }
      Long created = createdAt.get(result.getRequestId());
      if (created == null) {
        return;
      }
      long provider = result.getAttempts().stream().mapToLong(Attempt::getLatencyMs).sum();
      overheads.add(visible - created - provider);
    }
  }
}
