package io.modelrouter.bench;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.WorkerService;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the batch lane saves on seed 003's development loop (simulated providers): {@code --requests} requests routed
 * by the shipped policy, {@code --batch-share} of them BATCH without a deadline, the rest INTERACTIVE, run twice on
 * the same broker with the same requests: with the shipped policy (no batch lane), then with its {@code batchApi}. The
 * simulated vendor answers a batch item as the request's first direct call would be answered (same tokens), so the
 * two runs' costs differ by the price alone. Reported: the cost of the BATCH share and of everything in each run, the
 * share of BATCH requests that went through a batch, and the time until the last result.
 *
 * <pre>bench/run BatchCostBenchmark --requests 3000 --batch-share 0.6</pre>
 */
public final class BatchCostBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(BatchCostBenchmark.class);

  private BatchCostBenchmark() {}

  record Run(long batchCost, long interactiveCost, int batched, int batchRequests, long seconds, int failed) {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("requests", "3000", "batch-share", "0.6", "partitions", "4",
        "turnaround-ms", "2000"));
    LOG.info("batch cost benchmark {}", options);
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Run normal = run(kafka.bootstrapServers(), registry.url(), admin, "cost-normal.", false, options);
      Run batch = run(kafka.bootstrapServers(), registry.url(), admin, "cost-batch.", true, options);
      System.out.println();
      System.out.printf(Locale.ROOT, "BatchCostBenchmark: %,d requests of seed 003's loop, %s BATCH (no deadline), "
              + "shipped routing policy, simulated providers; without the policy's batch lane, then with it%n",
          options.integer("requests"), options.string("batch-share"));
      System.out.println(describe("all normal", normal));
      System.out.println(describe("batch lane", batch));
      System.out.printf(Locale.ROOT, "saved: %.1f%% of the BATCH share's cost (%s of %s), %.1f%% of the whole "
              + "bill; INTERACTIVE cost unchanged: %b%n",
          100.0 * (normal.batchCost() - batch.batchCost()) / normal.batchCost(),
          Pricing.dollars(normal.batchCost() - batch.batchCost()), Pricing.dollars(normal.batchCost()),
          100.0 * (normal.batchCost() + normal.interactiveCost() - batch.batchCost() - batch.interactiveCost())
              / (normal.batchCost() + normal.interactiveCost()),
          normal.interactiveCost() == batch.interactiveCost());
    }
  }

  private static String describe(String name, Run run) {
    return String.format(Locale.ROOT, "%s: BATCH share %s, INTERACTIVE %s, total %s; %,d of %,d BATCH requests "
            + "through a batch; %d s to the last result; %d not OK", name, Pricing.dollars(run.batchCost()),
        Pricing.dollars(run.interactiveCost()), Pricing.dollars(run.batchCost() + run.interactiveCost()),
        run.batched(), run.batchRequests(), run.seconds(), run.failed());
  }

  private static Run run(String bootstrap, String registryUrl, Admin admin, String prefix, boolean batchApi,
      BenchArgs options) throws Exception {
    Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registryUrl)).prefix(prefix)
        .build());
    TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
    int total = options.integer("requests");
    Collector collector = new Collector(bootstrap, prefix, topics);
    Thread reader = Thread.ofPlatform().name("cost-bench-reader").start(collector);
    Workload workload = new Workload(3, 20);
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    // The routing table's policy (hybrid, the shipped one when docs/benchmarks.md's costs were measured), with the
    // batch lane in the second run
    io.modelrouter.avro.RoutingPolicy shipped = DefaultPolicies.hybridRoutingPolicy();
    if (batchApi) {
      shipped = io.modelrouter.avro.RoutingPolicy.newBuilder(shipped)
          .setBatchApi(new io.modelrouter.avro.BatchApiRouting(24.0)).build();
    }
    CompiledPolicy policy = CompiledPolicy.compile(shipped);
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    java.util.Random draws = new java.util.Random(7);
    int batchRequests = 0;
    long start = System.nanoTime();
    try (KafkaProducer<String, byte[]> producer = CommittedReader.producer(bootstrap)) {
      for (int i = 0; i < total; i++) {
        Priority priority = draws.nextDouble() < Double.parseDouble(options.string("batch-share")) ? Priority.BATCH
            : Priority.INTERACTIVE;
        batchRequests += priority == Priority.BATCH ? 1 : 0;
        RoutedRequest request = workload.routed(i, (priority == Priority.BATCH ? "b-"
            : "i-") + i, priority, engine, policy, catalog, decision -> true);
        var lane = topics.routedFor(priority);
        producer.send(new ProducerRecord<>(lane.name(), request.getRequest().getTeamId(),
            lane.serializeValue(request)));
      }
      producer.flush();
      Map<String, String> settings = new HashMap<>(Map.of("kafka.bootstrap.servers", bootstrap,
          "schema.registry.url", registryUrl, "topics.prefix", prefix, "topics.create", "false",
          "topics.partitions", options.string("partitions"), "worker.group.id", prefix + "workers",
          "worker.instance.id", prefix + "w", "worker.simulate", "all", "simulator.latency", "50"));
      settings.putAll(Map.of(
          "simulator.batch.turnaround", "PT" + options.integer("turnaround-ms") / 1000.0 + "S",
          "worker.batch.api.max.age", "PT1S", "worker.batch.api.poll.interval", "PT0.5S",
          "worker.usage.journal.dir", "none"));
      try (WorkerService worker = new WorkerService(Settings.of(settings))) {
        worker.start();
        long deadline = System.currentTimeMillis() + 300_000;
        while (collector.results() < total && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
      }
      collector.stop();
      reader.join();
      if (collector.results() < total) {
        throw new IllegalStateException("only " + collector.results() + " of " + total + " requests answered");
      }
      return new Run(collector.cost("b-"), collector.cost("i-"), collector.batched(), batchRequests,
          Duration.ofNanos(System.nanoTime() - start).toSeconds(), collector.failed());
    }
  }

  /** Reads llm.results: each request's cost once, by the prefix of its id, and how many came through a batch. */
  private static final class Collector extends CommittedReader {
    private final Topics topics;
    private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();

    Collector(String bootstrap, String prefix, Topics topics) {
      super(bootstrap, prefix + "collector", List.of(topics.results().name()));
      this.topics = topics;
    }

    int results() {
      return results.size();
    }

    long cost(String prefix) {
      return results.values().stream().filter(r -> r.getRequestId().startsWith(prefix))
          .mapToLong(InferenceResult::getCostMicros).sum();
    }

    int batched() {
      return (int) results.values().stream().filter(r -> r.getBatchId() != null).count();
    }

    int failed() {
      return (int) results.values().stream().filter(r -> r.getStatus() != ResultStatus.OK).count();
    }

    @Override
    void accept(ConsumerRecord<String, byte[]> record, long visible) {
      InferenceResult result = topics.results().deserializeValue(record.value());
      if (results.putIfAbsent(result.getRequestId(), result) != null) {
        throw new IllegalStateException("two results for " + result.getRequestId());
      }
    }
  }
}
