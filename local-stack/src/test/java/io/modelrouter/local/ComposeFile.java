package io.modelrouter.local;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.router.learning.LearnerConfig;
import io.modelrouter.worker.WorkerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code docker-compose.yml} as the compose tests read it: its services, their environment as the container would
 * see it, and which of them run a model-router main class. No Docker engine needed.
 */
final class ComposeFile {

  /**
   * What a model-router container runs, keyed by its main class: the module holding it, the settings it reads,
   * how it validates them, the setting of the port serving GET /health, and what it cannot run without.
   */
  record ServiceSpec(String mainClass, String module, Supplier<List<Setting<?>>> settings,
      Function<Settings, ?> validate, String healthPortKey, boolean kafkaStreams, List<Setting<?>> required) {

    boolean isWorker() {
      return mainClass.equals("io.modelrouter.worker.WorkerMain");
    }

    String simpleName() {
      return mainClass.substring(mainClass.lastIndexOf('.') + 1);
    }
  }

  static final List<ServiceSpec> SPECS = List.of(
      new ServiceSpec("io.modelrouter.router.RouterMain", "router-service", RouterConfig::allSettings,
          RouterConfig::new, "router.metrics.port", true, List.of()),
      new ServiceSpec("io.modelrouter.router.learning.LearnerMain", "router-service", LearnerConfig::allSettings,
          LearnerConfig::new, "learner.metrics.port", true, List.of()),
      new ServiceSpec("io.modelrouter.worker.WorkerMain", "provider-worker", WorkerConfig::allSettings,
          WorkerConfig::new, "worker.metrics.port", false, List.of()),
      new ServiceSpec("io.modelrouter.aggregator.AggregatorMain", "usage-aggregator", AggregatorConfig::allSettings,
          AggregatorConfig::new, "aggregator.metrics.port", true, List.of()),
      new ServiceSpec("io.modelrouter.budget.BudgetServiceMain", "budget-service", BudgetServiceConfig::allSettings,
          BudgetServiceConfig::new, BudgetServiceConfig.HTTP_PORT.key(), false,
          List.of(BudgetServiceConfig.ADMIN_TOKEN, BudgetServiceConfig.HTTP_HOST)));

  /** A value taken from the shell or .env at `docker compose` time: set, but unknown to the tests. */
  static final String FROM_SHELL = "value-from-the-shell";
  static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?}");

  final Path root;
  /** The compose services by name. */
  final Map<String, JsonNode> services;

  private ComposeFile(Path root, JsonNode compose) {
    this.root = root;
    Map<String, JsonNode> byName = new TreeMap<>();
    compose.path("services").properties().forEach(e -> byName.put(e.getKey(), e.getValue()));
    this.services = byName;
  }

  /** The project's docker-compose.yml. */
  static ComposeFile read() {
    Path root = ProjectFiles.root();
    Path file = root.resolve("docker-compose.yml");
    try {
      return parse(root, Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** A compose file's text; paths in it are relative to {@code root}. Duplicate keys are an error, as in compose. */
  static ComposeFile parse(Path root, String yaml) {
    ObjectMapper mapper = new ObjectMapper(YAMLFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    try {
      return new ComposeFile(root, mapper.readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException("not a compose file: " + e.getMessage(), e);
    }
  }

  /** Compose services that run a model-router main class, by service name. */
  Map<String, ServiceSpec> modelRouterServices() {
    Map<String, ServiceSpec> out = new TreeMap<>();
    services.forEach((name, node) -> specOf(node).ifPresent(spec -> out.put(name, spec)));
    return out;
  }

  static Optional<ServiceSpec> specOf(JsonNode service) {
    String mainClass = service.path("build").path("args").path("MAIN_CLASS").asText("");
    return SPECS.stream().filter(s -> s.mainClass().equals(mainClass)).findFirst();
  }

  Map<String, String> environment(String service) {
    return environment(services.get(service));
  }

  /** The environment: mapping ({@code KEY: value}) or list ({@code - KEY=value}); a bare key comes from the shell. */
  static Map<String, String> environment(JsonNode service) {
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
  static Map<String, String> resolved(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    env.forEach((name, value) -> {
      Matcher m = INTERPOLATION.matcher(value);
      out.put(name, m.matches() && m.group(2) != null && m.group(2).endsWith("-") ? m.group(3)
          : m.find(0) ? FROM_SHELL : value);
    });
    return out;
  }

  /** The value the service would use: its environment, else the default; a failure names service and variable. */
  <T> T effective(String service, Setting<T> setting) {
    try {
      return Settings.from(resolved(environment(service)), Map.of()).get(setting);
    } catch (IllegalArgumentException e) {
      return fail(service + ": " + e.getMessage());
    }
  }

  /** Services whose KAFKA_PROCESS_ROLES include broker. */
  List<String> brokerServices() {
    return services.entrySet().stream()
        .filter(e -> textOr(e.getValue(), "", "environment", "KAFKA_PROCESS_ROLES").contains("broker"))
        .map(Map.Entry::getKey).sorted().toList();
  }

  /** depends_on as dependency to condition (the short list form means service_started). */
  static Map<String, String> dependsOn(JsonNode service) {
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
  static List<String> envFiles(JsonNode service) {
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

  /** The directory a service's image is built from, resolved against the project root; empty for an image. */
  Optional<Path> buildContext(JsonNode service) {
    JsonNode build = service.get("build");
    if (build == null) {
      return Optional.empty();
    }
    return Optional.of(root.resolve(build.isTextual() ? build.asText() : build.path("context").asText("."))
        .normalize());
  }

  /** The Dockerfile a service's build uses; empty for an image-only service. */
  Optional<Path> dockerfile(JsonNode service) {
    return buildContext(service).map(context -> context.resolve(
        service.get("build").path("dockerfile").asText("Dockerfile")).normalize());
  }

  static String text(JsonNode node, String... path) {
    return textOr(node, "", path);
  }

  static String textOr(JsonNode node, String fallback, String... path) {
    JsonNode current = node;
    for (String step : path) {
      current = current.path(step);
    }
    return current.isMissingNode() || current.isNull() ? fallback : current.asText();
  }

  static Stream<JsonNode> streamOf(JsonNode array) {
    List<JsonNode> items = new ArrayList<>();
    array.forEach(items::add);
    return items.stream();
  }
}
