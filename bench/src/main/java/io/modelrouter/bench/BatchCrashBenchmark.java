package io.modelrouter.bench;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.provider.SimulatedBatchApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch lane under kill -9: {@code --requests} BATCH requests routed into the batch lane (the shipped policy with
 * {@code batchApi}) go to a worker running as its own JVM, whose simulated vendor keeps its batches in a directory
 * (so they outlive the process, and can be counted); the worker is killed with SIGKILL every {@code --interval-ms},
 * {@code --kills} times, and started again at once. Then: every request must have exactly one result, no request may
 * be in two of the vendor's batches (no batch created twice), and the report says how many batches were created and
 * how many requests were answered through them. Exit status 1 on a violation.
 *
 * <pre>bench/run BatchCrashBenchmark --requests 2000 --kills 3</pre>
 */
public final class BatchCrashBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(BatchCrashBenchmark.class);

  private BatchCrashBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("requests", "2000", "partitions", "4", "kills", "3",
        "interval-ms", "4000", "turnaround-ms", "6000", "max-items", "100"));
    LOG.info("batch crash benchmark {}", options);
    Path dir = Files.createTempDirectory("batch-crash");
    int total = options.integer("requests");
    List<String> violations = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      String prefix = "bcrash.";
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url()))
          .prefix(prefix).build());
      TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
      Collector collector = new Collector(kafka.bootstrapServers(), prefix, topics);
      Thread reader = Thread.ofPlatform().name("batch-crash-reader").start(collector);
      produce(kafka.bootstrapServers(), topics, total);

      Map<String, String> env = new HashMap<>(Map.of("MR_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
          "MR_SCHEMA_REGISTRY_URL", registry.url(), "MR_TOPICS_PREFIX", prefix,
          "MR_TOPICS_PARTITIONS", options.string("partitions"), "MR_WORKER_GROUP_ID", prefix + "workers",
          "MR_WORKER_INSTANCE_ID", "batch-crash-worker", "MR_WORKER_SIMULATE", "all",
          "MR_WORKER_METRICS_PORT", "-1", "MR_SIMULATOR_BATCH_DIR", dir.resolve("vendor").toString()));
      env.putAll(Map.of("MR_SIMULATOR_BATCH_TURNAROUND", "PT" + options.integer("turnaround-ms") / 1000.0 + "S",
          "MR_WORKER_BATCH_API_MAX_AGE", "PT1S", "MR_WORKER_BATCH_API_POLL_INTERVAL", "PT0.5S",
          "MR_WORKER_BATCH_API_MAX_ITEMS", options.string("max-items"),
          "MR_WORKER_USAGE_JOURNAL_DIR", dir.resolve("journal").toString(),
          "MR_SIMULATOR_LATENCY", "50"));
      Instant start = Instant.now();
      int kills = 0;
      try (ChildProcess worker = new ChildProcess("worker", "io.modelrouter.worker.WorkerMain", env,
          dir.resolve("worker.log")).start()) {
        for (int i = 0; i < options.integer("kills") && collector.results() < total; i++) {
          Thread.sleep(options.integer("interval-ms"));
          worker.kill();
          kills++;
          LOG.info("killed the worker (SIGKILL) with {} of {} results in; starting it again", collector.results(),
              total);
          worker.start();
        }
        long deadline = System.currentTimeMillis() + 300_000;
        while (collector.results() < total && System.currentTimeMillis() < deadline) {
          Thread.sleep(200);
        }
        Thread.sleep(2_000); // anything written twice would show by now
      }
      collector.stop();
      reader.join();
      Duration took = Duration.between(start, Instant.now());

      // What the restarted workers said they resumed (their log)
      int resumed = 0;
      int adopted = 0;
      java.util.regex.Pattern resuming = java.util.regex.Pattern.compile("resuming (\\d+) batch");
      for (String line : Files.readAllLines(dir.resolve("worker.log"))) {
        java.util.regex.Matcher m = resuming.matcher(line);
        if (m.find()) {
          resumed += Integer.parseInt(m.group(1));
        }
        if (line.contains("was created before the stop")) {
          adopted++;
        }
      }
      Path vendor = dir.resolve("vendor").resolve("anthropic");
      List<String> batched = Files.isDirectory(vendor) ? SimulatedBatchApi.requestIds(vendor) : List.of();
      long distinct = batched.stream().distinct().count();
      int batches = Files.isDirectory(vendor) ? SimulatedBatchApi.submissions(vendor) : 0;
      if (collector.results() < total) {
        violations.add((total - collector.results()) + " request(s) without a result");
      }
      if (collector.duplicates() > 0) {
        violations.add(collector.duplicates() + " result(s) written twice");
      }
      if (distinct != batched.size()) {
        violations.add((batched.size() - distinct) + " request(s) sent in two batches (a batch created twice)");
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "BatchCrashBenchmark: %,d BATCH requests in the batch lane, the worker "
              + "killed with SIGKILL %d times every %s ms and started again; simulated vendor %s ms a batch%n",
          total, kills, options.string("interval-ms"), options.string("turnaround-ms"));
      System.out.printf(Locale.ROOT, "results: %,d of %,d, %d written twice; %,d through a batch, %,d through the "
              + "normal path; %d batches created, holding %,d requests (%d of them twice); %d s to the last "
              + "result%n", collector.results(), total, collector.duplicates(), collector.batched(),
          collector.results() - collector.batched(), batches, batched.size(), batched.size() - distinct,
          took.toSeconds());
      System.out.printf(Locale.ROOT, "after the restarts: %d batch(es) resumed from llm.batch.state, %d of them found "
          + "at the vendor before being created again%n", resumed, adopted);
      System.out.println(violations.isEmpty() ? "no violation" : "VIOLATIONS: " + String.join("; ", violations));
    }
    if (!violations.isEmpty()) {
      System.exit(1);
    }
  }

  private static void produce(String bootstrap, Topics topics, int total) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.setBatchApi(new io.modelrouter.avro.BatchApiRouting(24.0));
    CompiledPolicy compiled = CompiledPolicy.compile(policy);
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    Workload workload = new Workload(11, 20);
    try (KafkaProducer<String, byte[]> producer = CommittedReader.producer(bootstrap)) {
      for (int i = 0; i < total; i++) {
        RoutedRequest routed = workload.routed(i, "crash-" + i, Priority.BATCH, engine, compiled, catalog,
            RoutingDecision::getBatchApi);
        producer.send(new ProducerRecord<>(topics.routedBatch().name(), routed.getRequest().getTeamId(),
            topics.routedBatch().serializeValue(routed)));
      }
      producer.flush();
    }
  }

  /** Reads llm.results: each request's results, and how many came through a batch. */
  private static final class Collector extends CommittedReader {
    private final Topics topics;
    private final Map<String, Boolean> results = new ConcurrentHashMap<>();
    private final AtomicInteger duplicates = new AtomicInteger();

    Collector(String bootstrap, String prefix, Topics topics) {
      super(bootstrap, prefix + "collector", List.of(topics.results().name()));
      this.topics = topics;
    }

    int results() {
      return results.size();
    }

    int duplicates() {
      return duplicates.get();
    }

    int batched() {
      return (int) results.values().stream().filter(b -> b).count();
    }

    @Override
    void accept(ConsumerRecord<String, byte[]> record, long visible) {
      InferenceResult result = topics.results().deserializeValue(record.value());
      if (results.putIfAbsent(result.getRequestId(), result.getBatchId() != null) != null) {
        duplicates.incrementAndGet();
      }
    }
  }
}
