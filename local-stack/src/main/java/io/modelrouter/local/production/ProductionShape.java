package io.modelrouter.local.production;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.TcpProxy;
import io.modelrouter.local.ConsoleSummary;
import io.modelrouter.local.DemoWorkload;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * docker-compose.yml's topology run as processes, for machines without a Docker engine: each Kafka service
 * ({@link ComposeKafkaNode}), the registry ({@link ComposeSchemaRegistry}, standing in for Confluent's image) and
 * every model-router service twice (budget-service once: it is a single writer by design), each a JVM given exactly
 * the environment its container gets, read from the compose file itself, then the demo workload.
 *
 * <p>What a process on a shared host must be given differently from a container, and nothing else ({@link #plan}):
 * <ul>
 *   <li><b>addresses</b>: {@code <service>:<port>} (and a listener's {@code :<port>}, {@code 0.0.0.0:<port>}) becomes
 *       {@code localhost:<host port>}: the port the compose file publishes it on, else
 *       {@value #PORT_BASE} + 100 × the service's place in the file + the port's last two digits;
 *   <li><b>volumes</b>: a path a named volume is mounted at becomes a directory under the data directory;
 *   <li><b>per instance</b> (a container has its own filesystem, network namespace and hostname): the Streams state
 *       directory, the metrics port (and budget-service's HTTP port) from the second instance on, and the worker's
 *       instance id, which defaults to {@code worker-<hostname>};
 *   <li><b>the shell</b>: the variables compose interpolates ({@code BUDGET_ADMIN_TOKEN}, generated when unset;
 *       {@code MR_WORKER_SIMULATE}, {@code auto} when unset, so that a machine without provider keys simulates them),
 *       and {@code .env} where it exists.
 * </ul>
 * {@code ProductionShapeTest} fails when a process's environment differs from its container's in anything else.
 *
 * <pre>bin/production-shape [--seconds N] [--data-dir DIR]</pre>
 */
public final class ProductionShape {
  static final int PORT_BASE = 20_000;
  private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");
  private static final Pattern ADDRESS = Pattern.compile("(//|@|^|,)([a-z0-9.-]*):(\\d{2,5})");
  /** Metrics ports by service type (the services' defaults), the setting that moves them, and the state directory. */
  private static final Map<String, String[]> PER_INSTANCE = Map.of(
      "io.modelrouter.router.RouterMain", new String[] {"9401", "MR_ROUTER_METRICS_PORT", "MR_ROUTER_STATE_DIR"},
      "io.modelrouter.worker.WorkerMain", new String[] {"9402", "MR_WORKER_METRICS_PORT", null},
      "io.modelrouter.aggregator.AggregatorMain",
      new String[] {"9403", "MR_AGGREGATOR_METRICS_PORT", "MR_AGGREGATOR_STATE_DIR"},
      "io.modelrouter.router.learning.LearnerMain",
      new String[] {"9404", "MR_LEARNER_METRICS_PORT", "MR_LEARNER_STATE_DIR"},
      "io.modelrouter.budget.BudgetServiceMain", new String[] {"8080", "MR_BUDGET_HTTP_PORT", null});

  /** One process of the shape: its name, the compose service it stands for, its main class and environment. */
  public record Proc(String name, String service, String mainClass, Map<String, String> environment) {}

  private ProductionShape() {}

  static JsonNode read(Path composeFile) {
    try {
      return new ObjectMapper(new YAMLFactory()).readTree(Files.readString(composeFile));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + composeFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * The processes for this compose file, in start order (Kafka, the registry, the services).
   *
   * @param shell the variables compose would interpolate from the shell
   * @param dotEnv the {@code .env} file's variables (given to services with {@code env_file: .env})
   */
  static List<Proc> plan(JsonNode compose, Path data, Map<String, String> shell, Map<String, String> dotEnv,
      int instances) {
    List<String> names = new ArrayList<>();
    compose.path("services").fieldNames().forEachRemaining(names::add);
    Map<String, Map<Integer, Integer>> published = new LinkedHashMap<>();
    Map<String, Path> volumes = new TreeMap<>();
    for (String name : names) {
      JsonNode service = compose.path("services").path(name);
      Map<Integer, Integer> ports = new LinkedHashMap<>();
      for (JsonNode port : service.path("ports")) {
        String[] parts = port.asText().split(":");
        ports.put(Integer.parseInt(parts[parts.length - 1]), Integer.parseInt(parts[parts.length - 2]));
      }
      published.put(name, ports);
      for (JsonNode volume : service.path("volumes")) {
        String[] parts = volume.asText().split(":");
        if (compose.path("volumes").has(parts[0])) {
          volumes.put(name + "|" + parts[1], data.resolve(parts[0]));
        }
      }
    }
    List<Proc> kafka = new ArrayList<>();
    List<Proc> registry = new ArrayList<>();
    List<Proc> services = new ArrayList<>();
    for (String name : names) {
      JsonNode service = compose.path("services").path(name);
      if (service.has("profiles")) {
        continue; // optional containers (monitoring), not part of the shape
      }
      Map<String, String> env = new TreeMap<>();
      for (JsonNode file : service.path("env_file")) {
        if (file.path("path").asText(file.asText()).equals(".env")) {
          env.putAll(dotEnv);
        }
      }
      service.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
      Map<String, String> mapped = new TreeMap<>();
      env.forEach((key, value) -> mapped.put(key, map(interpolate(value, shell), name, names, published, volumes)));
      String image = service.path("image").asText("");
      String main = service.path("build").path("args").path("MAIN_CLASS").asText(null);
      if (image.startsWith("apache/kafka")) {
        kafka.add(new Proc(name, name, ComposeKafkaNode.class.getName(), mapped));
      } else if (image.contains("schema-registry")) {
        registry.add(new Proc(name, name, ComposeSchemaRegistry.class.getName(), mapped));
      } else if (main != null) {
        int count = main.equals("io.modelrouter.budget.BudgetServiceMain") ? 1 : instances;
        for (int i = 1; i <= count; i++) {
          services.add(new Proc(name + "-" + i, name, main, perInstance(mapped, main, name, i, data)));
        }
      }
    }
    List<Proc> all = new ArrayList<>(kafka);
    all.addAll(registry);
    all.addAll(services);
    return all;
  }

  /** What a container has of its own and a process on a shared host must be given. */
  static Map<String, String> perInstance(Map<String, String> env, String main, String service, int instance,
      Path data) {
    Map<String, String> out = new TreeMap<>(env);
    String[] own = PER_INSTANCE.get(main);
    if (own == null) {
      return out;
    }
    if (instance > 1) {
      int port = Integer.parseInt(env.getOrDefault(own[1], own[0]));
      out.put(own[1], Integer.toString(port + 10 * (instance - 1)));
    }
    if (own[2] != null) {
      out.put(own[2], data.resolve(service + "-" + instance).resolve("state").toString());
    }
    if (main.equals("io.modelrouter.worker.WorkerMain")) {
      out.put("MR_WORKER_INSTANCE_ID", "worker-model-router-" + service + "-" + instance);
    }
    return out;
  }

  /** Compose's interpolation: {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR:?error}}. */
  static String interpolate(String value, Map<String, String> shell) {
    Matcher m = INTERPOLATION.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String set = shell.get(m.group(1));
      String operator = m.group(2);
      // with a colon, an empty value counts as unset
      boolean unset = set == null || operator != null && operator.startsWith(":") && set.isEmpty();
      String replacement;
      if (!unset || operator == null) {
        replacement = set == null ? "" : set;
      } else if (operator.endsWith("-")) {
        replacement = m.group(3);
      } else {
        throw new IllegalArgumentException(m.group(1) + ": " + m.group(3));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A container's addresses and volume paths as a process on this host sees them. */
  static String map(String value, String self, List<String> names, Map<String, Map<Integer, Integer>> published,
      Map<String, Path> volumes) {
    Path volume = volumes.get(self + "|" + value);
    if (volume != null) {
      return volume.toString();
    }
    Matcher m = ADDRESS.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String host = m.group(2);
      int port = Integer.parseInt(m.group(3));
      String replacement;
      if (names.contains(host)) {
        replacement = m.group(1) + "localhost:" + hostPort(host, port, names, published);
      } else if (host.isEmpty() || host.equals("0.0.0.0")) {
        replacement = m.group(1) + host + ":" + hostPort(self, port, names, published);
      } else {
        replacement = m.group();
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  static int hostPort(String service, int port, List<String> names, Map<String, Map<Integer, Integer>> published) {
    Integer host = published.getOrDefault(service, Map.of()).get(port);
    return host != null ? host : PORT_BASE + 100 * (names.indexOf(service) + 1) + port % 100;
  }

  /**
   * The plan with a network path that can be partitioned between each victim and the brokers ({@code --fault drop}
   * or {@code cut}): every broker gets one more listener per victim, {@code VICTIM<v>} on {@value #PORT_BASE} + 100 ×
   * its place + 50 + v, advertised at a {@link TcpProxy} on that port + 20; the victim bootstraps through its
   * proxies, so every connection it makes to a broker (metadata names the listener it came in on) crosses them.
   * Nothing else changes: the other processes, and the victims' other variables, are the containers'.
   */
  static List<Proc> partitioned(List<Proc> plan, List<String> victims) {
    List<Proc> out = new ArrayList<>();
    List<Proc> brokers = brokers(plan);
    for (Proc proc : plan) {
      Map<String, String> env = new TreeMap<>(proc.environment());
      int broker = brokers.indexOf(proc);
      if (broker >= 0) {
        for (int v = 0; v < victims.size(); v++) {
          env.merge("KAFKA_LISTENERS", "VICTIM" + v + "://:" + victimListenerPort(broker, v), (a, b) -> a + "," + b);
          env.merge("KAFKA_ADVERTISED_LISTENERS", "VICTIM" + v + "://localhost:" + victimProxyPort(broker, v),
              (a, b) -> a + "," + b);
          env.merge("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "VICTIM" + v + ":PLAINTEXT", (a, b) -> a + "," + b);
        }
      }
      int v = victims.indexOf(proc.name());
      if (v >= 0 && env.containsKey("MR_KAFKA_BOOTSTRAP_SERVERS")) {
        List<String> through = new ArrayList<>();
        for (int b = 0; b < brokers.size(); b++) {
          through.add("localhost:" + victimProxyPort(b, v));
        }
        env.put("MR_KAFKA_BOOTSTRAP_SERVERS", String.join(",", through));
      }
      out.add(new Proc(proc.name(), proc.service(), proc.mainClass(), env));
    }
    return out;
  }

  /** The plan's Kafka nodes, in start order. */
  static List<Proc> brokers(List<Proc> plan) {
    return plan.stream().filter(p -> p.mainClass().equals(ComposeKafkaNode.class.getName())).toList();
  }

  static int victimListenerPort(int broker, int victim) {
    return PORT_BASE + 100 * (broker + 1) + 50 + victim;
  }

  static int victimProxyPort(int broker, int victim) {
    return victimListenerPort(broker, victim) + 20;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>(Map.of("--seconds", "0", "--data-dir", ".production-shape",
        "--instances", "2", "--rate", "20", "--kill-every", "0", "--victims",
        "router-1,worker-1,usage-aggregator-1", "--fault", "kill", "--down-s", "5", "--warmup-s", "60"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!options.containsKey(args[i])) {
        throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + options.keySet());
      }
      options.put(args[i], args[i + 1]);
    }
    Path data = Path.of(options.get("--data-dir")).toAbsolutePath();
    Files.createDirectories(data.resolve("logs"));
    Map<String, String> shell = new LinkedHashMap<>(System.getenv());
    shell.putIfAbsent("BUDGET_ADMIN_TOKEN", HexFormat.of().formatHex(new SecureRandom().generateSeed(24)));
    shell.putIfAbsent("MR_WORKER_SIMULATE", "auto");
    Path dotEnvFile = Path.of(".env");
    Map<String, String> dotEnv = new LinkedHashMap<>();
    if (Files.isRegularFile(dotEnvFile)) {
      for (String line : Files.readAllLines(dotEnvFile)) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("#")) {
          dotEnv.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
      }
    }
    List<Proc> composed = plan(read(Path.of("docker-compose.yml")), data, shell, dotEnv,
        Integer.parseInt(options.get("--instances")));
    String fault = options.get("--fault");
    if (!Set.of("kill", "freeze", "drop", "cut").contains(fault)) {
      throw new IllegalArgumentException("--fault: kill, freeze, drop or cut, not " + fault);
    }
    List<String> victims = List.of(options.get("--victims").split(","));
    for (String victim : victims) {
      if (composed.stream().noneMatch(p -> p.name().equals(victim))) {
        throw new IllegalArgumentException("--victims: no process " + victim + "; there are "
            + composed.stream().map(Proc::name).toList());
      }
    }
    boolean partition = fault.equals("drop") || fault.equals("cut");
    if (partition && victims.stream().anyMatch(v -> v.startsWith("kafka") || v.equals("schema-registry"))) {
      throw new IllegalArgumentException("--fault " + fault + " partitions a service from the brokers: the victims "
          + "must be services, not " + victims);
    }
    List<Proc> plan = partition ? partitioned(composed, victims) : composed;
    List<Proc> brokers = brokers(plan);
    // one proxy per victim and broker, in this process (the network between them); started before the brokers
    Map<String, List<TcpProxy>> paths = new LinkedHashMap<>();
    if (partition) {
      for (int v = 0; v < victims.size(); v++) {
        List<TcpProxy> proxies = new ArrayList<>();
        for (int b = 0; b < brokers.size(); b++) {
          proxies.add(TcpProxy.start("localhost", victimListenerPort(b, v), victimProxyPort(b, v)));
        }
        paths.put(victims.get(v), proxies);
      }
    }
    List<Process> running = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> index = new java.util.concurrent.ConcurrentHashMap<>();
    // Processes this launcher stopped on purpose (a kill, then a start after --down-s): the restart policy leaves them
    Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopping.set(true);
      stopAll(running);
    }));
    Instant started = Instant.now();
    // Where the launcher itself connects: the brokers' EXTERNAL listeners, the services' registry, budget-service
    String bootstrap = brokers.stream().map(p -> {
      Matcher m = Pattern.compile("EXTERNAL://([^,]+)").matcher(p.environment().get("KAFKA_ADVERTISED_LISTENERS"));
      return m.find() ? m.group(1) : null;
    }).filter(java.util.Objects::nonNull).collect(java.util.stream.Collectors.joining(","));
    String registryUrl = plan.stream().map(p -> p.environment().get("MR_SCHEMA_REGISTRY_URL"))
        .filter(java.util.Objects::nonNull).findFirst().orElseThrow();
    URI budget = plan.stream().filter(p -> p.mainClass().equals("io.modelrouter.budget.BudgetServiceMain"))
        .map(p -> URI.create("http://localhost:" + p.environment().get("MR_BUDGET_HTTP_PORT"))).findFirst()
        .orElseThrow();
    boolean registryUp = false;
    for (Proc proc : plan) {
      if (proc.mainClass().equals(ComposeSchemaRegistry.class.getName())) {
        awaitBrokers(bootstrap, brokers.size());
      }
      if (proc.environment().containsKey("MR_KAFKA_BOOTSTRAP_SERVERS") && !registryUp) {
        awaitHttp(URI.create(registryUrl + "/subjects"), Duration.ofSeconds(120));
        registryUp = true;
      }
      index.put(proc.name(), running.size());
      running.add(start(proc, data));
    }
    restartPolicy(plan, running, index, held, stopping, data);
    System.out.printf("production shape: %d processes started in %d s (logs in %s)%n", plan.size(),
        Duration.between(started, Instant.now()).toSeconds(), data.resolve("logs"));
    for (Proc proc : plan) {
      System.out.printf("  %-22s %s%n", proc.name(), proc.mainClass());
    }
    awaitHttp(URI.create(budget + "/health"), Duration.ofSeconds(180));
    Settings settings = Settings.of(Map.of("kafka.bootstrap.servers", bootstrap, "schema.registry.url", registryUrl));
    Topics topics = CommonSettings.topics(settings);
    Map<String, Object> producer = new LinkedHashMap<>(CommonSettings.kafkaClientConfig(settings));
    Map<String, Object> consumer = new LinkedHashMap<>(CommonSettings.kafkaClientConfig(settings));
    consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    String token = shell.get("BUDGET_ADMIN_TOKEN");
    long measuredFrom = 0;
    try (DemoWorkload demo = new DemoWorkload(topics, producer, budget, token, DemoWorkload.Options.defaults()
            .withRequestsPerSecond(Double.parseDouble(options.get("--rate"))));
        ConsoleSummary summary = new ConsoleSummary(topics, consumer, DefaultPolicies.catalogById(), System.out,
            Duration.ofSeconds(10))) {
      demo.start();
      summary.start();
      // the demo sends from its first second, while the services still start: the backlog of the start drains first
      long warmup = Long.parseLong(options.get("--warmup-s"));
      measuredFrom = Instant.now().plusSeconds(warmup).toEpochMilli();
      long seconds = Long.parseLong(options.get("--seconds"));
      long killEvery = Long.parseLong(options.get("--kill-every"));
      long down = Long.parseLong(options.get("--down-s"));
      String what = switch (fault) {
        case "freeze" -> "SIGSTOP of a process every " + killEvery + " s, SIGCONT " + down + " s later";
        case "drop" -> "a network partition (packets dropped) between a service and the brokers every " + killEvery
            + " s, healed " + down + " s later";
        case "cut" -> "a network partition (connections reset) between a service and the brokers every " + killEvery
            + " s, healed " + down + " s later";
        default -> "kill -9 of a process every " + killEvery + " s, started again " + down + " s later";
      };
      System.out.println("demo workload running" + (seconds > 0 ? " for " + seconds + " s" : "; Ctrl-C stops it")
          + (killEvery > 0 ? "; " + what : ""));
      long end = seconds > 0 ? System.nanoTime() + seconds * 1_000_000_000L : Long.MAX_VALUE;
      if (warmup > 0) {
        System.out.printf("warm-up: %d s before the first fault; the final check's waits count the requests sent "
            + "after it%n", warmup);
        Thread.sleep(Math.max(0, Math.min(warmup * 1000, (end - System.nanoTime()) / 1_000_000)));
      }
      int kills = 0;
      while (System.nanoTime() < end) {
        Thread.sleep(killEvery > 0 ? Math.min(killEvery * 1000, Math.max(1, (end - System.nanoTime()) / 1_000_000))
            : Math.min(60_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        if (killEvery > 0 && System.nanoTime() < end - (down + 15) * 1_000_000_000L) {
          // each victim in turn (by default the first instance of router, worker, aggregator: its twin serves meanwhile)
          String name = victims.get(kills % victims.size());
          Proc victim = plan.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
          Process process = running.get(index.get(victim.name()));
          if (partition) {
            TcpProxy.Mode mode = fault.equals("drop") ? TcpProxy.Mode.DROP : TcpProxy.Mode.CUT;
            List<TcpProxy> path = paths.get(victim.name());
            path.forEach(proxy -> proxy.mode(mode));
            long before = path.stream().mapToLong(TcpProxy::forwarded).sum();
            System.out.printf("%s: partition %s from the brokers (%s; %,d bytes crossed its path so far)%n",
                Instant.now(), victim.name(), fault, before);
            Thread.sleep(down * 1000);
            long during = path.stream().mapToLong(TcpProxy::forwarded).sum() - before;
            path.forEach(proxy -> proxy.mode(TcpProxy.Mode.PASS));
            System.out.printf("%s: partition of %s healed (%,d bytes crossed during it)%n", Instant.now(),
                victim.name(), during);
          } else if (fault.equals("freeze")) {
            // a process that answers nothing, its connections open: what a network partition looks like to the broker
            signal("STOP", process);
            System.out.printf("%s: SIGSTOP %s%n", Instant.now(), victim.name());
            Thread.sleep(down * 1000);
            signal("CONT", process);
            System.out.printf("%s: SIGCONT %s%n", Instant.now(), victim.name());
          } else {
            held.add(victim.name());
            process.destroyForcibly().waitFor();
            System.out.printf("%s: kill -9 %s%n", Instant.now(), victim.name());
            Thread.sleep(down * 1000);
            running.set(index.get(victim.name()), start(victim, data));
            held.remove(victim.name());
            System.out.printf("%s: %s started again%n", Instant.now(), victim.name());
          }
          kills++;
        }
      }
      demo.close();
    }
    stopping.set(true);
    paths.forEach((name, path) -> System.out.printf("%s's path to the brokers carried %,d bytes in all%n", name,
        path.stream().mapToLong(TcpProxy::forwarded).sum()));
    Verdict verdict = Verdict.read(bootstrap, registryUrl, Duration.ofSeconds(60), measuredFrom);
    System.out.println(verdict);
    if (!verdict.held()) {
      System.exit(1);
    }
  }

  /**
   * Every service of the compose file has {@code restart: unless-stopped}: Docker starts a container again when its
   * process exits (a worker that finds itself fenced exits for that). The same here, checked every second, for every
   * process this launcher did not stop itself.
   */
  private static void restartPolicy(List<Proc> plan, List<Process> running, Map<String, Integer> index,
      Set<String> held, java.util.concurrent.atomic.AtomicBoolean stopping, Path data) {
    Thread.ofPlatform().daemon().name("restart-policy").start(() -> {
      while (!stopping.get()) {
        try {
          Thread.sleep(1_000);
        } catch (InterruptedException e) {
          return;
        }
        for (Proc proc : plan) {
          Integer at = index.get(proc.name());
          if (at == null || held.contains(proc.name()) || stopping.get()) {
            continue;
          }
          Process process = running.get(at);
          if (!process.isAlive()) {
            try {
              running.set(at, start(proc, data));
              System.out.printf("%s: %s exited (status %d); started again (restart: unless-stopped)%n",
                  Instant.now(), proc.name(), process.exitValue());
            } catch (IOException e) {
              System.out.printf("%s: %s exited and could not be started again: %s%n", Instant.now(), proc.name(), e);
            }
          }
        }
      }
    });
  }

  private static Process start(Proc proc, Path data) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        proc.mainClass().equals(ComposeKafkaNode.class.getName()) ? "-Xmx1g" : "-Xmx512m", "-XX:+UseSerialGC"));
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), proc.mainClass()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("logs").resolve(proc.name() + ".log").toFile()));
    builder.environment().keySet().removeIf(key -> key.startsWith("MR_") || key.startsWith("KAFKA_")
        || key.startsWith("SCHEMA_REGISTRY_") || key.equals("CLUSTER_ID"));
    builder.environment().putAll(proc.environment());
    return builder.start();
  }

  private static void signal(String signal, Process process) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  private static void stopAll(List<Process> running) {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).destroy();
    }
    for (Process process : running) {
      try {
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void awaitBrokers(String bootstrap, int brokers) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(180);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      while (true) {
        try {
          if (admin.describeCluster().nodes().get().size() >= brokers) {
            return;
          }
        } catch (Exception e) {
          // not up yet
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(brokers + " brokers not up at " + bootstrap + " within 180 s");
        }
        Thread.sleep(500);
      }
    }
  }

  private static void awaitHttp(URI uri, Duration timeout) throws InterruptedException {
    HttpClient client = HttpClient.newHttpClient();
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      try {
        if (client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException(uri + " did not answer 200 within " + timeout);
      }
      Thread.sleep(500);
    }
  }
}
