package io.modelrouter.bench;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RateLimits;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-team rate limits under a burst, through the real router: every team limited to {@code --limit} requests a
 * minute (the default policy's {@code rateLimits}); team {@code steady} sends {@code --steady} requests/s, well under
 * its limit, for {@code --seconds}. Each run does it twice on the same broker, alone and while team {@code burster}
 * sends {@code --factor} times its limit, so the two are compared in the same run.
 *
 * <p>Reported per run: the steady team's routing wait (decision time minus creation time) p50 / p99 alone, with
 * the burster, and with the burster when nothing is limited (the same traffic, every request routed: what the limit
 * spares the others); and the burster's admitted rate from 5 s after its start to the end of sending (its queue never
 * empties: it sends 20 times what it may), against its limit.
 *
 * <pre>bench/run FairnessBenchmark --limit 6000 --steady 50 --factor 20 --seconds 20 --runs 3</pre>
 */
public final class FairnessBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(FairnessBenchmark.class);
  private static final String STEADY = "steady";
  private static final String BURSTER = "burster";

  private FairnessBenchmark() {}

  record Run(double steadyP50, double steadyP99, int steadyRouted, double admittedPerSecond, int burstSent,
             int burstRouted, long[] waits) {}

  /** The percentile of every run's steady waits together (per-run p99s of a few ms move more than the goal). */
  private static double pooled(List<Run[]> runs, int mode, double p) {
    long[] all = runs.stream().flatMapToLong(r -> java.util.Arrays.stream(r[mode].waits())).sorted().toArray();
    return CommittedReader.percentile(all, p);
  }

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("limit", "6000", "steady", "50", "factor", "20",
        "seconds", "20", "runs", "3", "partitions", "8"));
    LOG.info("fairness benchmark {}", options);
    List<Run[]> runs = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      for (int round = 1; round <= options.integer("runs"); round++) {
        Run alone = run(kafka.bootstrapServers(), registry.url(), admin, "fair-" + round + "-alone.", false, true,
            options);
        Run burst = run(kafka.bootstrapServers(), registry.url(), admin, "fair-" + round + "-burst.", true, true,
            options);
        Run unlimited = run(kafka.bootstrapServers(), registry.url(), admin, "fair-" + round + "-unlimited.", true,
            false, options);
        runs.add(new Run[] {alone, burst, unlimited});
        LOG.info(describe(round, alone, burst, unlimited, options));
      }
    }
    double limitPerSecond = options.integer("limit") / 60.0;
    System.out.println();
    System.out.printf(Locale.ROOT, "FairnessBenchmark: every team limited to %,d requests/min (%.1f/s); steady sends "
            + "%s/s; burster sends %sx its limit (%.0f/s) for %s s%n", options.integer("limit"), limitPerSecond,
        options.string("steady"), options.string("factor"), limitPerSecond * options.integer("factor"),
        options.string("seconds"));
    for (int i = 0; i < runs.size(); i++) {
      System.out.println(describe(i + 1, runs.get(i)[0], runs.get(i)[1], runs.get(i)[2], options));
    }
    System.out.printf(Locale.ROOT, "median: steady p99 %.1f ms alone, %.1f ms with the burster limited (ratio %.2f), "
            + "%.1f ms with the burster unlimited; burster admitted %.2f/s against %.2f/s (%+.2f%%)%n",
        RouterBenchmark.median(runs.stream().map(r -> r[0].steadyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[1].steadyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[1].steadyP99() / r[0].steadyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[2].steadyP99()).toList()),
        RouterBenchmark.median(runs.stream().map(r -> r[1].admittedPerSecond()).toList()), limitPerSecond,
        (RouterBenchmark.median(runs.stream().map(r -> r[1].admittedPerSecond()).toList()) / limitPerSecond - 1)
            * 100);
    System.out.printf(Locale.ROOT, "pooled over the %d runs (%,d steady requests a mode): steady p50 / p99 %.0f / %.0f "
            + "ms alone, %.0f / %.0f ms with the burster limited (p99 ratio %.2f), %.0f / %.0f ms with it unlimited%n",
        runs.size(), runs.stream().mapToInt(r -> r[0].waits().length).sum(), pooled(runs, 0, 0.5),
        pooled(runs, 0, 0.99), pooled(runs, 1, 0.5), pooled(runs, 1, 0.99),
        pooled(runs, 1, 0.99) / pooled(runs, 0, 0.99), pooled(runs, 2, 0.5), pooled(runs, 2, 0.99));
  }

  private static String describe(int round, Run alone, Run burst, Run unlimited, BenchArgs options) {
    double limit = options.integer("limit") / 60.0;
    return String.format(Locale.ROOT, "run %d: steady wait p50 / p99 %.1f / %.1f ms alone (%d routed), %.1f / %.1f "
            + "ms with the burster limited (%d routed), %.1f / %.1f ms with it unlimited; burster sent %,d, routed "
            + "%,d, admitted %.2f/s from 5 s on (limit %.2f/s, %+.2f%%)", round, alone.steadyP50(), alone.steadyP99(),
        alone.steadyRouted(), burst.steadyP50(), burst.steadyP99(), burst.steadyRouted(), unlimited.steadyP50(),
        unlimited.steadyP99(), burst.burstSent(), burst.burstRouted(), burst.admittedPerSecond(), limit,
        (burst.admittedPerSecond() / limit - 1) * 100);
  }

  private static Run run(String bootstrap, String registryUrl, Admin admin, String prefix, boolean withBurst,
      boolean limited, BenchArgs options) throws Exception {
    Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registryUrl)).prefix(prefix)
        .build());
    TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
    Path state = Files.createTempDirectory("fairness-bench");
    try (RouterService router = new RouterService(Settings.of(Map.of("kafka.bootstrap.servers", bootstrap,
            "schema.registry.url", registryUrl, "topics.prefix", prefix, "topics.create", "false",
            "router.application.id", prefix + "router", "router.state.dir", state.toString())));
        KafkaProducer<String, byte[]> producer = CommittedReader.producer(bootstrap)) {
      router.start();
      while (router.state() != KafkaStreams.State.RUNNING) {
        Thread.sleep(100);
      }
      RoutingPolicy policy = DefaultPolicies.routingPolicy();
      policy.setVersion(1);
      policy.setRateLimits(limited ? new RateLimits((long) options.integer("limit"), null, 1.0, 10_000_000) : null);
      producer.send(new ProducerRecord<>(topics.routingPolicies().name(), Topics.DEFAULT_POLICY_KEY,
          topics.routingPolicies().serializeValue(policy))).get();

      Collector collector = new Collector(bootstrap, prefix, topics);
      Thread reader = Thread.ofPlatform().name("fairness-bench-reader").start(collector);
      // The router applies the limited policy before the measurement starts
      int probe = 0;
      while (!collector.policyApplied()) {
        InferenceRequest request = new Workload(3, 1).next(probe);
        request.setTeamId("probe");
        request.setRequestId("probe-" + probe++);
        request.setCreatedAt(Instant.now());
        producer.send(new ProducerRecord<>(topics.requests().name(), "probe",
            topics.requests().serializeValue(request))).get();
        Thread.sleep(300);
      }

      int seconds = options.integer("seconds");
      int burstRate = (int) Math.round(options.integer("limit") / 60.0 * options.integer("factor"));
      Instant start = Instant.now();
      int[] burstSent = {0};
      Thread burster = withBurst ? Thread.ofPlatform().name("burster").start(() -> burstSent[0] =
          send(producer, topics, BURSTER, burstRate, seconds, 17)) : null;
      int steadySent = send(producer, topics, STEADY, options.integer("steady"), seconds, 5);
      if (burster != null) {
        burster.join();
      }
      Instant end = Instant.now();
      long deadline = System.currentTimeMillis() + 30_000;
      while (collector.steadyRouted() < steadySent && System.currentTimeMillis() < deadline) {
        Thread.sleep(100);
      }
      Thread.sleep(500);
      collector.stop();
      reader.join();
      if (collector.steadyRouted() < steadySent) {
        throw new IllegalStateException("only " + collector.steadyRouted() + " of " + steadySent
            + " steady requests were routed");
      }
      Instant from = start.plusSeconds(5);
      long admitted = collector.burstDecisions().stream().filter(t -> !t.isBefore(from) && t.isBefore(end)).count();
      double perSecond = withBurst ? admitted / (Duration.between(from, end).toMillis() / 1000.0) : 0;
      List<Long> waits = collector.steadyWaits();
      long[] sorted = waits.stream().mapToLong(Long::longValue).sorted().toArray();
      return new Run(CommittedReader.percentile(sorted, 0.50), CommittedReader.percentile(sorted, 0.99),
          sorted.length, perSecond, burstSent[0], collector.burstDecisions().size(), sorted);
    }
  }

  /** Paced: {@code rate} requests a second for one team, each created (createdAt) when it is sent. */
  private static int send(KafkaProducer<String, byte[]> producer, Topics topics, String team, int rate, int seconds,
      long seed) {
    Workload workload = new Workload(seed, 1);
    int total = rate * seconds;
    long start = System.nanoTime();
    try {
      for (int i = 0; i < total; i++) {
        long due = start + (long) (i * 1e9 / rate);
        long wait = due - System.nanoTime();
        if (wait > 1_000_000) {
          Thread.sleep(wait / 1_000_000);
        }
        InferenceRequest request = workload.next(i);
        request.setTeamId(team);
        request.setRequestId(team + "-" + i);
        request.setDeadline(null);
        request.setCreatedAt(Instant.now());
        producer.send(new ProducerRecord<>(topics.requests().name(), team, topics.requests().serializeValue(request)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.flush();
    return total;
  }

  /** Reads the routed requests (both lanes) as they are committed. */
  private static final class Collector extends CommittedReader {
    private final Topics topics;
    private final List<Long> steadyWaits = Collections.synchronizedList(new ArrayList<>());
    private final List<Instant> burstDecisions = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean policyApplied;

    Collector(String bootstrap, String prefix, Topics topics) {
      super(bootstrap, prefix + "collector", List.of(topics.routed().name(), topics.routedBatch().name()));
      this.topics = topics;
    }

    boolean policyApplied() {
      return policyApplied;
    }

    int steadyRouted() {
      return steadyWaits.size();
    }

    List<Long> steadyWaits() {
      return new ArrayList<>(steadyWaits);
    }

    List<Instant> burstDecisions() {
      return new ArrayList<>(burstDecisions);
    }

    @Override
    void accept(ConsumerRecord<String, byte[]> record, long visible) {
      RoutedRequest routed = topics.routed().deserializeValue(record.value());
      Instant decided = routed.getDecision().getDecidedAt();
      switch (record.key()) {
        case STEADY -> steadyWaits.add(decided.toEpochMilli() - routed.getRequest().getCreatedAt().toEpochMilli());
        case BURSTER -> burstDecisions.add(decided);
        default -> policyApplied |= routed.getDecision().getPolicyVersion().equals("*@1");
      }
    }
  }
}
