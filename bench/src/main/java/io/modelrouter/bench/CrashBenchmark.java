package io.modelrouter.bench;

import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.CallJournal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process crashes under load (docs/reliability.md, scenario 1). The router, the worker (simulated provider) and the usage
 * aggregator run as three JVMs of their own against an in-process broker; requests flow at {@code --rate} for
 * {@code --seconds}; the worker, then the router, then the aggregator are killed with SIGKILL (at 20%, 45% and 70%
 * of the run) and started again {@code --down-ms} later. Ten of the forty teams have daily budgets that cross their
 * alert thresholds during the run, so alerts and actions are being emitted around the crashes.
 *
 * <p>Then, read_committed: every request must have exactly one result; every usage event (one per provider call)
 * must appear once; every call the provider answered (the worker's call journal, written as each call returns and
 * kept across the kill) must have its usage event, also one answered milliseconds before the kill (the restarted
 * worker writes it from its usage journal: the call's own event, or, when the kill came before that was journaled,
 * the estimate the call's intent journaled before it was made); the aggregator's totals must count exactly the usage events on
 * the topic; no alert id may appear twice. Recovery time is from the kill to the restarted process's first committed
 * output, with the phases the restarted process logged on its way. The benchmark exits with status 1 and names what
 * broke when any of these does not hold. With {@code --cds true} each service is first started and stopped cleanly,
 * which writes a class-data sharing archive its later starts use (as the images do); {@code --cds aot} writes JDK 25's
 * ahead-of-time cache instead (classes loaded and linked, and method profiles).
 *
 * <p>With {@code --instances 2} a second instance of each service runs beside the first (the Streams ones with
 * {@code --standby} standby replicas); the first is killed and not restarted, and the report says how long after the
 * kill every key the service writes was written again: the survivor's takeover. {@code --session-timeout-ms} and
 * {@code --transaction-timeout-ms} set the two timeouts that takeover waits on.
 *
 * <pre>bench/run CrashBenchmark --rate 2000 --seconds 60 [--cds true|aot]
 * bench/run CrashBenchmark --rate 1000 --seconds 90 --instances 2 --session-timeout-ms 6000 --transaction-timeout-ms 5000</pre>
 */
public final class CrashBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(CrashBenchmark.class);
  private static final int TEAMS = 40;

  private CrashBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> broken = run(args);
    if (!broken.isEmpty()) {
      System.exit(1);
    }
  }

  /**
   * The run {@code args} describe (the options of {@link #main}); prints its report.
   *
   * @return what broke, empty when every invariant held
   */
  public static List<String> run(String... args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "2000", "seconds", "60", "down-ms", "2000",
        "partitions", "8", "latency-ms", "200", "cds", "false", "instances", "1", "standby", "1", "session-timeout-ms", "45000",
        "transaction-timeout-ms", "default"));
    LOG.info("crash benchmark {}", options);
    int rate = options.integer("rate");
    int seconds = options.integer("seconds");
    Path dir = Files.createTempDirectory("crash-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
      Map<String, String> env = new HashMap<>(Map.of(
          "MR_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "MR_SCHEMA_REGISTRY_URL", registry.url(),
          "MR_TOPICS_PARTITIONS", options.string("partitions"),
          "MR_ROUTER_METRICS_PORT", "-1", "MR_WORKER_METRICS_PORT", "-1", "MR_AGGREGATOR_METRICS_PORT", "-1"));
      // --instances 2: a second instance of each service (standby replicas for the Streams ones); the first is
      // killed and not restarted, and the report says when the survivor wrote every key again
      boolean pair = options.integer("instances") == 2;
      List<ChildProcess> secondInstances = new ArrayList<>();
      Map<String, String> standby = pair ? Map.of("MR_KAFKA_NUM_STANDBY_REPLICAS", options.string("standby"))
          : Map.of();
      if (pair) {
        env.put("MR_KAFKA_SESSION_TIMEOUT_MS", options.string("session-timeout-ms"));
      }
      if (!options.string("transaction-timeout-ms").equals("default")) {
        // a survivor reads the dead instance's partitions only once its open transaction is aborted: at this timeout
        env.put("MR_KAFKA_TRANSACTION_TIMEOUT_MS", options.string("transaction-timeout-ms"));
        env.put("MR_WORKER_TRANSACTION_TIMEOUT", options.string("transaction-timeout-ms"));
      }
      Path journal = dir.resolve("provider-calls.tsv");
      List<ChildProcess> first = services("", env, standby, dir, journal, options.string("latency-ms"));
      ChildProcess router = first.get(0);
      ChildProcess worker = first.get(1);
      ChildProcess aggregator = first.get(2);
      if (pair) {
        secondInstances.addAll(services("-2", env, standby, dir, journal, options.string("latency-ms")));
      }
      ChaosCollector collector = new ChaosCollector(kafka.bootstrapServers(), topics);
      Thread reader = Thread.ofPlatform().name("crash-collector").start(collector);
      List<ChaosCollector.Kill> kills = new ArrayList<>();
      int sent;
      try (router; worker; aggregator;
          KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5,
              ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
              new StringSerializer(), new ByteArraySerializer())) {
        budgets(producer, topics, rate, seconds);
        String cds = options.string("cds");
        if (!List.of("false", "true", "aot").contains(cds)) {
          throw new IllegalArgumentException("--cds: false, true (AppCDS) or aot (JDK 25's AOT cache), not " + cds);
        }
        if (!cds.equals("false")) {
          String suffix = cds.equals("aot") ? ".aot" : ".jsa";
          // Each JVM gets a class-data sharing archive (or AOT cache), written by a clean stop after a first start (as
          // a deployment would at its first stop); the run and every restart after a kill then map their classes from it
          for (ChildProcess child : List.of(router, worker, aggregator)) {
            Path archive = dir.resolve(child.name() + suffix);
            (cds.equals("aot") ? child.withAotCache(archive) : child.withSharedArchive(archive)).start();
          }
          for (ChildProcess child : List.of(router, worker, aggregator)) {
            awaitPhase(child, child == worker ? "assigned" : "running");
            child.close();
          }
          LOG.info("class-data sharing archives written: {}", List.of(router, worker, aggregator).stream()
              .map(c -> c.name() + " " + dir.resolve(c.name() + suffix).toFile().length() / 1024 + " KB").toList());
        }
        router.start();
        worker.start();
        aggregator.start();
        for (ChildProcess second : secondInstances) {
          second.start();
        }
        warmUp(producer, topics, collector);
        LOG.info("services up; sending {} requests/s for {} s", rate, seconds);

        Workload workload = new Workload(5, TEAMS);
        long total = (long) rate * seconds;
        List<ChildProcess> victims = List.of(worker, router, aggregator);
        double[] at = {0.20, 0.45, 0.70};
        int next = 0;
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 1_000_000) {
            Thread.sleep(wait / 1_000_000);
          }
          if (next < victims.size() && i >= total * at[next]) {
            ChildProcess victim = victims.get(next++);
            Instant killed = victim.kill();
            LOG.info("killed {} (SIGKILL)", victim.name());
            if (!pair) {
              Thread.ofVirtual().start(() -> restartLater(victim, options.integer("down-ms")));
            }
            kills.add(new ChaosCollector.Kill(victim, killed));
          }
          InferenceRequest request = workload.next(i);
          request.setRequestId("crash-" + i);
          producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
              topics.requests().serializeValue(request)));
        }
        producer.flush();
        sent = (int) total;
        LOG.info("sent {} requests; waiting for their results", sent);
        long deadline = System.currentTimeMillis() + 300_000;
        while (collector.uniqueResults() < sent + 1 && System.currentTimeMillis() < deadline) {
          Thread.sleep(500);
        }
        // The aggregator's last totals (published every second); the report says so if they never catch up
        long totalsDeadline = System.currentTimeMillis() + 60_000;
        while (!collector.totalsCaughtUp() && System.currentTimeMillis() < totalsDeadline) {
          Thread.sleep(200);
        }
        collector.stop();
        reader.join();
      } finally {
        for (ChildProcess second : secondInstances) {
          second.close();
        }
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "CrashBenchmark: %,d requests/s for %d s, %d teams (10 with budgets), simulated "
          + "latency %s ms; kill -9 of worker, router, aggregator at 20%%, 45%%, 70%%, each down %s ms%n", rate,
          seconds, TEAMS, options.string("latency-ms"), options.string("down-ms"));
      System.out.print(collector.report(sent + 1, kills));
      List<String> broken = new ArrayList<>(collector.violations(sent + 1, kills));
      broken.addAll(billedCalls(journal, collector, kills));
      System.out.println(broken.isEmpty() ? "every invariant held" : "FAILED: " + String.join("; ", broken));
      return broken;
    }
  }

  /**
   * The calls the simulated provider answered (the worker's call journal) against the successful calls' usage events:
   * prints both, and the answered calls without a usage event with how long before a kill they were answered. Any
   * missing one is a violation: one answered just before the worker's kill (its event still in the killed producer)
   * is written by the restarted worker from its usage journal. So is a usage event for a call never answered.
   */
  private static List<String> billedCalls(Path journal, ChaosCollector collector, List<ChaosCollector.Kill> kills)
      throws java.io.IOException {
    Map<String, List<Instant>> answered = new HashMap<>();
    for (CallJournal.Call call : CallJournal.read(journal)) {
      if (call.answered()) {
        answered.computeIfAbsent(call.key(), k -> new ArrayList<>()).add(call.time());
      }
    }
    Map<String, Integer> counted = collector.answeredCalls();
    Map<String, Integer> estimated = collector.inFlightCalls();
    long answeredTotal = answered.values().stream().mapToLong(List::size).sum();
    long countedTotal = counted.values().stream().mapToLong(Integer::longValue).sum();
    Instant workerKilled = kills.stream().filter(k -> k.process().name().equals("worker")).map(ChaosCollector.Kill::at)
        .findFirst().orElse(Instant.MAX);
    List<Long> missingBeforeKill = new ArrayList<>();
    long unexplained = 0;
    long extra = 0;
    for (Map.Entry<String, List<Instant>> call : answered.entrySet()) {
      // an answered call whose own event the kill lost is billed by its intent's estimate (written at the restart)
      int have = counted.getOrDefault(call.getKey(), 0) + estimated.getOrDefault(call.getKey(), 0);
      // A call answered twice (by the killed worker, then again after its restart) has one key and up to two usage
      // events, which do not say which answer they count: the missing ones are taken to be the answers nearest
      // before the kill (the only ones a kill can lose), not simply the later ones
      List<Instant> times = call.getValue().stream().sorted(java.util.Comparator.comparingLong(
          (Instant t) -> {
            long before = Duration.between(t, workerKilled).toMillis();
            return before >= 0 && before <= 1_000 ? 0 : 1;
          }).thenComparing(java.util.Comparator.reverseOrder())).toList();
      for (int i = 0; i < times.size() - have; i++) {
        long before = Duration.between(times.get(i), workerKilled).toMillis();
        if (before >= 0 && before <= 1_000) {
          missingBeforeKill.add(before);
        } else {
          unexplained++;
        }
      }
    }
    for (Map.Entry<String, Integer> call : counted.entrySet()) {
      extra += Math.max(0, call.getValue() - answered.getOrDefault(call.getKey(), List.of()).size());
    }
    long twice = answered.values().stream().filter(t -> t.size() > 1).count();
    long estimates = estimated.values().stream().mapToLong(Integer::longValue).sum();
    long estimatesAnswered = estimated.keySet().stream().filter(answered::containsKey)
        .filter(k -> counted.getOrDefault(k, 0) < answered.get(k).size()).count();
    System.out.printf(Locale.ROOT, "calls in flight at the worker's kill billed by their journaled intent's estimate %,d"
        + " (of which %,d answered by the provider before the kill)%n", estimates, estimatesAnswered);
    System.out.printf(Locale.ROOT, "provider calls answered (call journal) %,d, of which %,d requests answered twice "
            + "(executed again after the worker's kill); usage events of answered calls %,d; answered calls without a "
            + "usage event %,d (%s); usage events without an answered call %,d%n", answeredTotal, twice, countedTotal,
        missingBeforeKill.size() + unexplained, missingBeforeKill.isEmpty() && unexplained == 0 ? "none"
            : missingBeforeKill.size() + " answered " + missingBeforeKill.stream().mapToLong(Long::longValue).min()
                .orElse(0) + "-" + missingBeforeKill.stream().mapToLong(Long::longValue).max().orElse(0)
                + " ms before the kill, " + unexplained + " otherwise", extra);
    List<String> broken = new ArrayList<>();
    if (unexplained > 0) {
      broken.add(unexplained + " answered call(s) without a usage event, not in the last second before the kill");
    }
    if (!missingBeforeKill.isEmpty()) {
      // The restarted worker writes what its usage journal kept: none may be missing, however close to the kill
      broken.add(missingBeforeKill.size() + " call(s) answered in the last second before the worker's kill without a"
          + " usage event (the usage journal should have kept them)");
    }
    if (extra > 0) {
      broken.add(extra + " usage event(s) for calls the provider did not answer");
    }
    return broken;
  }

  /**
   * One instance of each service, {@code router<suffix>}, {@code worker<suffix>}, {@code aggregator<suffix>}, with
   * ids and state of its own; {@code streams} goes to the Streams ones (standby replicas), the workers share the call
   * journal.
   */
  private static List<ChildProcess> services(String suffix, Map<String, String> env, Map<String, String> streams,
      Path dir, Path journal, String latencyMs) {
    return List.of(
        child("router" + suffix, "io.modelrouter.router.RouterMain", env, dir, merge(streams, Map.of(
            "MR_ROUTER_INSTANCE_ID", "crash-router" + suffix,
            "MR_ROUTER_STATE_DIR", dir.resolve("router" + suffix + "-state").toString()))),
        child("worker" + suffix, "io.modelrouter.worker.WorkerMain", env, dir, Map.of(
            "MR_WORKER_INSTANCE_ID", "crash-worker" + suffix, "MR_WORKER_SIMULATE", "all",
            "MR_WORKER_CALL_JOURNAL", journal.toString(),
            "MR_SIMULATOR_LATENCY", latencyMs, "MR_SIMULATOR_LATENCY_SPREAD", "0.3")),
        child("aggregator" + suffix, "io.modelrouter.aggregator.AggregatorMain", env, dir, merge(streams, Map.of(
            "MR_AGGREGATOR_INSTANCE_ID", "crash-aggregator" + suffix,
            "MR_AGGREGATOR_STATE_DIR", dir.resolve("aggregator" + suffix + "-state").toString()))));
  }

  private static ChildProcess child(String name, String mainClass, Map<String, String> common, Path dir,
      Map<String, String> own) {
    Map<String, String> env = new HashMap<>(common);
    env.putAll(own);
    return new ChildProcess(name, mainClass, env, dir.resolve(name + ".log"));
  }

  /** Waits up to 120 s for {@code child} to log {@code phase} since it started. */
  private static void awaitPhase(ChildProcess child, String phase) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!child.phasesSince(child.startedAt()).containsKey(phase)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(child.name() + " did not reach " + phase + " within 120 s");
      }
      Thread.sleep(200);
    }
  }

  private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> out = new HashMap<>(a);
    out.putAll(b);
    return out;
  }

  private static void restartLater(ChildProcess victim, int downMs) {
    try {
      Thread.sleep(downMs);
      victim.start();
      LOG.info("restarted {}", victim.name());
    } catch (Exception e) {
      LOG.error("could not restart {}", victim.name(), e);
    }
  }

  /** Ten teams get daily output budgets that their share of the traffic crosses at different times in the run. */
  private static void budgets(KafkaProducer<String, byte[]> producer, Topics topics, int rate, int seconds)
      throws Exception {
    double perTeamPerSecond = rate / (double) TEAMS * 350;
    for (int t = 0; t < 10; t++) {
      String team = "team-" + t;
      long limit = Math.round(perTeamPerSecond * seconds * (0.3 + 0.1 * t));
      BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(team).setVersion(1).setTimeZone("UTC")
          .setDaily(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(limit).setCostMicros(null)
              .setAlertThresholds(List.of(0.25, 0.5, 0.75)).setAction(BudgetActionType.PAUSE)
              .setEscalations(List.of()).build())
          .setMonthly(null).setUpdatedAt(null).build();
      producer.send(new ProducerRecord<>(topics.budgetPolicies().name(), team,
          topics.budgetPolicies().serializeValue(policy))).get();
    }
  }

  /** One request through router and worker, and the aggregator's first totals: every service is up. */
  private static void warmUp(KafkaProducer<String, byte[]> producer, Topics topics, ChaosCollector collector)
      throws Exception {
    InferenceRequest request = new Workload(1, 1).next(0);
    request.setRequestId("warm-up");
    request.setTeamId("team-warm-up");
    producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
        topics.requests().serializeValue(request))).get();
    long deadline = System.currentTimeMillis() + 180_000;
    while ((collector.uniqueResults() < 1 || collector.totalsRecords() < 1)
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }
    if (collector.uniqueResults() < 1 || collector.totalsRecords() < 1) {
      throw new IllegalStateException("the services did not answer a warm-up request within 180 s; see their logs");
    }
  }
}
