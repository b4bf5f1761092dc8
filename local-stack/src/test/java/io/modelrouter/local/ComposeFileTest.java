package io.modelrouter.local;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.worker.WorkerConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Keeps {@code docker-compose.yml}, {@code docker/Dockerfile} and {@code .env.example} consistent with the settings
 * the services declare. No Docker engine needed: it reads the files. Every failure names the compose service and
 * the variable.
 */
class ComposeFileTest {

  /**
   * What a model-router container runs, keyed by its main class: the module holding it, the settings it reads,
   * how it validates them, the setting of the port serving GET /health, and what it cannot run without.
   */
  private record ServiceSpec(String mainClass, String module, Supplier<List<Setting<?>>> settings,
      Function<Settings, ?> validate, String healthPortKey, boolean kafkaStreams, List<Setting<?>> required) {}

  private static final List<ServiceSpec> SPECS = List.of(
      new ServiceSpec("io.modelrouter.router.RouterMain", "router-service", RouterConfig::allSettings,
          RouterConfig::new, "router.metrics.port", true, List.of()),
      new ServiceSpec("io.modelrouter.worker.WorkerMain", "router-service", WorkerConfig::allSettings,
          WorkerConfig::new, "worker.metrics.port", false, List.of()),
      new ServiceSpec("io.modelrouter.aggregator.AggregatorMain", "usage-aggregator", AggregatorConfig::allSettings,
          AggregatorConfig::new, "aggregator.metrics.port", true, List.of()),
      new ServiceSpec("io.modelrouter.budget.BudgetServiceMain", "budget-service", BudgetServiceConfig::allSettings,
          BudgetServiceConfig::new, BudgetServiceConfig.HTTP_PORT.key(), false,
          List.of(BudgetServiceConfig.ADMIN_TOKEN, BudgetServiceConfig.HTTP_HOST)));

  /** Every service needs these set explicitly: the defaults (localhost, replication 1) are for a laptop. */
  private static final List<Setting<?>> REQUIRED_EVERYWHERE = List.of(CommonSettings.BOOTSTRAP_SERVERS,
      CommonSettings.SCHEMA_REGISTRY_URL, CommonSettings.TOPIC_REPLICATION);

  /** Credentials the worker reads besides providers.<name>.api.key[.file] (see worker.Providers). */
  private static final Set<String> VENDOR_KEY_VARIABLES = Set.of("ANTHROPIC_API_KEY", "OPENAI_API_KEY",
      "MOONSHOT_API_KEY");
  /** The AWS credential chain: Providers treats Bedrock as real when one of these is defined, even empty. */
  private static final Set<String> AWS_CREDENTIAL_VARIABLES = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN");
  private static final Set<String> AWS_OTHER_VARIABLES = Set.of("AWS_REGION", "AWS_DEFAULT_REGION");

