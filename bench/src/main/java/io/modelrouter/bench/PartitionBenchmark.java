package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.embedded.TcpProxy;
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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A network partition between one service and the broker (docs/reliability.md). The broker has a second listener
 * whose advertised address is a {@link TcpProxy}: the victim ({@code --victim worker|router|aggregator}) bootstraps
 * through it, so every one of its connections to the broker passes the proxy, while the other services, the pipeline
 * and the collector connect directly. Requests flow at {@code --rate}; after a warm-up the proxy partitions the victim
 * ({@code --mode drop}: connections stay open and nothing passes, {@code cut}: every connection reset and new ones
 * refused) for each of {@code --partitions-s} seconds in turn, with {@code --gap-s} of healed network after each.
 * {@code --session-timeout-ms} sets the victim's group session timeout (default: the services' own, 45 s).
 *
 * <p>Then, read_committed: every request has exactly one result, no usage event or alert twice, the aggregator's
 * totals equal the usage events, and the victim is still running (not stopped by the partition). Reported: per
 * partition, when results/s fell below 90% of the rate and when they were back after the network healed.
 *
 * <pre>bench/run PartitionBenchmark --rate 200 --partitions-s 5,60 --victim worker</pre>
 */
public final class PartitionBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionBenchmark.class);

  private PartitionBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (!run(args).isEmpty()) {
      System.exit(1);
    }
  }

  /** The run {@code args} describe; prints its report and returns what broke (empty when every invariant held). */
  public static List<String> run(String... args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "200", "partitions-s", "5,60", "gap-s", "30",
        "warmup", "10", "victim", "worker", "mode", "drop", "latency-ms", "100", "partitions", "4",
        "session-timeout-ms", "default"));
    LOG.info("partition benchmark {}", options);
    int rate = options.integer("rate");
    int warmup = options.integer("warmup");
    int gap = options.integer("gap-s");
    int[] cuts = Arrays.stream(options.string("partitions-s").split(",")).map(String::trim)
        .mapToInt(Integer::parseInt).toArray();
    String victim = options.string("victim");
    TcpProxy.Mode mode = TcpProxy.Mode.valueOf(options.string("mode").toUpperCase(Locale.ROOT));
    Path state = Files.createTempDirectory("partition-bench");
    int client = FreePorts.any();
    int proxied = FreePorts.any();
    int controller = FreePorts.any();
    List<String> broken = new ArrayList<>();
    try (TcpProxy proxy = TcpProxy.start("localhost", proxied, 0);
        EmbeddedKafka kafka = EmbeddedKafka.builder().dataDirectory(state.resolve("kafka")).port(client)
            .controllerPort(controller)
            .brokerProperty("listeners", "PLAINTEXT://localhost:" + client + ",PROXIED://localhost:" + proxied
                + ",CONTROLLER://localhost:" + controller)
            .brokerProperty("advertised.listeners", "PLAINTEXT://localhost:" + client + ",PROXIED://localhost:"
                + proxy.port())
            .brokerProperty("listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,CONTROLLER:PLAINTEXT")
            .build();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
      Map<String, String> common = Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
          "schema.registry.url", registry.url(), "topics.partitions", options.string("partitions"));
      Map<String, String> throughProxy = new HashMap<>(Map.of("kafka.bootstrap.servers", "localhost:" + proxy.port()));
      if (!options.string("session-timeout-ms").equals("default")) {
        // The victim's group session: a partition longer than it gets the victim dropped from its group, and its
        // partitions assigned again when it is back
        throughProxy.put("kafka.session.timeout.ms", options.string("session-timeout-ms"));
      }
      ChaosCollector collector = new ChaosCollector(kafka.bootstrapServers(), topics);
      List<Instant[]> windows = new ArrayList<>();
      int sent;
      Instant loadStart;
      boolean victimRunning;
      try (AggregatorService aggregator = new AggregatorService(settings(common,
              with(Map.of("aggregator.state.dir", state + "/agg", "aggregator.instance.id", "partition-aggregator"),
                  victim.equals("aggregator") ? throughProxy : Map.of())));
          RouterService router = new RouterService(settings(common,
              with(Map.of("router.state.dir", state + "/router", "router.instance.id", "partition-router"),
                  victim.equals("router") ? throughProxy : Map.of())));
          WorkerService worker = new WorkerService(settings(common,
              with(Map.of("worker.instance.id", "partition-worker", "worker.simulate", "all",
                      "simulator.latency", options.string("latency-ms"), "worker.usage.journal.dir",
                      state.resolve("usage-journal").toString()),
                  victim.equals("worker") ? throughProxy : Map.of())));
          KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
              ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 5,
              ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
              new StringSerializer(), new ByteArraySerializer())) {
        aggregator.start();
        router.start();
        worker.start();
        while (router.state() != KafkaStreams.State.RUNNING || aggregator.state() != KafkaStreams.State.RUNNING) {
          Thread.sleep(100);
        }
        Thread reader = Thread.ofPlatform().name("partition-collector").start(collector);
        Workload workload = new Workload(11, 40);
        int seconds = warmup + Arrays.stream(cuts).map(c -> c + gap).sum();
        long total = (long) rate * seconds;
        // The schedule: [start, end) of each partition, in seconds from the start of the load
        int[][] schedule = new int[cuts.length][2];
        int at = warmup;
        for (int i = 0; i < cuts.length; i++) {
          schedule[i] = new int[] {at, at + cuts[i]};
          at += cuts[i] + gap;
        }
        int next = 0;
        boolean partitioned = false;
        loadStart = Instant.now();
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 1_000_000) {
            Thread.sleep(wait / 1_000_000);
          }
          double second = (System.nanoTime() - start) / 1e9;
          if (!partitioned && next < schedule.length && second >= schedule[next][0]) {
            proxy.mode(mode);
            partitioned = true;
            windows.add(new Instant[] {Instant.now(), null});
            LOG.info("{} partitioned from the broker ({}) for {} s", victim, mode, cuts[next]);
          } else if (partitioned && second >= schedule[next][1]) {
            proxy.mode(TcpProxy.Mode.PASS);
            partitioned = false;
            windows.get(next)[1] = Instant.now();
            LOG.info("{}'s network healed", victim);
            next++;
          }
          InferenceRequest request = workload.next(i);
          request.setRequestId("partition-" + i);
          producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
              topics.requests().serializeValue(request)));
        }
        if (partitioned) {
          proxy.mode(TcpProxy.Mode.PASS);
          windows.get(next)[1] = Instant.now();
        }
        producer.flush();
        sent = (int) total;
        long deadline = System.currentTimeMillis() + 300_000;
        while (collector.uniqueResults() < sent && System.currentTimeMillis() < deadline) {
          Thread.sleep(500);
        }
        long totalsDeadline = System.currentTimeMillis() + 60_000;
        while (!collector.totalsCaughtUp() && System.currentTimeMillis() < totalsDeadline) {
          Thread.sleep(500);
        }
        collector.stop();
        reader.join();
        victimRunning = switch (victim) {
          case "worker" -> worker.isRunning();
          case "router" -> router.state() == KafkaStreams.State.RUNNING;
          default -> aggregator.state() == KafkaStreams.State.RUNNING;
        };
      }
      int window = (int) Duration.between(loadStart, Instant.now()).toSeconds() + 1;
      // What the victim writes: its first committed output after each heal says when it was back
      String output = switch (victim) {
        case "worker" -> topics.results().name();
        case "router" -> topics.routed().name();
        default -> topics.usageTotals().name();
      };
      int[] perSecond = collector.perSecond(topics.results().name(), loadStart, window);
      System.out.println();
      System.out.printf(Locale.ROOT, "PartitionBenchmark: %s partitioned from the broker (%s) for %s s, %d s apart; "
          + "%,d requests/s%n", victim, mode, options.string("partitions-s"), gap, rate);
      System.out.print(collector.deliveries(sent));
      for (int i = 0; i < windows.size(); i++) {
        int from = (int) Duration.between(loadStart, windows.get(i)[0]).toSeconds();
        int healed = (int) Duration.between(loadStart, windows.get(i)[1]).toSeconds();
        int to = i + 1 < windows.size() ? (int) Duration.between(loadStart, windows.get(i + 1)[0]).toSeconds()
            : perSecond.length;
        BrokerFailureBenchmark.Dip dip = BrokerFailureBenchmark.Dip.of(perSecond, from, to, rate);
        Instant firstOutput = collector.firstAfter(output, windows.get(i)[1]);
        System.out.printf(Locale.ROOT, "partition %d (%d s, from %d s to %d s): the %s's first committed output (%s)"
            + " %s after the network healed%n", i + 1, cuts[i], from, healed, victim, output, firstOutput == null
            ? "NEVER" : Duration.between(windows.get(i)[1], firstOutput).toMillis() + " ms");
        System.out.printf(Locale.ROOT, "partition %d: %s%n", i + 1, dip.below() < 0
            ? "results/s never below 90% of the rate"
            : String.format(Locale.ROOT, "results/s below 90%% from %d s, lowest %,d; %s", dip.below(),
                    dip.lowest(), dip.recovered() < 0 ? "NOT back at 90% before the next partition"
                        : String.format(Locale.ROOT, "back at 90%% at %d s, %d s after the network healed",
                            dip.recovered(), dip.recovered() - healed)));
      }
      System.out.println("results per second: " + Arrays.toString(perSecond));
      broken.addAll(collector.violations(sent, List.of()));
      if (!victimRunning) {
        broken.add("the " + victim + " stopped after the partition instead of reconnecting");
      }
    }
    System.out.println(broken.isEmpty() ? "every invariant held" : "FAILED: " + String.join("; ", broken));
    return broken;
  }

  private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
    Map<String, String> out = new HashMap<>(a);
    out.putAll(b);
    return out;
  }

  private static Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }
}
