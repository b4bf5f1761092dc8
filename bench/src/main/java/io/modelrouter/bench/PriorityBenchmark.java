package io.modelrouter.bench;

import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.config.Settings;
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
import io.modelrouter.worker.WorkerService;
import java.time.Duration;
import java.util.ArrayList;
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
 * Interactive latency behind a BATCH backlog, on the worker (simulated provider, {@code --latency-ms} a call, the
 * worker's defaults: 10,000 in flight, half for BATCH). Each round runs twice on the same broker: INTERACTIVE routed
 * requests at {@code --rate}/s for {@code --seconds}, first with nothing else, then right after {@code --backlog}
 * BATCH requests were written to the BATCH lane. Reported per run: the interactive requests' worker overhead (the
 * time their result became visible to a read_committed reader, minus their creation, minus their provider calls) p50
 * and p99, and their end-to-end latency p99; with the backlog, how much of it was done when the interactive requests
 * ended.
 *
 * <p>With {@code --lanes false} the backlog is written to the INTERACTIVE lane's topic instead, as every request was
 * before the lanes: the same worker then has nothing to tell the two apart.
 *
 * <pre>bench/run PriorityBenchmark --backlog 100000 --rate 200 --seconds 15 --runs 3</pre>
 */
public final class PriorityBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(PriorityBenchmark.class);

  private PriorityBenchmark() {}

  record Run(long overheadP50, long overheadP99, long latencyP99, int interactive, int backlogDone) {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("backlog", "100000", "rate", "200", "seconds", "15",
        "runs", "3", "latency-ms", "1000", "partitions", "8", "lanes", "true"));
    LOG.info("priority benchmark {}", options);
    List<Run[]> runs = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      for (int round = 1; round <= options.integer("runs"); round++) {
        Run alone = run(kafka.bootstrapServers(), registry.url(), admin, "prio-" + round + "-alone.", 0, options);
        Run behind = run(kafka.bootstrapServers(), registry.url(), admin, "prio-" + round + "-backlog.",
            options.integer("backlog"), options);
        runs.add(new Run[] {alone, behind});
        LOG.info(describe(round, alone, behind, options));
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "PriorityBenchmark: INTERACTIVE at %s/s for %s s, alone and behind %,d BATCH "
            + "requests; provider latency %s ms (spread 20%%); worker defaults (10,000 in flight, half for BATCH)%n",
        options.string("rate"), options.string("seconds"), options.integer("backlog"), options.string("latency-ms"));
    for (int i = 0; i < runs.size(); i++) {
      System.out.println(describe(i + 1, runs.get(i)[0], runs.get(i)[1], options));
    }
    System.out.printf(Locale.ROOT, "median: interactive overhead p99 %.0f ms alone, %.0f ms behind the backlog "
            + "(ratio %.2f); end-to-end p99 %.0f ms alone, %.0f ms behind the backlog (ratio %.2f)%n",
        RouterBenchmark.median(runs.stream().map(r -> (double) r[0].overheadP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> (double) r[1].overheadP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[1].overheadP99() / (double) r[0].overheadP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> (double) r[0].latencyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> (double) r[1].latencyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[1].latencyP99() / (double) r[0].latencyP99()).toList()));
  }

  private static String describe(int round, Run alone, Run behind, BenchArgs options) {
    return String.format(Locale.ROOT, "run %d: interactive overhead p50 / p99 %d / %d ms alone, %d / %d ms behind "
            + "the backlog; end-to-end p99 %d ms alone, %d ms behind it; %,d of %,d backlog requests done when the "
            + "last interactive one was answered", round, alone.overheadP50(), alone.overheadP99(),
        behind.overheadP50(), behind.overheadP99(), alone.latencyP99(), behind.latencyP99(), behind.backlogDone(),
        options.integer("backlog"));
  }

  private static Run run(String bootstrap, String registryUrl, Admin admin, String prefix, int backlog,
      BenchArgs options) throws Exception {
    Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registryUrl)).prefix(prefix)
        .build());
    TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
    Collector collector = new Collector(bootstrap, prefix, topics);
    Thread reader = Thread.ofPlatform().name("priority-bench-reader").start(collector);
    Workload workload = new Workload(31, 40);
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    CompiledPolicy policy = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    try (KafkaProducer<String, byte[]> producer = CommittedReader.producer(bootstrap)) {
      int next = 0;
      // --lanes false: the backlog on the INTERACTIVE lane's topic, as every request was before the lanes
      boolean lanes = Boolean.parseBoolean(options.string("lanes"));
      for (int i = 0; i < backlog; i++) {
        RoutedRequest request = workload.routed(next++, "batch-" + i, Priority.BATCH, engine, policy, catalog,
            decision -> true);
        if (lanes) {
          send(producer, topics, request);
        } else {
          producer.send(new ProducerRecord<>(topics.routed().name(), request.getRequest().getTeamId(),
              topics.routed().serializeValue(request)));
        }
      }
      producer.flush();
      try (WorkerService worker = new WorkerService(Settings.of(Map.of("kafka.bootstrap.servers", bootstrap,
          "schema.registry.url", registryUrl, "topics.prefix", prefix, "topics.create", "false",
          "topics.partitions", options.string("partitions"), "worker.group.id", prefix + "workers",
          "worker.instance.id", prefix + "w", "worker.simulate", "all",
          "simulator.latency", options.string("latency-ms"), "simulator.latency.spread", "0.2")))) {
        worker.start();
        // The backlog has filled the BATCH lane before the interactive requests start
        long wait = System.currentTimeMillis() + 60_000;
        while (backlog > 0 && worker.loop().inFlight() < 1_000 && System.currentTimeMillis() < wait) {
          Thread.sleep(50);
        }
        int rate = options.integer("rate");
        int total = rate * options.integer("seconds");
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / rate);
          long pause = due - System.nanoTime();
          if (pause > 1_000_000) {
            Thread.sleep(pause / 1_000_000);
          }
          RoutedRequest request = workload.routed(next++, "chat-" + i, Priority.INTERACTIVE, engine, policy,
              catalog, decision -> true);
          collector.expect(request.getRequest().getRequestId(), request.getRequest().getCreatedAt().toEpochMilli());
          send(producer, topics, request);
        }
        producer.flush();
        long deadline = System.currentTimeMillis() + 120_000;
        while (collector.interactive() < total && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        int backlogDone = collector.batch();
        collector.stop();
        reader.join();
        if (collector.interactive() < total) {
          throw new IllegalStateException("only " + collector.interactive() + " of " + total
              + " interactive requests were answered");
        }
        long[] overheads = collector.overheads().stream().mapToLong(Long::longValue).sorted().toArray();
        long[] latencies = collector.latencies().stream().mapToLong(Long::longValue).sorted().toArray();
        return new Run(CommittedReader.percentile(overheads, 0.5), CommittedReader.percentile(overheads, 0.99),
            CommittedReader.percentile(latencies, 0.99), overheads.length, backlogDone);
      }
    }
  }

  private static void send(KafkaProducer<String, byte[]> producer, Topics topics, RoutedRequest request) {
    var lane = topics.routedFor(request.getRequest().getPriority());
    producer.send(new ProducerRecord<>(lane.name(), request.getRequest().getTeamId(), lane.serializeValue(request)));
  }

  /** Reads llm.results: the interactive requests' overhead and latency, and how many batch requests are done. */
  private static final class Collector extends CommittedReader {
    private final Topics topics;
    private final Map<String, Long> createdAt = new ConcurrentHashMap<>();
    private final List<Long> overheads = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger batch = new AtomicInteger();

    Collector(String bootstrap, String prefix, Topics topics) {
      super(bootstrap, prefix + "collector", List.of(topics.results().name()));
      this.topics = topics;
    }

    void expect(String requestId, long created) {
      createdAt.put(requestId, created);
    }

    int interactive() {
      return latencies.size();
    }

    int batch() {
      return batch.get();
    }

    List<Long> overheads() {
      return new ArrayList<>(overheads);
    }

    List<Long> latencies() {
      return new ArrayList<>(latencies);
    }

    @Override
    void accept(ConsumerRecord<String, byte[]> record, long visible) {
      InferenceResult result = topics.results().deserializeValue(record.value());
      Long created = createdAt.remove(result.getRequestId());
      if (created == null) {
        batch.incrementAndGet();
        return;
      }
      long provider = result.getAttempts().stream().mapToLong(Attempt::getLatencyMs).sum();
      latencies.add(visible - created);
      overheads.add(visible - created - provider);
    }
  }
}
