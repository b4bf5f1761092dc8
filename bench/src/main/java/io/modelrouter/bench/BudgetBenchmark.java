package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.aggregator.internal.AggregatorStores;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.RouterService;
import io.modelrouter.router.internal.RouterStores;
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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hard caps under a burst: one team sends {@code --rate} requests/s for {@code --seconds} through the real router,
 * worker (simulated provider) and aggregator, against a daily output-token limit that its traffic reaches about
 * {@code --limit-seconds} in. Each run is done twice on the same broker, with admission control (reservations in
 * the router, the default) and without it (the router only follows the aggregator's actions, as a budget checked
 * after the spend would), so the two are compared in the same run.
 *
 * <p>Reported per run: overshoot (output tokens written beyond the limit, in % of the limit); the crossing (the
 * usage event that took the team's written output over the limit) and how long after it the router still admitted
 * requests (the enforcement delay: 0 when nothing was admitted after it).
 *
 * <pre>bench/run BudgetBenchmark --rate 2000 --seconds 20 --limit-seconds 8 --runs 3</pre>
 */
public final class BudgetBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetBenchmark.class);
  private static final String TEAM = "burst";

  private BudgetBenchmark() {}

  record Run(String mode, long limit, long written, int sent, int admitted, int paused, int admittedAfterCrossing,
             long enforcementDelayMs, Instant crossing, String lastPause, String actions) {
    double overshootPercent() {
      return Math.max(0, written - limit) * 100.0 / limit;
    }
  }

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "2000", "seconds", "20", "limit-seconds", "8",
        "runs", "3", "latency-ms", "300", "output-tokens", "350", "partitions", "8"));
    LOG.info("budget benchmark {}", options);
    int rate = options.integer("rate");
    long limit = (long) rate * options.integer("output-tokens") * options.integer("limit-seconds");
    List<Run> runs = new ArrayList<>();
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      for (int round = 1; round <= options.integer("runs"); round++) {
        for (boolean enforce : List.of(true, false)) {
          String prefix = "budget-" + round + "-" + (enforce ? "admission" : "actions") + ".";
          Run run = run(kafka.bootstrapServers(), registry.url(), admin, prefix, enforce, limit, options);
          runs.add(run);
          LOG.info(describe(round, run));
          LOG.info("last PAUSED answer: {}", run.lastPause());
          LOG.info("{}", run.actions());
        }
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "BudgetBenchmark: one team at %,d requests/s for %s s, daily output limit %,d tokens "
        + "(reached after ~%s s), simulated latency %s ms, mean output %s tokens%n", rate, options.string("seconds"),
        limit, options.string("limit-seconds"), options.string("latency-ms"), options.string("output-tokens"));
    for (int i = 0; i < runs.size(); i++) {
      System.out.println(describe(i / 2 + 1, runs.get(i)));
    }
    for (String mode : List.of("admission", "actions only")) {
      List<Run> of = runs.stream().filter(r -> r.mode().equals(mode)).toList();
      System.out.printf(Locale.ROOT, "%s: median overshoot %.3f%%, worst %.3f%%; enforcement delay median %d ms, "
              + "worst %d ms%n", mode,
          RouterBenchmark.median(of.stream().map(Run::overshootPercent).toList()),
          of.stream().mapToDouble(Run::overshootPercent).max().orElse(0),
          Math.round(RouterBenchmark.median(of.stream().map(r -> (double) r.enforcementDelayMs()).toList())),
          of.stream().mapToLong(Run::enforcementDelayMs).max().orElse(0));
    }
  }

  private static String describe(int round, Run run) {
    return String.format(Locale.ROOT, "run %d, %-12s: written %,d of %,d (overshoot %.3f%%), sent %,d, admitted %,d, "
            + "paused %,d, admitted after the crossing %,d, enforcement delay %d ms", round, run.mode(), run.written(),
        run.limit(), run.overshootPercent(), run.sent(), run.admitted(), run.paused(), run.admittedAfterCrossing(),
        run.enforcementDelayMs());
  }

  private static Run run(String bootstrap, String registryUrl, Admin admin, String prefix, boolean enforce, long limit,
      BenchArgs options) throws Exception {
    Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registryUrl)).prefix(prefix)
        .build());
    TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
    Path state = Files.createTempDirectory("budget-bench");
    Map<String, String> common = Map.of("kafka.bootstrap.servers", bootstrap, "schema.registry.url", registryUrl,
        "topics.prefix", prefix, "topics.create", "false");
    try (AggregatorService aggregator = new AggregatorService(settings(common, Map.of(
            "aggregator.application.id", prefix + "aggregator", "aggregator.state.dir", state + "/agg")));
        RouterService router = new RouterService(settings(common, Map.of(
            "router.application.id", prefix + "router", "router.state.dir", state + "/router",
            "router.budget.enforce", String.valueOf(enforce))));
        WorkerService worker = new WorkerService(settings(common, Map.of(
            "worker.group.id", prefix + "worker", "worker.instance.id", prefix + "w", "worker.simulate", "all",
            "simulator.latency", options.string("latency-ms"), "simulator.latency.spread", "0.3",
            "simulator.output.tokens", options.string("output-tokens"))));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 5,
            ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
            new StringSerializer(), new ByteArraySerializer())) {
      aggregator.start();
      router.start();
      worker.start();
      while (router.state() != KafkaStreams.State.RUNNING || aggregator.state() != KafkaStreams.State.RUNNING) {
        Thread.sleep(100);
      }
      BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(TEAM).setVersion(1).setTimeZone("UTC")
          .setDaily(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(limit).setCostMicros(null)
              .setAlertThresholds(List.of(0.8)).setAction(BudgetActionType.PAUSE).setEscalations(List.of()).build())
          .setMonthly(null).setUpdatedAt(null).build();
      producer.send(new ProducerRecord<>(topics.budgetPolicies().name(), TEAM,
          topics.budgetPolicies().serializeValue(policy))).get();
      // The router and the aggregator have read the policy before the burst starts
      long policyDeadline = System.currentTimeMillis() + 60_000;
      while ((policyIn(router.streams(), RouterStores.BUDGET_POLICIES) == null
          || policyIn(aggregator.streams(), AggregatorStores.POLICIES) == null)
          && System.currentTimeMillis() < policyDeadline) {
        Thread.sleep(100);
      }

      Collector collector = new Collector(bootstrap, prefix, topics);
      Thread reader = Thread.ofPlatform().name("budget-bench-reader").start(collector);
      int sent = send(producer, topics, options.integer("rate"), options.integer("seconds"));
      long deadline = System.currentTimeMillis() + 120_000;
      while (collector.results() < sent && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
      }
      // The usage events of the last results (same transactions; the reader may see them a poll later)
      long usageDeadline = System.currentTimeMillis() + 30_000;
      while (collector.usageEvents() < collector.admitted() && System.currentTimeMillis() < usageDeadline) {
        Thread.sleep(100);
      }
      collector.stop();
      reader.join();
      if (collector.results() < sent) {
        throw new IllegalStateException("only " + collector.results() + " of " + sent + " requests were answered");
      }
      return collector.summarize(enforce ? "admission" : "actions only", limit, sent);
    }
  }

  /** The team's budget policy in a Kafka Streams app's local store, or null (not read yet, not queryable yet). */
  private static BudgetPolicy policyIn(KafkaStreams streams, String store) {
    try {
      return streams.store(StoreQueryParameters.fromNameAndType(store,
          QueryableStoreTypes.<String, BudgetPolicy>keyValueStore())).get(TEAM);
    } catch (InvalidStateStoreException e) {
      return null;
    }
  }

  private static Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }

  /** Paced: {@code rate} requests a second in 10 ms slices, each request its own id, all for one team. */
  private static int send(KafkaProducer<String, byte[]> producer, Topics topics, int rate, int seconds)
      throws InterruptedException {
    Workload workload = new Workload(11, 1);
    int total = rate * seconds;
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 1_000_000) {
        Thread.sleep(wait / 1_000_000);
      }
      InferenceRequest request = workload.next(i);
      request.setTeamId(TEAM);
      request.setRequestId("burst-" + i);
      request.setMaxTokens(4_096);
      producer.send(new ProducerRecord<>(topics.requests().name(), TEAM, topics.requests().serializeValue(request)));
    }
    producer.flush();
    return total;
  }

  /** Reads the team's usage, routed requests and results as they are committed. */
  private static final class Collector implements Runnable {
    private final String bootstrap;
    private final String prefix;
    private final Topics topics;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<UsageEvent> usage = new ArrayList<>();
    private final List<Long> usageTimes = new ArrayList<>();
    private final List<RoutedRequest> routed = new ArrayList<>();
    private volatile int results;
    private volatile int usageEvents;
    private volatile int admitted;
    private int paused;
    private String lastPause = "";
    private final List<String> actions = new ArrayList<>();

    Collector(String bootstrap, String prefix, Topics topics) {
      this.bootstrap = bootstrap;
      this.prefix = prefix;
      this.topics = topics;
    }

    int usageEvents() {
      return usageEvents;
    }

    int admitted() {
      return admitted;
    }

    int results() {
      return results;
    }

    void stop() {
      running.set(false);
    }

    @Override
    public void run() {
      try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, prefix + "collector",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          new StringDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of(topics.usage().name(), topics.routed().name(), topics.routedBatch().name(),
            topics.results().name(),
            topics.budgetActions().name()));
        while (running.get()) {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            if (!TEAM.equals(record.key()) || record.value() == null) {
              continue;
            }
            if (record.topic().equals(topics.usage().name())) {
              usage.add(topics.usage().deserializeValue(record.value()));
              usageTimes.add(record.timestamp());
              usageEvents++;
            } else if (record.topic().equals(topics.budgetActions().name())) {
              actions.add(topics.budgetActions().deserializeValue(record.value()).getState() + "@"
                  + Instant.ofEpochMilli(record.timestamp()));
            } else if (record.topic().equals(topics.routed().name())
                || record.topic().equals(topics.routedBatch().name())) {
              routed.add(topics.routed().deserializeValue(record.value()));
              admitted++;
            } else {
              InferenceResult result = topics.results().deserializeValue(record.value());
              if (result.getStatus() == ResultStatus.PAUSED) {
                paused++;
                lastPause = result.getErrorMessage();
              }
              results++;
            }
          }
        }
      }
    }

    /** Usage is in one partition (keyed by team), so its order is the order the worker wrote it in. */
    Run summarize(String mode, long limit, int sent) {
      long written = 0;
      Instant crossing = null;
      for (int i = 0; i < usage.size(); i++) {
        written += usage.get(i).getOutputTokens();
        if (crossing == null && written >= limit) {
          crossing = Instant.ofEpochMilli(usageTimes.get(i));
        }
      }
      int after = 0;
      long delay = 0;
      if (crossing != null) {
        for (RoutedRequest r : routed) {
          Instant decided = r.getDecision().getDecidedAt();
          if (decided != null && decided.isAfter(crossing)) {
            after++;
            delay = Math.max(delay, Duration.between(crossing, decided).toMillis());
          }
        }
      }
      return new Run(mode, limit, written, sent, routed.size(), paused, after, delay, crossing, lastPause,
          "crossing@" + crossing + " actions " + actions);
    }
  }
}
