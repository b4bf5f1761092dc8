package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.aggregator.AggregatorTopology;
import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
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
 * Usage events/s through the usage aggregator ({@code AggregatorTopology}, exactly_once_v2, as configured by
 * default). {@code --events} usage events are produced to {@code llm.usage} first: {@code --teams} teams with a
 * daily and monthly budget, a share {@code --hot} of the events from one team (the burst case: one partition, one
 * team's windows), each team's events spread over {@code --sessions} sessions and four models, all within one day.
 * Then, each round, a fresh application id processes all of them from the start.
 *
 * <pre>bench/run AggregatorBenchmark --events 200000 --rounds 3</pre>
 */
public final class AggregatorBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorBenchmark.class);
  private static final List<String> MODELS = List.of("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5",
      "gpt-4.1-mini");
  private static final List<String> TASK_TYPES = List.of("research", "planning", "implementation", "review",
      "chat", "hooks", "documentationUpdate", "validation");

  private AggregatorBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("events", "200000", "rounds", "3", "partitions", "8",
        "teams", "50", "hot", "0.5", "sessions", "1000"));
    LOG.info("aggregator benchmark {}", options);
    Path data = Files.createTempDirectory("aggregator-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(kafka.bootstrapServers()).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
      int partitions = options.integer("partitions");
      TopicAdmin.ensureTopics(admin, topics.all(), partitions, (short) 1, Duration.ofSeconds(30));
      int n = options.integer("events");
      produce(kafka.bootstrapServers(), topics, options);

      List<Double> rates = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      for (int round = 1; round <= options.integer("rounds"); round++) {
        Settings settings = Settings.of(Map.of("kafka.bootstrap.servers", kafka.bootstrapServers(),
            "schema.registry.url", registry.url(), "aggregator.application.id", "bench-aggregator-" + round,
            "aggregator.state.dir", data.resolve("round-" + round).toString()));
        AggregatorConfig config = new AggregatorConfig(settings);
        Properties props = config.streamsProperties();
        props.put("auto.offset.reset", "earliest");
        StreamsRun.Result result = StreamsRun.measure(AggregatorTopology.buildTopology(config, topics), props, admin,
            topics.usage().name(), Duration.ofMinutes(20));
        rates.add(result.recordsPerSecond());
        String line = String.format(Locale.ROOT, "round %d: %,.0f usage events/s (%.1f µs CPU/event), %.1f s",
            round, result.recordsPerSecond(), result.cpuMicrosPerRecord(), result.elapsed().toMillis() / 1e3);
        lines.add(line);
        LOG.info(line);
      }
      System.out.println();
      System.out.printf(Locale.ROOT, "AggregatorBenchmark: %,d usage events (%s teams, %.0f%% from one team, %s "
              + "sessions per team), %d partitions, exactly_once_v2%n", n, options.string("teams"),
          options.decimal("hot") * 100, options.string("sessions"), partitions);
      lines.forEach(System.out::println);
      System.out.printf(Locale.ROOT, "median: %,.0f usage events/s%n", RouterBenchmark.median(rates));
    }
  }

  private static void produce(String bootstrap, Topics topics, BenchArgs options) throws Exception {
    int n = options.integer("events");
    int teams = options.integer("teams");
    double hot = options.decimal("hot");
    int sessions = options.integer("sessions");
    SplittableRandom random = new SplittableRandom(17);
    Instant day = Instant.now().minus(Duration.ofMinutes(30));
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 10,
        ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new ByteArraySerializer())) {
      for (int t = 0; t < teams; t++) {
        String team = "team-" + t;
        BudgetPolicy policy = BudgetPolicy.newBuilder().setTeamId(team).setVersion(1).setTimeZone("Europe/Berlin")
            .setDaily(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(2_000_000_000L)
                .setCostMicros(null).setAlertThresholds(List.of(0.5, 0.8)).setAction(BudgetActionType.PAUSE)
                .setEscalations(List.of()).build())
            .setMonthly(WindowBudget.newBuilder().setInputTokens(null).setOutputTokens(null)
                .setCostMicros(50_000_000_000L).setAlertThresholds(List.of(0.8)).setAction(BudgetActionType.RESTRICT)
                .setEscalations(List.of()).build())
            .setUpdatedAt(null).build();
        producer.send(new ProducerRecord<>(topics.budgetPolicies().name(), team,
            topics.budgetPolicies().serializeValue(policy)));
      }
      long started = System.nanoTime();
      for (int i = 0; i < n; i++) {
        String team = random.nextDouble() < hot ? "team-0" : "team-" + (1 + random.nextInt(Math.max(1, teams - 1)));
        String model = MODELS.get(random.nextInt(MODELS.size()));
        long output = 50 + random.nextInt(700);
        UsageEvent event = UsageEvent.newBuilder()
            .setEventId("e-" + i + "#1").setRequestId("e-" + i).setTeamId(team).setPipelineId("bench")
            .setSessionId("session-" + random.nextInt(sessions))
            .setTaskType(TASK_TYPES.get(random.nextInt(TASK_TYPES.size())))
            .setProvider("anthropic").setModel(model).setInputTokens(200 + random.nextInt(2_000))
            .setOutputTokens(output).setCachedInputTokens(0).setEstimated(false)
            .setCostMicros(output * 15).setCreditsMicros(output * 1_000).setLatencyMs(800)
            .setOutcome(AttemptOutcome.OK).setFinalCall(true).setSimulated(true)
            .setEventTime(day.plusMillis(i / 100)).build();
        producer.send(new ProducerRecord<>(topics.usage().name(), team, topics.usage().serializeValue(event)));
      }
      producer.flush();
      LOG.info(String.format(Locale.ROOT, "produced %,d usage events in %.1f s", n,
          (System.nanoTime() - started) / 1e9));
    }
  }
}
