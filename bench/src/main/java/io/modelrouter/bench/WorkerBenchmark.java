package io.modelrouter.bench;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.WorkerService;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completed requests per second of one worker against the simulated provider at a fixed latency (1 s by default),
 * with the broker in this JVM. Requests are routed by the real routing engine and produced first; each round a
 * fresh worker group processes all of them, results and usage committed exactly once. Throughput runs from the
 * first committed offset to the last; CPU is the whole process (broker included) per request.
 *
 * <p>{@code --usage-journal on|off|alternate} runs with the worker's usage journal, without it, or alternately (odd
 * rounds with it).
 *
 * <pre>bench/run WorkerBenchmark --requests 60000 --rounds 3 --latency-ms 1000 [--usage-journal alternate]</pre>
 */
public final class WorkerBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerBenchmark.class);

  private WorkerBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("requests", "60000", "rounds", "3", "partitions", "8",
        "latency-ms", "1000", "max-in-flight", "12000", "teams", "200", "usage-journal", "on", "content", "plain"));
    LOG.info("worker benchmark {}", options);
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      int partitions = options.integer("partitions");
      TopicAdmin.ensureTopics(admin, topics.all(), partitions, (short) 1, Duration.ofSeconds(30));
      int n = options.integer("requests");
      // --content plain | mixed | alternate (odd rounds plain, even rounds 20% tools + 10% images)
      String content = options.string("content");
      Topics mixedTopics = Topics.create(TopicsConfig.builder().prefix("mixed.")
          .serde(AvroSerdeConfig.forUrl(registry.url())).build());
      if (!content.equals("mixed")) {
        produce(kafka.bootstrapServers(), topics, n, options.integer("teams"), false);
      }
      if (!content.equals("plain")) {
        TopicAdmin.ensureTopics(admin, mixedTopics.all(), partitions, (short) 1, Duration.ofSeconds(30));
        produce(kafka.bootstrapServers(), mixedTopics, n, options.integer("teams"), true);
      }

      List<Double> rates = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      for (int round = 1; round <= options.integer("rounds"); round++) {
        Map<String, String> settings = new HashMap<>(Map.of(
            "kafka.bootstrap.servers", kafka.bootstrapServers(),
            "schema.registry.url", registry.url(),
            "worker.group.id", "bench-workers-" + round,
            "worker.instance.id", "bench-worker-" + round,
            "worker.simulate", "all",
            "worker.max.in.flight", options.string("max-in-flight"),
            "simulator.latency", options.string("latency-ms"),
            "simulator.latency.spread", "0",
            "topics.create", "false"));
        // --usage-journal on | off | alternate (odd rounds on, even rounds off: a same-hour comparison)
        String journal = options.string("usage-journal");
        boolean journaled = journal.equals("on") || journal.equals("alternate") && round % 2 == 1;
        if (!journaled) {
          settings.put("worker.usage.journal.dir", "none");
        }
        boolean mixed = content.equals("mixed") || content.equals("alternate") && round % 2 == 0;
        if (mixed) {
          settings.put("topics.prefix", "mixed.");
        }
        Result result;
        try (WorkerService worker = new WorkerService(Settings.of(settings)).start()) {
          result = measure(admin, "bench-workers-" + round, (mixed ? mixedTopics : topics).routed().name(), n);
        }
        rates.add(result.perSecond());
        String line = String.format(Locale.ROOT, "round %d (usage journal %s, %s): %,.0f completed requests/s, %.1f µs"
            + " CPU/request (%,d requests in %.1f s)", round, journaled ? "on" : "off",
            mixed ? "20% tools + 10% images" : "plain text", result.perSecond(), result.cpuMicros(), result.processed(),
            result.elapsed().toMillis() / 1000.0);
        lines.add(line);
        LOG.info(line);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "WorkerBenchmark: %,d requests, %d partitions, simulated latency %s ms, "
          + "max in flight %s, exactly-once%n", n, partitions, options.string("latency-ms"),
          options.string("max-in-flight"));
      lines.forEach(System.out::println);
      System.out.printf(Locale.ROOT, "median: %,.0f completed requests/s%n", RouterBenchmark.median(rates));
    }
  }

  record Result(double perSecond, double cpuMicros, long processed, Duration elapsed) {}

  private static Result measure(Admin admin, String group, String topic, long total) throws Exception {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long startNanos = 0;
    long startCpu = 0;
    long startCommitted = 0;
    Instant deadline = Instant.now().plus(Duration.ofMinutes(15));
    Instant nextReport = Instant.now().plusSeconds(5);
    while (Instant.now().isBefore(deadline)) {
      long committed = committed(admin, group, topic);
      if (startNanos == 0 && committed > 0) {
        startNanos = System.nanoTime();
        startCpu = os.getProcessCpuTime();
        startCommitted = committed;
      }
      if (Instant.now().isAfter(nextReport)) {
        LOG.info(String.format(Locale.ROOT, "%s: %,d of %,d committed", group, committed, total));
        nextReport = Instant.now().plusSeconds(5);
      }
      if (committed >= total) {
        long elapsed = System.nanoTime() - startNanos;
        long processed = total - startCommitted;
        return new Result(processed / (elapsed / 1e9), (os.getProcessCpuTime() - startCpu) / 1e3 / processed,
            processed, Duration.ofNanos(elapsed));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(group + " did not finish in time");
  }

  private static long committed(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset()).sum();
  }

  private static void produce(String bootstrap, Topics topics, int n, int teams, boolean mixed) throws Exception {
    Workload workload = new Workload(7, teams, mixed);
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    CompiledPolicy policy = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new ByteArraySerializer())) {
      int produced = 0;
      for (int i = 0; produced < n; i++) {
        InferenceRequest request = workload.next(i);
        if (engine.route(request, policy, catalog, BudgetStatus.NORMAL, Instant.now())
            instanceof RouteOutcome.Routed routed) {
          producer.send(new ProducerRecord<>(topics.routed().name(), request.getTeamId(),
              topics.routed().serializeValue(new RoutedRequest(request, routed.decision()))));
          produced++;
        }
      }
      producer.flush();
    }
    LOG.info(String.format(Locale.ROOT, "produced %,d routed requests", n));
  }
}