  /** A value taken from the shell or .env at `docker compose` time: set, but unknown to this test. */
  private static final String FROM_SHELL = "value-from-the-shell";
  private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?}");
  private static final Pattern HEALTH_URL = Pattern.compile("https?://(?:localhost|127\\.0\\.0\\.1):(\\d+)/health\\b");

  private static Path root;
  private static JsonNode compose;
  private static Map<String, JsonNode> services;

  @BeforeAll
  static void readCompose() throws IOException {
    root = projectRoot();
    Path file = root.resolve("docker-compose.yml");
    assertTrue(Files.isRegularFile(file), "no docker-compose.yml in " + root);
    ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    compose = yaml.readTree(file.toFile());
    services = new TreeMap<>();
    compose.path("services").properties().forEach(e -> services.put(e.getKey(), e.getValue()));
    assertTrue(!services.isEmpty(), "docker-compose.yml defines no services");
  }

  /** The directory holding mvnw, found by walking up from the working directory (a module or the root). */
  private static Path projectRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mvnw"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no directory containing mvnw above " + Path.of("").toAbsolutePath());
  }

  // ------------------------------------------------------------------------------------------------ (a)

  /** Every MR_* variable a container gets is one its service reads; a worker-only key in the router fails. */
  @TestFactory
  Stream<DynamicTest> everyMrVariableIsReadByItsService() {
    return modelRouterServices().entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
      String service = entry.getKey();
      ServiceSpec spec = entry.getValue();
      Map<String, String> env = environment(services.get(service));
      List<Setting<?>> declared = spec.settings().get();
      Map<String, Setting<?>> plain = declared.stream().filter(s -> !s.isTemplate())
          .collect(Collectors.toMap(Setting::envVar, s -> s, (a, b) -> a));
      List<Setting<?>> templates = declared.stream().filter(Setting::isTemplate).toList();
      Set<String> clientConfigs = kafkaClientConfigNames(spec.kafkaStreams());
      List<String> providers = spec.mainClass().equals("io.modelrouter.worker.WorkerMain")
          ? providerNames(service, env) : List.of();
      List<String> problems = new ArrayList<>();
      for (Map.Entry<String, String> variable : env.entrySet()) {
        String name = variable.getKey();
        if (!name.startsWith("MR_") || name.equals(Settings.CONFIG_FILE_ENV)) {
          continue;
        }
        Setting<?> setting = plain.get(name);
        if (setting != null) {
          parses(service, setting, variable.getValue()).ifPresent(problems::add);
          continue;
        }
        Optional<String> templateName = templateName(templates, name);
        if (templateName.isPresent()) {
          if (!providers.contains(templateName.get())) {
            problems.add(service + ": " + name + " configures provider '" + templateName.get()
                + "', which is not in worker.providers " + providers + " (" + WorkerConfig.PROVIDERS.envVar()
                + "): the worker would ignore it");
          }
          continue;
        }
        if (name.startsWith("MR_KAFKA_")) {
          String clientKey = name.substring("MR_KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
          if (!clientConfigs.contains(clientKey)) {
            problems.add(service + ": " + name + " would pass '" + clientKey + "' to the Kafka clients of "
                + simpleName(spec.mainClass()) + ", which is not a Kafka client configuration");
          }
          continue;
        }
        problems.add(service + ": " + name + " is not read by " + simpleName(spec.mainClass())
            + " (no setting in its allSettings() has that variable" + nearest(name, plain.keySet()) + ")");
      }
      if (problems.isEmpty()) {
        try {
          spec.validate().apply(Settings.from(resolved(env), Map.of()));
        } catch (RuntimeException e) {
          problems.add(service + ": " + simpleName(spec.mainClass()) + " refuses its environment: " + e.getMessage());
        }
      }
      assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }));
  }

  // ------------------------------------------------------------------------------------------------ (b)

  /** Bootstrap servers, registry, replication and each service's own required settings are set, and point at
   * services that exist. */
  @TestFactory
  Stream<DynamicTest> requiredSettingsAreSet() {
    return modelRouterServices().entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
      String service = entry.getKey();
      ServiceSpec spec = entry.getValue();
      JsonNode node = services.get(service);
      Map<String, String> env = environment(node);
      List<String> problems = new ArrayList<>();
      List<Setting<?>> required = new ArrayList<>(REQUIRED_EVERYWHERE);
      required.addAll(spec.required());
      for (Setting<?> setting : required) {
        String value = env.get(setting.envVar());
        if (value == null || value.isBlank()) {
          problems.add(service + ": " + setting.envVar() + " (" + setting.key() + ") must be set");
        }
      }
      for (Setting<?> setting : spec.settings().get()) {
        String value = env.get(setting.envVar());
        if (setting.isSecret() && value != null && !value.isBlank() && !INTERPOLATION.matcher(value).find()) {
          problems.add(service + ": " + setting.envVar() + " is a secret written into docker-compose.yml; take it "
              + "from the shell instead (${VARIABLE})");
        }
      }
      List<String> brokers = brokerServices();
      Set<String> dependencies = dependsOn(node).keySet();
      String bootstrap = env.get(CommonSettings.BOOTSTRAP_SERVERS.envVar());
      if (bootstrap != null && !bootstrap.contains("${")) {
        for (String server : bootstrap.split(",")) {
          String hostPort = server.trim().replaceFirst("^[A-Za-z_]+://", "");
          String host = hostPort.substring(0, Math.max(0, hostPort.lastIndexOf(':')));
          if (!brokers.contains(host)) {
            problems.add(service + ": " + CommonSettings.BOOTSTRAP_SERVERS.envVar() + " names " + hostPort
                + ", which is not a broker service of docker-compose.yml " + brokers);
          } else if (!text(services.get(host), "environment", "KAFKA_ADVERTISED_LISTENERS").contains("//" + hostPort)) {
            problems.add(service + ": " + CommonSettings.BOOTSTRAP_SERVERS.envVar() + " names " + hostPort
                + ", which " + host + " does not advertise in KAFKA_ADVERTISED_LISTENERS");
          } else if (!dependencies.contains(host)) {
            problems.add(service + ": uses broker " + host + " but does not depend on it");
          }
        }
      }
      String registry = env.get(CommonSettings.SCHEMA_REGISTRY_URL.envVar());
      if (registry != null && !registry.contains("${")) {
        for (String url : registry.split(",")) {
          URI uri = URI.create(url.trim());
          JsonNode registryService = services.get(uri.getHost());
          if (registryService == null) {
            problems.add(service + ": " + CommonSettings.SCHEMA_REGISTRY_URL.envVar() + " names host "
                + uri.getHost() + ", which is not a service of docker-compose.yml");
          } else if (!text(registryService, "environment", "SCHEMA_REGISTRY_LISTENERS").contains(":" + uri.getPort())) {
            problems.add(service + ": " + CommonSettings.SCHEMA_REGISTRY_URL.envVar() + " uses port " + uri.getPort()
                + ", which is not in " + uri.getHost() + "'s SCHEMA_REGISTRY_LISTENERS");
          } else if (!dependencies.contains(uri.getHost())) {
            problems.add(service + ": uses the registry " + uri.getHost() + " but does not depend on it");
          }
        }
      }
      if (env.containsKey(CommonSettings.TOPIC_REPLICATION.envVar())) {
        int replication = effective(service, CommonSettings.TOPIC_REPLICATION);
        int minIsr = brokers.stream().mapToInt(b -> Integer.parseInt(
            textOr(services.get(b), "1", "environment", "KAFKA_MIN_INSYNC_REPLICAS"))).max().orElse(1);
        if (replication > brokers.size()) {
          problems.add(service + ": " + CommonSettings.TOPIC_REPLICATION.envVar() + "=" + replication + " but only "
              + brokers.size() + " brokers");
        } else if (replication <= minIsr) {
          problems.add(service + ": " + CommonSettings.TOPIC_REPLICATION.envVar() + "=" + replication
              + " leaves no broker to lose with min.insync.replicas " + minIsr);
        }
      }
      if (spec.required().contains(BudgetServiceConfig.HTTP_HOST)) {
        String host = effective(service, BudgetServiceConfig.HTTP_HOST);
        if (host.equals("localhost") || host.startsWith("127.")) {
          problems.add(service + ": " + BudgetServiceConfig.HTTP_HOST.envVar() + "=" + host
              + " is unreachable from outside the container; use 0.0.0.0");
        }
      }
      assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }));
  }

  /** Team-keyed topics must be co-partitioned: every service creates topics with the same settings. */
  @Test
  void servicesAgreeOnTopics() {
    List<String> problems = new ArrayList<>();
    for (Setting<?> setting : List.of(CommonSettings.TOPIC_PARTITIONS, CommonSettings.TOPIC_REPLICATION,
        CommonSettings.TOPIC_PREFIX)) {
      Map<String, Object> values = new TreeMap<>();
      modelRouterServices().keySet().forEach(service -> values.put(service, effective(service, setting)));
      if (new HashSet<>(values.values()).size() > 1) {
        problems.add(setting.envVar() + " differs between services: " + values);
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  // ------------------------------------------------------------------------------------------------ (c)

  /** Each build names a Dockerfile, a module directory of the reactor and a main class that exists there. */
  @TestFactory
  Stream<DynamicTest> buildsReferenceModulesAndMainClasses() {
    return services.entrySet().stream().filter(e -> e.getValue().has("build"))
        .map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
          String service = entry.getKey();
          JsonNode build = entry.getValue().get("build");
          List<String> problems = new ArrayList<>();
          Path context = root.resolve(build.isTextual() ? build.asText() : build.path("context").asText(".")).normalize();
          Path dockerfile = context.resolve(build.path("dockerfile").asText("Dockerfile")).normalize();
          if (!Files.isRegularFile(dockerfile)) {
            fail(service + ": build.dockerfile " + root.relativize(dockerfile) + " does not exist");
          }
          String dockerfileText = Files.readString(dockerfile);
          Map<String, String> args = new LinkedHashMap<>();
          build.path("args").properties().forEach(a -> args.put(a.getKey(), a.getValue().asText()));
          for (String arg : args.keySet()) {
            if (!Pattern.compile("(?m)^ARG\\s+" + Pattern.quote(arg) + "\\b").matcher(dockerfileText).find()) {
              problems.add(service + ": build arg " + arg + " is not declared (ARG) in " + root.relativize(dockerfile));
            }
          }
          String module = args.get("MODULE");
          String mainClass = args.get("MAIN_CLASS");
          if (module == null || mainClass == null) {
            fail(service + ": build.args must give MODULE and MAIN_CLASS, got " + args.keySet());
          }
          Path moduleDir = context.resolve(module);
          if (!Files.isRegularFile(moduleDir.resolve("pom.xml"))) {
            problems.add(service + ": MODULE=" + module + " is not a module directory (no " + module + "/pom.xml)");
          } else {
            String artifactId = pomValue(moduleDir.resolve("pom.xml"), "artifactId");
            if (!module.equals(artifactId)) {
              problems.add(service + ": MODULE=" + module + " but its artifactId is " + artifactId
                  + "; the Dockerfile copies target/${MODULE}-${VERSION}.jar");
            }
            if (!pomModules(root.resolve("pom.xml")).contains(module)) {
              problems.add(service + ": MODULE=" + module + " is not a <module> of the root pom.xml");
            }
          }
          Matcher version = Pattern.compile("(?m)^ARG\\s+VERSION=(\\S+)").matcher(dockerfileText);
          String projectVersion = pomValue(root.resolve("pom.xml"), "version");
          if (!version.find() || !version.group(1).equals(projectVersion)) {
            problems.add(service + ": " + root.relativize(dockerfile) + " must declare ARG VERSION=" + projectVersion
                + " (the project version, part of the jar's name)");
          }
          try {
            Class<?> type = Class.forName(mainClass, false, ComposeFileTest.class.getClassLoader());
            Method main = type.getMethod("main", String[].class);
            if (!Modifier.isStatic(main.getModifiers())) {
              problems.add(service + ": MAIN_CLASS=" + mainClass + " has no static main(String[])");
            }
          } catch (ClassNotFoundException | NoSuchMethodException e) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " does not exist or has no main(String[]): " + e);
          }
          Path source = moduleDir.resolve("src/main/java/" + mainClass.replace('.', '/') + ".java");
          if (!Files.isRegularFile(source)) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " is not in module " + module + " (no "
                + root.relativize(source) + ")");
          }
          Optional<ServiceSpec> spec = SPECS.stream().filter(s -> s.mainClass().equals(mainClass)).findFirst();
          if (spec.isEmpty()) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " is not a service this test knows: add it to "
                + "ComposeFileTest.SPECS with the settings it reads");
          } else if (!spec.get().module().equals(module)) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " lives in " + spec.get().module() + ", not " + module);
          }
          assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        }));
  }

  /** Every service main class runs in some container. */
  @Test
  void everyServiceRuns() {
    Set<String> run = modelRouterServices().values().stream().map(ServiceSpec::mainClass).collect(Collectors.toSet());
    List<String> missing = SPECS.stream().map(ServiceSpec::mainClass).filter(m -> !run.contains(m)).toList();
    assertTrue(missing.isEmpty(), () -> "docker-compose.yml runs no container for " + missing);
  }

  // ------------------------------------------------------------------------------------------------ (d)

  /** Each env_file has a committed .example, and the real file is git-ignored. */
  @TestFactory
  Stream<DynamicTest> envFilesHaveExamples() {
    return services.entrySet().stream().filter(e -> e.getValue().has("env_file"))
        .map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
          String service = entry.getKey();
          List<String> problems = new ArrayList<>();
          Set<String> ignored = Files.readAllLines(root.resolve(".gitignore")).stream().map(String::trim)
              .collect(Collectors.toSet());
          for (String envFile : envFiles(entry.getValue())) {
            Path example = root.resolve(envFile + ".example");
            if (!Files.isRegularFile(example)) {
              problems.add(service + ": env_file " + envFile + " has no " + root.relativize(example));
            }
            String name = root.relativize(root.resolve(envFile).normalize()).toString();
            if (!ignored.contains(name) && !ignored.contains("/" + name)) {
              problems.add(service + ": env_file " + envFile + " holds secrets but is not in .gitignore");
            }
          }
          assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        }));
  }

  /**
   * .env.example holds provider keys the worker reads, and nothing else: active lines are provider credentials
   * with empty values; commented examples are variables the worker reads. Only the worker loads it.
   */
  @Test
  void envExampleHoldsOnlyWorkerProviderKeys() throws IOException {
    Path example = root.resolve(".env.example");
    assertTrue(Files.isRegularFile(example), ".env.example is missing");
    List<String> problems = new ArrayList<>();
    services.forEach((service, node) -> {
      if (envFiles(node).stream().anyMatch(f -> root.resolve(f + ".example").normalize().equals(example))
          && !Optional.ofNullable(modelRouterServices().get(service)).map(ServiceSpec::mainClass)
              .orElse("").equals("io.modelrouter.worker.WorkerMain")) {
        problems.add(service + ": loads .env, which holds the worker's provider keys; only the worker needs them");
      }
    });
    Map<String, String> workerEnv = services.entrySet().stream()
        .filter(e -> Optional.ofNullable(modelRouterServices().get(e.getKey())).map(ServiceSpec::mainClass)
            .orElse("").equals("io.modelrouter.worker.WorkerMain"))
        .findFirst().map(e -> environment(e.getValue())).orElse(Map.of());
    List<String> providers = providerNames("worker", workerEnv);
    Pattern assignment = Pattern.compile("^(#\\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$");
    List<String> lines = Files.readAllLines(example);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      Matcher m = assignment.matcher(line);
      if (line.isEmpty() || (line.startsWith("#") && !m.matches())) {
        continue;
      }
      String where = ".env.example:" + (i + 1) + ": ";
      if (!m.matches()) {
        problems.add(where + "not a VARIABLE=value line: " + line);
        continue;
      }
      boolean commented = m.group(1) != null;
      String name = m.group(2);
      String value = m.group(3).trim();
      if (!commented) {
        if (!isProviderCredential(name, providers)) {
          problems.add(where + name + " is not a provider key the worker reads (providers " + providers + ")");
        } else if (AWS_CREDENTIAL_VARIABLES.contains(name)) {
          problems.add(where + name + " must stay commented out: the worker takes Bedrock for real as soon as it is "
              + "defined, even empty");
        }
        if (!value.isEmpty()) {
          problems.add(where + name + " has a value; the example must hold no secrets");
        }
      } else if (!isReadByWorker(name, providers)) {
        problems.add(where + name + " (commented) is not a variable the worker reads");
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  // ------------------------------------------------------------------------------------------------ health

  /** Health checks everywhere, start order on health, restarts; the services' checks use their own port. */
  @TestFactory
  Stream<DynamicTest> healthChecksAndStartOrder() {
    return services.entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
      String service = entry.getKey();
      JsonNode node = entry.getValue();
      List<String> problems = new ArrayList<>();
      JsonNode test = node.path("healthcheck").path("test");
      String command = test.isArray()
          ? String.join(" ", (Iterable<String>) () -> streamOf(test).map(JsonNode::asText).iterator())
          : test.asText("");
      if (command.isBlank()) {
        problems.add(service + ": has no healthcheck");
      }
      if (!node.path("restart").asText("").equals("unless-stopped")) {
        problems.add(service + ": restart should be unless-stopped, is '" + node.path("restart").asText("") + "'");
      }
      dependsOn(node).forEach((dependency, condition) -> {
        if (!services.containsKey(dependency)) {
          problems.add(service + ": depends on " + dependency + ", which is not a service");
        } else if (!condition.equals("service_healthy")) {
          problems.add(service + ": depends on " + dependency + " with condition '" + condition
              + "', should be service_healthy");
        }
      });
      ServiceSpec spec = modelRouterServices().get(service);
      if (spec != null && !command.isBlank()) {
        Optional<Setting<?>> portSetting = spec.settings().get().stream()
            .filter(s -> s.key().equals(spec.healthPortKey())).findFirst();
        Matcher url = HEALTH_URL.matcher(command);
        if (!url.find()) {
          problems.add(service + ": its healthcheck should GET http://localhost:<" + spec.healthPortKey() + ">/health, "
              + "is: " + command);
        } else if (portSetting.isPresent()) {
          Object port = effective(service, portSetting.get());
          if (!String.valueOf(port).equals(url.group(1))) {
            problems.add(service + ": its healthcheck uses port " + url.group(1) + " but " + spec.healthPortKey()
                + " (" + portSetting.get().envVar() + ") is " + port);
          }
          for (JsonNode published : node.path("ports")) {
            String[] parts = published.asText().split(":");
            if (!parts[parts.length - 1].equals(String.valueOf(port))) {
              problems.add(service + ": publishes container port " + parts[parts.length - 1] + " but listens on "
                  + port + " (" + portSetting.get().envVar() + ")");
            }
          }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        Assumptions.assumeTrue(portSetting.isPresent(), () -> service + ": " + simpleName(spec.mainClass())
            + " declares no " + spec.healthPortKey() + " yet; the healthcheck assumes port " + url.group(1));
      }
      assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }));
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** Compose services that run a model-router main class, by service name. */
  private static Map<String, ServiceSpec> modelRouterServices() {
    Map<String, ServiceSpec> out = new TreeMap<>();
    services.forEach((name, node) -> {
      String mainClass = node.path("build").path("args").path("MAIN_CLASS").asText("");
      SPECS.stream().filter(s -> s.mainClass().equals(mainClass)).findFirst().ifPresent(s -> out.put(name, s));
    });
    return out;
  }

  /** The environment: mapping ({@code KEY: value}) or list ({@code - KEY=value}); a bare key comes from the shell. */
  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode env = service.path("environment");
    if (env.isObject()) {
      env.properties().forEach(e -> out.put(e.getKey(), e.getValue().isNull() ? FROM_SHELL : e.getValue().asText()));
    } else if (env.isArray()) {
      for (JsonNode item : env) {
        String text = item.asText();
        int eq = text.indexOf('=');
        out.put(eq < 0 ? text : text.substring(0, eq), eq < 0 ? FROM_SHELL : text.substring(eq + 1));
      }
    }
    return out;
  }

  /** Values as the container would see them: ${X:-default} is the default, ${X} and ${X:?error} a stand-in. */
  private static Map<String, String> resolved(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    env.forEach((name, value) -> {
      Matcher m = INTERPOLATION.matcher(value);
      out.put(name, m.matches() && m.group(2) != null && m.group(2).endsWith("-") ? m.group(3)
          : m.find(0) ? FROM_SHELL : value);
    });
    return out;
  }

  /** The value the service would use: its environment, else the default; a failure names service and variable. */
  private static <T> T effective(String service, Setting<T> setting) {
    try {
      return Settings.from(resolved(environment(services.get(service))), Map.of()).get(setting);
    } catch (IllegalArgumentException e) {
      return fail(service + ": " + e.getMessage());
    }
  }

  private static Optional<String> parses(String service, Setting<?> setting, String value) {
    String literal = resolved(Map.of(setting.envVar(), value)).get(setting.envVar());
    if (literal.equals(FROM_SHELL)) {
      return Optional.empty();
    }
    try {
      Settings.of(Map.of(setting.key(), literal)).get(setting);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(service + ": " + setting.envVar() + "=" + literal + " is invalid: " + e.getMessage());
    }
  }

  /** The lower-case name a template variable configures ({@code MR_PROVIDERS_OPENAI_TIMEOUT} gives openai). */
  private static Optional<String> templateName(List<Setting<?>> templates, String variable) {
    for (Setting<?> template : templates) {
      String[] parts = template.envVar().split(Pattern.quote("<NAME>"), -1);
      Pattern pattern = Pattern.compile(Arrays.stream(parts).map(Pattern::quote)
          .collect(Collectors.joining("([A-Z][A-Z0-9]*)")));
      Matcher m = pattern.matcher(variable);
      if (m.matches()) {
        return Optional.of(m.group(1).toLowerCase(Locale.ROOT));
      }
    }
    return Optional.empty();
  }

  private static List<String> providerNames(String service, Map<String, String> env) {
    try {
      return new WorkerConfig(Settings.from(resolved(env), Map.of())).providerNames();
    } catch (RuntimeException e) {
      return fail(service + ": " + WorkerConfig.PROVIDERS.envVar() + " is invalid: " + e.getMessage());
    }
  }

  private static boolean isProviderCredential(String variable, List<String> providers) {
    if (VENDOR_KEY_VARIABLES.contains(variable) || AWS_CREDENTIAL_VARIABLES.contains(variable)) {
      return true;
    }
    for (Setting<?> template : List.of(WorkerConfig.P_API_KEY, WorkerConfig.P_API_KEY_FILE)) {
      Optional<String> name = templateName(List.of(template), variable);
      if (name.isPresent() && providers.contains(name.get())) {
        return true;
      }
    }
    return false;
  }

  private static boolean isReadByWorker(String variable, List<String> providers) {
    if (isProviderCredential(variable, providers) || AWS_OTHER_VARIABLES.contains(variable)) {
      return true;
    }
    if (WorkerConfig.allSettings().stream().anyMatch(s -> !s.isTemplate() && s.envVar().equals(variable))) {
      return true;
    }
    return templateName(WorkerConfig.PROVIDER_TEMPLATES, variable).filter(providers::contains).isPresent();
  }

  private static Set<String> kafkaClientConfigNames(boolean kafkaStreams) {
    Set<String> names = new TreeSet<>();
    names.addAll(ProducerConfig.configNames());
    names.addAll(ConsumerConfig.configNames());
    names.addAll(AdminClientConfig.configNames());
    if (kafkaStreams) {
      names.addAll(StreamsConfig.configDef().names());
    }
    return names;
  }

  private static List<String> brokerServices() {
    return services.entrySet().stream()
        .filter(e -> textOr(e.getValue(), "", "environment", "KAFKA_PROCESS_ROLES").contains("broker"))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /** depends_on as dependency to condition (the short list form means service_started). */
  private static Map<String, String> dependsOn(JsonNode service) {
    Map<String, String> out = new TreeMap<>();
    JsonNode deps = service.path("depends_on");
    if (deps.isArray()) {
      deps.forEach(d -> out.put(d.asText(), "service_started"));
    } else {
      deps.properties().forEach(e -> out.put(e.getKey(), e.getValue().path("condition").asText("service_started")));
    }
    return out;
  }

  /** env_file: a path, a list of paths, or a list of {path, required}. */
  private static List<String> envFiles(JsonNode service) {
    JsonNode envFile = service.path("env_file");
    if (envFile.isTextual()) {
      return List.of(envFile.asText());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : envFile) {
      out.add(item.isTextual() ? item.asText() : item.path("path").asText());
    }
    return out;
  }

  private static String text(JsonNode node, String... path) {
    return textOr(node, "", path);
  }

  private static String textOr(JsonNode node, String fallback, String... path) {
    JsonNode current = node;
    for (String step : path) {
      current = current.path(step);
    }
    return current.isMissingNode() || current.isNull() ? fallback : current.asText();
  }

  private static Stream<JsonNode> streamOf(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    array.forEach(items::add);
    return items.stream();
  }

  /** A direct child of the pom's project element. */
  private static String pomValue(Path pom, String element) throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
        .getDocumentElement();
    for (Node child = project.getFirstChild(); child != null; child = child.getNextSibling()) {
      if (child instanceof Element e && e.getTagName().equals(element)) {
        return e.getTextContent().trim();
      }
    }
    return null;
  }

  private static List<String> pomModules(Path pom) throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
        .getDocumentElement();
    List<String> modules = new ArrayList<>();
    var nodes = project.getElementsByTagName("module");
    for (int i = 0; i < nodes.getLength(); i++) {
      modules.add(nodes.item(i).getTextContent().trim());
    }
    return modules;
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  /** A hint for a near miss (a typo): the declared variable at the smallest edit distance, if it is small. */
  private static String nearest(String variable, Set<String> declared) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : declared) {
      int distance = editDistance(variable, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best != null && bestDistance <= Math.max(2, variable.length() / 8) ? "; did you mean " + best + "?" : "";
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
