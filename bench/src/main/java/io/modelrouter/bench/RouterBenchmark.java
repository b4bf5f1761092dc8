package io.modelrouter.bench;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.router.RouterTopology;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routed requests per second against a pass-through Kafka Streams app: same broker (in this JVM), same records,
 * same partitions, same exactly_once_v2 settings, alternating rounds in one run so that machine noise hits both.
 *
 * <pre>bench/run RouterBenchmark --requests 400000 --rounds 3</pre>
 *
 * <p>{@code --content alternate} compares plain-text requests with issue 14's mix (20% with tools, 10% with an
 * image) instead, router against router: {@code bench/run RouterBenchmark --content alternate --requests 200000}.
 */
public final class RouterBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(RouterBenchmark.class);

  private RouterBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("requests", "400000", "rounds", "3", "partitions", "8",
        "threads", "2", "teams", "200", "strategy", "hybrid", "content", "plain", "model", "embedding"));
    LOG.info("router benchmark {}", options);
    Path data = Files.createTempDirectory("router-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      int partitions = options.integer("partitions");
      TopicAdmin.ensureTopics(admin, topics.all(), partitions, (short) 1, Duration.ofSeconds(30));
      TopicAdmin.createAndAwait(admin, List.of(new NewTopic("bench.passthrough", partitions, (short) 1)),
          Duration.ofSeconds(30));
      int n = options.integer("requests");
      String content = options.string("content");
      if (content.equals("alternate")) {
        alternateContent(options, kafka.bootstrapServers(), registry.url(), admin, topics, data);
        return;
      }
      produce(kafka.bootstrapServers(), topics, n, options.integer("teams"), content.equals("mixed"));

      Settings settings = Settings.of(Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
          "schema.registry.url", registry.url(), "router.threads", options.string("threads"),
          "router.state.dir", data.toString()));
      if (options.string("strategy").equalsIgnoreCase("learned")) {
        // as the router service does at start (router.learned.preload): not inside the first round's transactions
        long loading = System.nanoTime();
        if (options.string("model").equals(RoutingEngine.LEXICAL)) {
          io.modelrouter.router.learned.LexicalTierModel.shipped();
        } else {
          LearnedRouter.shipped().model(null);
        }
        LOG.info("learned model loaded in {} ms", (System.nanoTime() - loading) / 1_000_000);
      }
      List<Double> passRates = new ArrayList<>();
      List<Double> routerRates = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      for (int round = 1; round <= options.integer("rounds"); round++) {
        StreamsRun.Result pass = StreamsRun.measure(passThrough(topics), props(settings, "bench-pass-" + round),
            admin, topics.requests().name(), Duration.ofMinutes(10));
        // every round reads the same prompts: the learned model's embedding cache must not carry them over
        LearnedRouter.shipped().forgetEmbeddings();
        RoutingPolicy policy = policy(options);
        StreamsRun.Result router = StreamsRun.measure(RouterTopology.buildTopology(topics, policy,
            DefaultPolicies.catalogById(), RouterTopology.DEFAULT_ADMISSION),
            props(settings, "bench-router-" + round), admin, topics.requests().name(), Duration.ofMinutes(10));
        passRates.add(pass.recordsPerSecond());
        routerRates.add(router.recordsPerSecond());
        String line = String.format(Locale.ROOT, "round %d: pass-through %,.0f rec/s (%.1f µs CPU/rec), "
            + "router %,.0f req/s (%.1f µs CPU/req), ratio %.2f", round, pass.recordsPerSecond(),
            pass.cpuMicrosPerRecord(), router.recordsPerSecond(), router.cpuMicrosPerRecord(),
            router.recordsPerSecond() / pass.recordsPerSecond());
        lines.add(line);
        LOG.info(line);
      }
      List<Double> ratios = new ArrayList<>();
      for (int i = 0; i < passRates.size(); i++) {
        ratios.add(routerRates.get(i) / passRates.get(i));
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "RouterBenchmark: %,d requests, %d partitions, %s stream threads, exactly_once_v2, "
          + "%s strategy%n", n, partitions, options.string("threads"), options.string("strategy"));
      lines.forEach(System.out::println);
      System.out.printf(Locale.ROOT, "median: pass-through %,.0f rec/s, router %,.0f req/s, ratio %.2f (median of "
          + "per-round ratios)%n", median(passRates), median(routerRates), median(ratios));
    }
  }

  private static Properties props(Settings settings, String applicationId) {
    Properties props = new RouterConfig(settings.with("router.application.id", applicationId)).streamsProperties();
    props.put("auto.offset.reset", "earliest");
    return props;
  }

  private static Topology passThrough(Topics topics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topics.requests().name(), Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .to("bench.passthrough", Produced.with(Serdes.String(), Serdes.ByteArray()));
    return builder.build();
  }

  /**
   * {@code --content alternate}: the same requests twice, plain text and with issue 14's mix (20% with two tools,
   * 10% with an 800 x 600 PNG), routed in alternating rounds; the ratio of their rates per round.
   */
  private static void alternateContent(BenchArgs options, String bootstrap, String registryUrl, Admin admin,
      Topics plain, Path data) throws Exception {
    int partitions = options.integer("partitions");
    int n = options.integer("requests");
    Topics mixed = Topics.create(TopicsConfig.builder().prefix("mixed.").serde(AvroSerdeConfig.forUrl(registryUrl))
        .build());
    TopicAdmin.ensureTopics(admin, mixed.all(), partitions, (short) 1, Duration.ofSeconds(30));
    produce(bootstrap, plain, n, options.integer("teams"), false);
    produce(bootstrap, mixed, n, options.integer("teams"), true);
    Settings settings = Settings.of(Map.of("kafka.bootstrap.servers", bootstrap, "schema.registry.url", registryUrl,
        "router.threads", options.string("threads"), "router.state.dir", data.toString()));
    RoutingPolicy policy = policy(options);
    List<Double> plainRates = new ArrayList<>();
    List<Double> mixedRates = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    for (int round = 1; round <= options.integer("rounds"); round++) {
      LearnedRouter.shipped().forgetEmbeddings();
      StreamsRun.Result p = StreamsRun.measure(RouterTopology.buildTopology(plain, policy,
          DefaultPolicies.catalogById(), RouterTopology.DEFAULT_ADMISSION), props(settings, "bench-plain-" + round),
          admin, plain.requests().name(), Duration.ofMinutes(10));
      LearnedRouter.shipped().forgetEmbeddings();
      StreamsRun.Result m = StreamsRun.measure(RouterTopology.buildTopology(mixed, policy,
          DefaultPolicies.catalogById(), RouterTopology.DEFAULT_ADMISSION), props(settings, "bench-mixed-" + round),
          admin, mixed.requests().name(), Duration.ofMinutes(10));
      plainRates.add(p.recordsPerSecond());
      mixedRates.add(m.recordsPerSecond());
      String line = String.format(Locale.ROOT, "round %d: plain %,.0f req/s (%.1f µs CPU/req), 20%% tools + 10%% "
          + "images %,.0f req/s (%.1f µs CPU/req), ratio %.2f", round, p.recordsPerSecond(), p.cpuMicrosPerRecord(),
          m.recordsPerSecond(), m.cpuMicrosPerRecord(), m.recordsPerSecond() / p.recordsPerSecond());
      lines.add(line);
      LOG.info(line);
    }
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < plainRates.size(); i++) {
      ratios.add(mixedRates.get(i) / plainRates.get(i));
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "RouterBenchmark --content alternate: %,d requests each, %d partitions, %s stream "
        + "threads, exactly_once_v2, %s strategy%n", n, partitions, options.string("threads"),
        options.string("strategy"));
    lines.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "median: plain %,.0f req/s, mixed %,.0f req/s, ratio %.2f (median of per-round "
        + "ratios)%n", median(plainRates), median(mixedRates), median(ratios));
  }

  private static void produce(String bootstrap, Topics topics, int n, int teams, boolean mixed) throws Exception {
    Workload workload = new Workload(42, teams, mixed);
    long started = System.nanoTime();
    long bytes = 0;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        InferenceRequest request = workload.next(i);
        byte[] value = topics.requests().serializeValue(request);
        bytes += value.length;
        producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(), value));
      }
      producer.flush();
    }
    LOG.info(String.format(Locale.ROOT, "produced %,d requests (%.0f bytes on average) in %.1f s", n,
        bytes / (double) n, (System.nanoTime() - started) / 1e9));
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int mid = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
  }

  /**
   * The shipped policy with the benchmark's strategy (and, for learned, its model: embedding at the schema's default
   * target 0.8, or lexical at the shipped policy's target).
   */
  private static RoutingPolicy policy(BenchArgs options) {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setStrategy(AutoStrategy.valueOf(options.string("strategy").toUpperCase(Locale.ROOT)));
    policy.getAuto().setModel(options.string("model"));
    if (options.string("model").equals(RoutingEngine.LEXICAL)) {
      policy.getAuto().setQualityTarget(DefaultPolicies.routingPolicy().getAuto().getQualityTarget());
    }
    return policy;
  }
}
