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
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broker failure (RELIABILITY.md, scenario 2): a 3-broker embedded cluster (plus a controller), every topic with
 * replication 3 and min ISR 2; router, worker (simulated provider) and aggregator serve {@code --rate} requests/s for
 * {@code --seconds} after a {@code --warmup} at the same rate (JIT, caches, a first backlog). At a third of the run the broker leading {@code llm.requests}-0 is stopped; at two thirds it is
 * started again. Reported: requests sent, results, duplicates, missing (read_committed); results per second before,
 * during and after; how long until results flowed at 90% of the rate again after the stop; how long the broker took
 * to be back in every in-sync replica set.
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
        int victim = leaderOf(admin, topics.requests().name());
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
                while (!inSyncEverywhere(admin, topics, victim)) {
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
        collector.stop();
        reader.join();
      }
      int window = warmup + seconds + 30;
      int[] perSecond = collector.perSecond(topics.results().name(), loadStart, window);
      int stopSecond = (int) Duration.between(loadStart, stopAt.get()).toSeconds();
      int startSecond = (int) Duration.between(loadStart, startAt.get()).toSeconds();
      int before = median(Arrays.copyOfRange(perSecond, warmup, stopSecond));
      int during = Arrays.stream(perSecond, stopSecond, startSecond).min().orElse(0);
      int recovered = -1;
      for (int s = stopSecond; s < window; s++) {
        if (perSecond[s] >= 0.9 * rate) {
          recovered = s;
          break;
        }
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "BrokerFailureBenchmark: 3 brokers, replication 3, min ISR 2; %,d requests/s for "
          + "%d s after a %d s warm-up; the leader of %s-0 stopped at %d s and started again at %d s%n", rate, seconds,
          warmup,
          topics.requests().name(), stopSecond, startSecond);
      System.out.print(collector.deliveries(sent));
      System.out.printf(Locale.ROOT, "results/s: median before the stop %,d; lowest while stopped %,d; back to 90%% "
              + "of the rate %s after the stop%n", before, during,
          recovered < 0 ? "NEVER" : String.format(Locale.ROOT, "%d s", Math.max(0, recovered - stopSecond)));
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
      System.out.printf(Locale.ROOT, "broker back in every ISR %s after it was started again%n",
          isrAt.get() == null ? "NEVER"
              : String.format(Locale.ROOT, "%,d ms", Duration.between(startAt.get(), isrAt.get()).toMillis()));
      System.out.println("results per second: " + Arrays.toString(Arrays.copyOf(perSecond, window)));
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

  private static boolean inSyncEverywhere(Admin admin, Topics topics, int broker) throws Exception {
    List<String> names = topics.all().stream().map(t -> t.name()).toList();
    for (TopicDescription description : admin.describeTopics(names).allTopicNames().get().values()) {
      if (!description.partitions().stream().allMatch(p -> p.isr().stream().anyMatch(n -> n.id() == broker))) {
        return false;
      }
    }
    return true;
  }

  private static Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }
}
