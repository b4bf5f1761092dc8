package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.config.Settings;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broker failure (docs/reliability.md, scenario 2): a 3-broker embedded cluster (plus a controller), every topic with
 * replication 3 and min ISR 2; router, worker (simulated provider) and aggregator serve {@code --rate} requests/s for
 * {@code --seconds} after a {@code --warmup} at the same rate (JIT, caches, a first backlog). At a third of the run
 * the broker leading {@code llm.requests}-0 is stopped; at two thirds it is started again. Reported: requests sent,
 * results, duplicates, missing (read_committed); results/s before the stop; for the stop and for the restart, the
 * dip (first second below 90% of the rate, the lowest second) and when results/s were back at 90%; end-to-end
 * latency by phase; how long the broker took to be back in the ISR of every partition it replicates, of every topic
 * (changelogs, {@code __consumer_offsets} and {@code __transaction_state} included).
 *
 * <p>Exits with status 1, naming what broke, when a result is missing or doubled, a usage event or alert id appears
 * twice, the aggregator's totals differ from the usage events, a partition has fewer than 3 replicas, or the broker
 * is not back in every ISR.
 *
 * <pre>bench/run BrokerFailureBenchmark --rate 1000 --seconds 60</pre>
 */
public final class BrokerFailureBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerFailureBenchmark.class);

  private BrokerFailureBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "1000", "seconds", "60", "partitions", "8",
        "latency-ms", "200", "warmup", "20"));
    LOG.info("broker failure benchmark {}", options);
    int rate = options.integer("rate");
    int seconds = options.integer("seconds");
    int warmup = options.integer("warmup");
    Path state = Files.createTempDirectory("broker-bench");
    List<String> broken = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().brokers(3).brokerProperty("default.replication.factor", "3")
            .brokerProperty("min.insync.replicas", "2").build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 3, Duration.ofSeconds(60));
      Map<String, String> common = Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
          "schema.registry.url", registry.url(), "topics.partitions", options.string("partitions"),
          "topics.replication", "3");
      ChaosCollector collector = new ChaosCollector(kafka.bootstrapServers(), topics);
      Thread reader;
      AtomicReference<Instant> stopAt = new AtomicReference<>();
      AtomicReference<Instant> startAt = new AtomicReference<>();
      AtomicReference<Instant> isrAt = new AtomicReference<>();
      int sent;
      int victim;
      Instant loadStart;
      try (AggregatorService aggregator = new AggregatorService(settings(common, Map.of(
              "aggregator.state.dir", state + "/agg")));
          RouterService router = new RouterService(settings(common, Map.of("router.state.dir", state + "/router")));
          WorkerService worker = new WorkerService(settings(common, Map.of("worker.instance.id", "broker-bench",
              "worker.simulate", "all", "simulator.latency", options.string("latency-ms"))));
          KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5,
              ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
              ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000), new StringSerializer(), new ByteArraySerializer())) {
        aggregator.start();
        router.start();
        worker.start();
        while (router.state() != KafkaStreams.State.RUNNING || aggregator.state() != KafkaStreams.State.RUNNING) {
          Thread.sleep(100);
        }
        reader = Thread.ofPlatform().name("broker-collector").start(collector);
        Workload workload = new Workload(9, 40);
        long warm = (long) rate * warmup;
        long total = warm + (long) rate * seconds;
        victim = leaderOf(admin, topics.requests().name());
        boolean stopped = false;
        boolean restarted = false;
        loadStart = Instant.now();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 1_000_000) {
            Thread.sleep(wait / 1_000_000);
          }
          if (!stopped && i >= warm + (total - warm) / 3) {
            stopped = true;
            stopAt.set(Instant.now());
            Thread.ofVirtual().start(() -> kafka.stopBroker(victim));
            LOG.info("stopping broker {}", victim);
          }
          if (!restarted && i >= warm + 2 * (total - warm) / 3) {
            restarted = true;
            startAt.set(Instant.now());
            Thread.ofVirtual().start(() -> {
              kafka.startBroker(victim);
              try {
                while (!Replicas.of(admin, victim).lagging().isEmpty()) {
                  Thread.sleep(100);
                }
                isrAt.set(Instant.now());
                LOG.info("broker {} is back in every ISR", victim);
              } catch (Exception e) {
                LOG.error("watching the ISR failed", e);
              }
            });
            LOG.info("starting broker {} again", victim);
          }
          InferenceRequest request = workload.next(i);
          request.setRequestId("broker-" + i);
          producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
              topics.requests().serializeValue(request)));
        }
        producer.flush();
        sent = (int) total;
        long deadline = System.currentTimeMillis() + 300_000;
        while (collector.uniqueResults() < sent && System.currentTimeMillis() < deadline) {
          Thread.sleep(500);
        }
        // The aggregator's totals trail the results by its totals interval and a commit: wait for them too
        long totalsDeadline = System.currentTimeMillis() + 60_000;
        while (!collector.totalsCaughtUp() && System.currentTimeMillis() < totalsDeadline) {
          Thread.sleep(500);
        }
        collector.stop();
        reader.join();
      }
      int window = warmup + seconds + 30;
      int[] perSecond = collector.perSecond(topics.results().name(), loadStart, window);
      int stopSecond = (int) Duration.between(loadStart, stopAt.get()).toSeconds();
      int startSecond = (int) Duration.between(loadStart, startAt.get()).toSeconds();
      int loadEnd = warmup + seconds;
      int before = median(Arrays.copyOfRange(perSecond, warmup, stopSecond));
      System.out.println();
      System.out.printf(Locale.ROOT, "BrokerFailureBenchmark: 3 brokers, replication 3, min ISR 2; %,d requests/s for "
          + "%d s after a %d s warm-up; the leader of %s-0 (broker %d) stopped at %d s and started again at %d s%n",
          rate, seconds, warmup, topics.requests().name(), victim, stopSecond, startSecond);
      System.out.print(collector.deliveries(sent));
      System.out.printf(Locale.ROOT, "results/s: median before the stop %,d (the rate: %,d)%n", before, rate);
      System.out.println(Dip.of(perSecond, stopSecond, startSecond, rate).describe("stopped", stopSecond));
      System.out.println(Dip.of(perSecond, startSecond, loadEnd, rate).describe("started again", startSecond));
      long startMs = loadStart.toEpochMilli();
      String[] phases = {"before the stop", "broker stopped", "broker back"};
      long stopMs = stopAt.get().toEpochMilli() - startMs;
      long startedMs = startAt.get().toEpochMilli() - startMs;
      long[][] ranges = {{warmup * 1_000L, stopMs}, {stopMs, startedMs}, {startedMs, (warmup + seconds) * 1_000L}};
      for (int p = 0; p < phases.length; p++) {
        List<Long> latencies = new ArrayList<>();
        for (long i = 0; i < sent; i++) {
          long sentAt = (long) (i * 1e3 / rate);
          if (sentAt >= ranges[p][0] && sentAt < ranges[p][1]) {
            long seen = collector.resultSeenAt("broker-" + i);
            latencies.add(seen < 0 ? Long.MAX_VALUE : seen - startMs - sentAt);
          }
        }
        latencies.sort(null);
        System.out.printf(Locale.ROOT, "end-to-end latency, requests sent %s: p50 %,d ms, p99 %,d ms, max %,d ms "
            + "(%,d requests)%n", phases[p], pct(latencies, 0.5), pct(latencies, 0.99),
            latencies.isEmpty() ? 0 : latencies.getLast(), latencies.size());
      }
      Replicas replicas = Replicas.of(admin, victim);
      System.out.printf(Locale.ROOT, "broker back in the ISR of all %,d partitions it replicates (%,d topics, %s "
              + "included) %s after it was started again%n", replicas.partitions(), replicas.topics(),
          String.join(", ", replicas.internal()), isrAt.get() == null ? "NEVER"
              : String.format(Locale.ROOT, "%,d ms", Duration.between(startAt.get(), isrAt.get()).toMillis()));
      System.out.println("results per second: " + Arrays.toString(Arrays.copyOf(perSecond, window)));
      broken.addAll(collector.violations(sent, List.of()));
      if (isrAt.get() == null || !replicas.lagging().isEmpty()) {
        broken.add("broker " + victim + " is not back in the ISR of " + replicas.lagging());
      }
      if (!replicas.underReplicated().isEmpty()) {
        broken.add("partitions with fewer than 3 replicas: " + replicas.underReplicated());
      }
    }
    if (!broken.isEmpty()) {
      broken.forEach(reason -> System.out.println("BROKEN: " + reason));
      System.exit(1);
    }
  }

  /**
   * What a broker event did to results/s in [{@code from}, {@code to}): the first second below 90% of the rate, the
   * lowest second from there, and the first second after it back at 90% or more (-1: none before {@code to}).
   */
  record Dip(int below, int lowest, int lowestAt, int recovered) {
    static Dip of(int[] perSecond, int from, int to, int rate) {
      double threshold = 0.9 * rate;
      int below = -1;
      for (int s = from; s < to && below < 0; s++) {
        if (perSecond[s] < threshold) {
          below = s;
        }
      }
      if (below < 0) {
        return new Dip(-1, Arrays.stream(perSecond, from, to).min().orElse(0), -1, -1);
      }
      int recovered = -1;
      int lowestAt = below;
      for (int s = below; s < to && recovered < 0; s++) {
        if (s > below && perSecond[s] >= threshold) {
          recovered = s;
        } else if (perSecond[s] < perSecond[lowestAt]) {
          lowestAt = s;
        }
      }
      return new Dip(below, perSecond[lowestAt], lowestAt, recovered);
    }

    String describe(String event, int at) {
      if (below < 0) {
        return String.format(Locale.ROOT, "broker %s at %d s: results/s never below 90%% of the rate (lowest %,d)",
            event, at, lowest);
      }
      return String.format(Locale.ROOT, "broker %s at %d s: results/s below 90%% of the rate from %d s, lowest %,d at "
              + "%d s, %s", event, at, below, lowest, lowestAt, recovered < 0 ? "NOT back at 90% before the next phase"
              : String.format(Locale.ROOT, "back at 90%% at %d s (%d s after the event, %d s below)", recovered,
                  recovered - at, recovered - below));
    }
  }

  /**
   * The partitions of every topic on the cluster, internal ones included, whose replicas include the broker: how
   * many, which of them do not have it in their ISR, and which have fewer than 3 replicas.
   */
  record Replicas(int topics, int partitions, List<String> internal, List<String> lagging,
      List<String> underReplicated) {
    static Replicas of(Admin admin, int broker) throws Exception {
      Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
      int partitions = 0;
      List<String> lagging = new ArrayList<>();
      List<String> underReplicated = new ArrayList<>();
      for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get().values()) {
        for (TopicPartitionInfo p : topic.partitions()) {
          String name = topic.name() + "-" + p.partition();
          if (p.replicas().size() < 3) {
            underReplicated.add(name);
          }
          if (p.replicas().stream().anyMatch(n -> n.id() == broker)) {
            partitions++;
            if (p.isr().stream().noneMatch(n -> n.id() == broker)) {
              lagging.add(name);
            }
          }
        }
      }
      List<String> internal = new ArrayList<>(names.stream().filter(n -> n.startsWith("_")).sorted().toList());
      internal.add(names.stream().filter(n -> n.endsWith("-changelog")).count() + " changelogs");
      internal.add(names.stream().filter(n -> n.endsWith("-repartition")).count() + " repartition topics");
      return new Replicas(names.size(), partitions, internal, lagging, underReplicated);
    }
  }


  private static long pct(List<Long> sorted, double q) {
    return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
  }

  private static int median(int[] values) {
    int[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
  }

  private static int leaderOf(Admin admin, String topic) throws Exception {
    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
    return description.partitions().get(0).leader().id();
  }


  private static Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }
}
