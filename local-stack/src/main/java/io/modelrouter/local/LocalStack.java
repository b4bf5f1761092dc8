package io.modelrouter.local;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.budget.BudgetService;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.router.RouterService;
import io.modelrouter.router.learning.LearnerConfig;
import io.modelrouter.router.learning.LearnerService;
import io.modelrouter.runtime.MetricsServer;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.worker.WorkerConfig;
import io.modelrouter.worker.WorkerService;
import io.modelrouter.worker.provider.Provider;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM: the embedded KRaft broker and schema registry, budget-service (which creates the
 * topics and publishes the default routing policy and catalog), the usage aggregator, the router, the worker and,
 * unless turned off, the demo workload with a live console summary. Everything lives under the data directory, so
 * a restart carries on where the last run stopped. Ctrl-C stops it all, newest first.
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
  private static final Duration START_TIMEOUT = Duration.ofMinutes(2);
  private static final String TOKEN_FILE = "admin-token";

  private final Settings given;
  private final PrintStream console;
  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private Settings settings;
  private EmbeddedKafka kafka;
  private EmbeddedSchemaRegistry registry;
  private BudgetService budget;
  private WorkerService worker;
  private DemoWorkload demo;
  private DemoDecision demoDecision;
  private List<String> warnings = List.of();
  private Path tokenFile;
  private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();

  public LocalStack(Settings settings, PrintStream console) {
    this.given = settings;
    this.console = console;
  }

  public static void main(String[] args) throws InterruptedException {
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.print(LocalStackConfig.USAGE);
      return;
    }
    Settings settings;
    try {
      settings = LocalStackConfig.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    LocalStack stack = new LocalStack(settings, System.out);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nStopping the local stack ...");
      stack.close();
      stopped.countDown();
    }, "local-stack-shutdown"));
    try {
      stack.start();
    } catch (RuntimeException e) {
      LOG.error("the local stack could not start", e);
      System.err.println("The local stack could not start: " + e.getMessage());
      System.exit(1);
    }
    stopped.await();
  }

  /** Starts everything, prints where it is, and returns; {@link #close()} stops it. */
  public synchronized LocalStack start() {
    try {
      Path data = LocalStackConfig.dataDir(given);
      Files.createDirectories(data);
      console.println("Starting the model-router local stack (data in " + data + ") ...");
      kafka = started(EmbeddedKafka.builder().dataDirectory(data.resolve("kafka"))
          .port(given.get(LocalStackConfig.KAFKA_PORT)).controllerPort(given.get(LocalStackConfig.KAFKA_PORT) + 1)
          .build());
      registry = started(EmbeddedSchemaRegistry.builder(kafka.bootstrapServers())
          .port(given.get(LocalStackConfig.REGISTRY_PORT)).build());
      ServiceSettings resolved = serviceSettings(given, kafka.bootstrapServers(), registry.url(), data);
      warnings = resolved.warnings();
      warnings.forEach(LOG::warn);
      settings = withAdminToken(resolved.settings(), data);

      budget = started(new BudgetService(settings).start());
      AggregatorService aggregator = started(new AggregatorService(settings).start());
      RouterService router = started(new RouterService(settings).start());
      LearnerService learner = started(new LearnerService(settings).start());
      worker = started(new WorkerService(settings).start());
      metrics("router", RouterConfig.METRICS_PORT, router.registry(), router::health);
      metrics("worker", WorkerConfig.METRICS_PORT, worker.registry(), worker::health);
      metrics("aggregator", AggregatorConfig.METRICS_PORT, aggregator.registry(), aggregator::health);
      metrics("learner", LearnerConfig.METRICS_PORT, learner.registry(), learner::health);
      awaitRunning("router", router::state);
      awaitRunning("usage aggregator", aggregator::state);

      Topics topics = CommonSettings.topics(settings);
      demoDecision = DemoDecision.decide(LocalStackConfig.demoMode(settings), realProviders(),
          rate(settings.get(LocalStackConfig.DEMO_RATE)));
      if (!demoDecision.note().isEmpty()) {
        LOG.warn("demo workload {}", demoDecision.note());
      }
      if (demoDecision.run()) {
        demo = new DemoWorkload(topics, producerConfig(), URI.create("http://localhost:" + budget.port()),
            settings.get(BudgetServiceConfig.ADMIN_TOKEN), demoOptions(settings));
      }
      console.print(banner());
      started(new ConsoleSummary(topics, consumerConfig(), DefaultPolicies.catalogById(), console,
          settings.get(LocalStackConfig.SUMMARY_INTERVAL)).start());
      if (demo != null) {
        started(demo.start());
        double learningRate = settings.get(LocalStackConfig.LEARNING_RATE);
        if (learningRate > 0) {
          started(new LearningDemo(topics, producerConfig(), consumerConfig(),
              URI.create("http://localhost:" + budget.port()), settings.get(BudgetServiceConfig.ADMIN_TOKEN),
              learningRate, DefaultPolicies.catalogById(), console, settings.get(LocalStackConfig.SUMMARY_INTERVAL))
              .start());
        }
      }
      return this;
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("the data directory cannot be used: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * The demo's rate and teams, and the small team's budget sized with the output the simulated provider is
   * configured for, so that it reaches PAUSE in about the time the banner promises.
   */
  static DemoWorkload.Options demoOptions(Settings settings) {
    return DemoWorkload.Options.defaults()
        .withRequestsPerSecond(settings.get(LocalStackConfig.DEMO_RATE))
        .withTeams(settings.get(LocalStackConfig.DEMO_TEAMS))
        .withMeanOutputTokens(settings.get(WorkerConfig.SIM_OUTPUT_TOKENS));
  }

  /** The services' settings, and a warning for each of the user's settings the local stack overrides. */
  record ServiceSettings(Settings settings, List<String> warnings) {}

  /**
   * What every service gets: the user's settings, except that the embedded broker and registry always win (a
   * {@code MR_KAFKA_BOOTSTRAP_SERVERS} or {@code MR_SCHEMA_REGISTRY_URL} left in the shell would otherwise send the
   * services and the demo to another cluster while the banner shows the embedded addresses), and where not set,
   * state under the data directory, static membership ids (a restart rejoins at once) and fewer partitions.
   */
  static ServiceSettings serviceSettings(Settings given, String bootstrapServers, String registryUrl, Path data) {
    List<String> warnings = new ArrayList<>();
    Settings settings = given;
    Map<Setting<String>, String> embedded = new LinkedHashMap<>();
    embedded.put(CommonSettings.BOOTSTRAP_SERVERS, bootstrapServers);
    embedded.put(CommonSettings.SCHEMA_REGISTRY_URL, registryUrl);
    for (Map.Entry<Setting<String>, String> entry : embedded.entrySet()) {
      Setting<String> setting = entry.getKey();
      if (given.has(setting.key()) && !given.get(setting).strip().equals(entry.getValue())) {
        // The value is not repeated: a registry URL may carry credentials.
        warnings.add(setting.envVar() + " (" + setting.key() + ") is set but ignored: the local stack's services and "
            + "demo use the embedded " + (setting == CommonSettings.BOOTSTRAP_SERVERS ? "broker" : "schema registry")
            + " at " + entry.getValue() + ". Unset it, or move the embedded one with "
            + (setting == CommonSettings.BOOTSTRAP_SERVERS ? "--kafka-port" : "--registry-port") + ".");
      }
      settings = settings.with(setting.key(), entry.getValue());
    }
    Map<String, String> defaults = new LinkedHashMap<>();
    defaults.put(RouterConfig.STATE_DIR.key(), data.resolve("streams").resolve("router").toString());
    defaults.put(RouterConfig.INSTANCE_ID.key(), "local-router");
    defaults.put(AggregatorConfig.STATE_DIR.key(), data.resolve("streams").resolve("aggregator").toString());
    defaults.put(AggregatorConfig.INSTANCE_ID.key(), "local-aggregator");
    defaults.put(WorkerConfig.INSTANCE_ID.key(), "local-worker");
    defaults.put(LearnerConfig.STATE_DIR.key(), data.resolve("streams").resolve("learner").toString());
    // Eight partitions per topic are for scaling out; one JVM on a laptop is better served by fewer.
    defaults.put(CommonSettings.TOPIC_PARTITIONS.key(), "4");
    for (Map.Entry<String, String> entry : defaults.entrySet()) {
      if (!given.has(entry.getKey())) {
        settings = settings.with(entry.getKey(), entry.getValue());
      }
    }
    return new ServiceSettings(settings, List.copyOf(warnings));
  }

  /** The services' settings with budget-service's admin token: the user's, or one kept in the data directory. */
  private Settings withAdminToken(Settings settings, Path data) throws IOException {
    if (settings.get(BudgetServiceConfig.ADMIN_TOKEN) == null) {
      return settings.with(BudgetServiceConfig.ADMIN_TOKEN.key(), adminToken(data));
    }
    return settings;
  }

  /** The admin token of earlier runs (so the dashboard's saved token keeps working), or a new random one. */
  private String adminToken(Path data) throws IOException {
    tokenFile = data.resolve(TOKEN_FILE);
    if (Files.isRegularFile(tokenFile)) {
      String token = Files.readString(tokenFile).strip();
      if (!token.isEmpty()) {
        return token;
      }
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String token = HexFormat.of().formatHex(random);
    Files.writeString(tokenFile, token + "\n");
    try {
      Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system (Windows): the file keeps the directory's permissions.
    }
    return token;
  }

  private void metrics(String service, Setting<Integer> port, PrometheusMeterRegistry meters,
      Supplier<MetricsServer.Health> health) {
    int value = settings.get(port);
    if (value >= 0) {
      metricsPorts.put(service, started(new MetricsServer("localhost", value, meters, health)).port());
    }
  }

  private void awaitRunning(String name, Supplier<KafkaStreams.State> state) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (state.get() != KafkaStreams.State.RUNNING) {
      if (state.get() == KafkaStreams.State.ERROR || state.get() == KafkaStreams.State.NOT_RUNNING
          || System.nanoTime() > deadline) {
        throw new IllegalStateException("the " + name + " did not reach RUNNING within " + START_TIMEOUT.toSeconds()
            + " s (state " + state.get() + "); its log has the reason");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the " + name + " was starting", e);
      }
    }
  }

  private Map<String, Object> producerConfig() {
    Map<String, Object> config = new HashMap<>(CommonSettings.kafkaClientConfig(settings));
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return config;
  }

  private Map<String, Object> consumerConfig() {
    Map<String, Object> config = new HashMap<>(CommonSettings.kafkaClientConfig(settings));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return config;
  }

  private List<String> realProviders() {
    return worker.providers().values().stream().filter(p -> !p.simulated()).map(Provider::name).sorted().toList();
  }

  /** Where everything is, which providers are real, and how to use it. Never prints a key or a token. */
  String banner() {
    List<String> real = realProviders();
    List<String> simulated = worker.providers().values().stream().filter(Provider::simulated).map(Provider::name)
        .sorted().toList();
    StringBuilder out = new StringBuilder();
    out.append("\nmodel-router local stack is up\n");
    out.append(String.format("  %-18s %s%n", "Kafka", kafka.bootstrapServers()));
    out.append(String.format("  %-18s %s%n", "Schema registry", registry.url()));
    out.append(String.format("  %-18s http://localhost:%d/  (dashboard and HTTP API)%n", "budget-service",
        budget.port()));
    out.append(String.format("  %-18s %s%n", "admin token", tokenFile != null
        ? "in " + tokenFile + " (paste it into the dashboard; or set MR_BUDGET_ADMIN_TOKEN)"
        : "the one in MR_BUDGET_ADMIN_TOKEN"));
    if (!metricsPorts.isEmpty()) {
      out.append(String.format("  %-18s %s  (GET /metrics, /health)%n", "metrics", metricsPorts.entrySet().stream()
          .map(e -> e.getKey() + " :" + e.getValue()).collect(java.util.stream.Collectors.joining(", "))));
    }
    out.append(String.format("  %-18s real: %s; simulated: %s%n", "providers",
        real.isEmpty() ? "none" : String.join(", ", real), simulated.isEmpty() ? "none" : String.join(", ", simulated)));
    if (real.isEmpty()) {
      out.append(String.format("  %-18s every call goes to the simulated provider; set ANTHROPIC_API_KEY, "
          + "OPENAI_API_KEY or AWS credentials to call real models (the demo then runs only with --demo)%n", ""));
    }
    if (demo != null) {
      DemoWorkload.Team small = demo.teams().stream().filter(DemoWorkload.Team::smallBudget).findFirst()
          .orElseThrow();
      out.append(String.format("  %-18s %s requests/s from %s; %s has a daily budget of %,d output tokens "
              + "(NOTIFY -> RESTRICT -> PAUSE in about %d s%s; lift the pause with POST /teams/%s/budget/reset)%n",
          "demo", rate(demo.options().requestsPerSecond()), demo.teams().stream().map(DemoWorkload.Team::id)
              .toList(), small.id(), small.dailyOutputTokens(), DemoWorkload.SMALL_BUDGET_SECONDS,
          real.isEmpty() ? "" : " if the answers are as long as the simulator's", small.id()));
      if (settings.get(LocalStackConfig.LEARNING_RATE) > 0) {
        out.append(String.format("  %-18s %s requests/s from %s, routed by the learned strategy; its pipeline reports "
            + "each CI outcome as feedback, and the console shows its accuracy and cost as the router learns "
            + "(GET /teams/%s/learned-model lists the versions)%n", "learning demo",
            rate(settings.get(LocalStackConfig.LEARNING_RATE)), LearningDemo.TEAM, LearningDemo.TEAM));
      }
      if (!demoDecision.note().isEmpty()) {
        out.append(String.format("  %-18s %s%n", "", demoDecision.note()));
      }
    } else {
      out.append(String.format("  %-18s %s; produce to %s yourself%n", "demo", demoDecision.note(),
          CommonSettings.topics(settings).requests().name()));
    }
    for (String warning : warnings) {
      out.append("WARNING: ").append(warning).append('\n');
    }
    out.append("Logs go to the file in LOCAL_STACK_LOG (bin/local-stack: <data dir>/local-stack.log). Ctrl-C stops "
        + "everything; the data stays for the next start.\n\n");
    return out.toString();
  }

  private static String rate(double requestsPerSecond) {
    return new DecimalFormat("0.##", DecimalFormatSymbols.getInstance(Locale.ROOT)).format(requestsPerSecond);
  }

  /** budget-service's HTTP port. */
  public int httpPort() {
    return budget.port();
  }

  /** Each service's metrics and health port (GET /metrics, /health), by service name. */
  public Map<String, Integer> metricsPorts() {
    return Map.copyOf(metricsPorts);
  }

  /** The settings the services run with (the embedded broker's and registry's addresses among them). */
  public Settings settings() {
    return settings;
  }

  private <T extends AutoCloseable> T started(T service) {
    running.push(service);
    return service;
  }

  @Override
  public synchronized void close() {
    while (!running.isEmpty()) {
      AutoCloseable service = running.pop();
      try {
        service.close();
      } catch (Exception e) {
        LOG.warn("stopping {} failed: {}", service.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
