package io.modelrouter.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every environment variable {@code docker-compose.yml} and {@code .env.example} give a container is one it reads
 * ({@link ServiceVariables}), the settings a production service cannot do without are set and point at services
 * that exist, and the services agree on how topics are created. Every failure names the service and the variable.
 */
class ComposeEnvironmentTest {
  /** Every service needs these set explicitly: the defaults (localhost, replication 1) are for a laptop. */
  private static final List<Setting<?>> REQUIRED_EVERYWHERE = List.of(CommonSettings.BOOTSTRAP_SERVERS,
      CommonSettings.SCHEMA_REGISTRY_URL, CommonSettings.TOPIC_REPLICATION);

  private static ComposeFile compose;

  @BeforeAll
  static void readCompose() {
    compose = ComposeFile.read();
    assertTrue(!compose.services.isEmpty(), "docker-compose.yml defines no services");
  }

  /**
   * A model-router container's MR_* variables are settings its program declares (a worker-only key in the router
   * fails), and its other variables are ones the JVM, the image's entrypoint or (for the worker) the provider
   * SDKs read; a Kafka or registry container's are in its image's vocabulary.
   */
  @TestFactory
  Stream<DynamicTest> everyVariableIsReadByItsContainer() {
    return compose.services.entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
      String service = entry.getKey();
      JsonNode node = entry.getValue();
      Map<String, String> env = ComposeFile.environment(node);
      Optional<ComposeFile.ServiceSpec> spec = ComposeFile.specOf(node);
      List<String> problems;
      if (spec.isPresent()) {
        Optional<Path> dockerfile = compose.dockerfile(node);
        Set<String> entrypoint = dockerfile.isPresent() && Files.isRegularFile(dockerfile.get())
            ? ServiceVariables.entrypointVariables(Files.readString(dockerfile.get())) : Set.of();
        problems = ServiceVariables.problems(service, spec.get(), env, entrypoint);
      } else {
        problems = ServiceVariables.imageProblems(service, ComposeFile.text(node, "image"), env);
      }
      assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }));
  }

  /** Bootstrap servers, registry, replication and each service's own required settings are set, and point at
   * services that exist. */
  @TestFactory
  Stream<DynamicTest> requiredSettingsAreSet() {
    return compose.modelRouterServices().entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(),
        () -> {
          String service = entry.getKey();
          ComposeFile.ServiceSpec spec = entry.getValue();
          JsonNode node = compose.services.get(service);
          Map<String, String> env = ComposeFile.environment(node);
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
            if (setting.isSecret() && value != null && !value.isBlank()
                && !ComposeFile.INTERPOLATION.matcher(value).find()) {
              problems.add(service + ": " + setting.envVar() + " is a secret written into docker-compose.yml; take "
                  + "it from the shell instead (${VARIABLE})");
            }
          }
          Set<String> dependencies = ComposeFile.dependsOn(node).keySet();
          brokerProblems(service, env.get(CommonSettings.BOOTSTRAP_SERVERS.envVar()), dependencies, problems);
          registryProblems(service, env.get(CommonSettings.SCHEMA_REGISTRY_URL.envVar()), dependencies, problems);
          if (env.containsKey(CommonSettings.TOPIC_REPLICATION.envVar())) {
            List<String> brokers = compose.brokerServices();
            int replication = compose.effective(service, CommonSettings.TOPIC_REPLICATION);
            int minIsr = brokers.stream().mapToInt(b -> Integer.parseInt(ComposeFile.textOr(compose.services.get(b),
                "1", "environment", "KAFKA_MIN_INSYNC_REPLICAS"))).max().orElse(1);
            if (replication > brokers.size()) {
              problems.add(service + ": " + CommonSettings.TOPIC_REPLICATION.envVar() + "=" + replication
                  + " but only " + brokers.size() + " brokers");
            } else if (replication <= minIsr) {
              problems.add(service + ": " + CommonSettings.TOPIC_REPLICATION.envVar() + "=" + replication
                  + " leaves no broker to lose with min.insync.replicas " + minIsr);
            }
          }
          if (spec.required().contains(BudgetServiceConfig.HTTP_HOST)) {
            String host = compose.effective(service, BudgetServiceConfig.HTTP_HOST);
            if (host.equals("localhost") || host.startsWith("127.")) {
              problems.add(service + ": " + BudgetServiceConfig.HTTP_HOST.envVar() + "=" + host
                  + " is unreachable from outside the container; use 0.0.0.0");
            }
          }
          assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        }));
  }

  private static void brokerProblems(String service, String bootstrap, Set<String> dependencies,
      List<String> problems) {
    if (bootstrap == null || bootstrap.contains("${")) {
      return;
    }
    List<String> brokers = compose.brokerServices();
    String variable = CommonSettings.BOOTSTRAP_SERVERS.envVar();
    for (String server : bootstrap.split(",")) {
      String hostPort = server.trim().replaceFirst("^[A-Za-z_]+://", "");
      String host = hostPort.substring(0, Math.max(0, hostPort.lastIndexOf(':')));
      if (!brokers.contains(host)) {
        problems.add(service + ": " + variable + " names " + hostPort + ", which is not a broker service of "
            + "docker-compose.yml " + brokers);
      } else if (!ComposeFile.text(compose.services.get(host), "environment", "KAFKA_ADVERTISED_LISTENERS")
          .contains("//" + hostPort)) {
        problems.add(service + ": " + variable + " names " + hostPort + ", which " + host + " does not advertise in "
            + "KAFKA_ADVERTISED_LISTENERS");
      } else if (!dependencies.contains(host)) {
        problems.add(service + ": uses broker " + host + " but does not depend on it");
      }
    }
  }

  private static void registryProblems(String service, String registry, Set<String> dependencies,
      List<String> problems) {
    if (registry == null || registry.contains("${")) {
      return;
    }
    String variable = CommonSettings.SCHEMA_REGISTRY_URL.envVar();
    for (String url : registry.split(",")) {
      URI uri = URI.create(url.trim());
      JsonNode registryService = compose.services.get(uri.getHost());
      if (registryService == null) {
        problems.add(service + ": " + variable + " names host " + uri.getHost() + ", which is not a service of "
            + "docker-compose.yml");
      } else if (!ComposeFile.text(registryService, "environment", "SCHEMA_REGISTRY_LISTENERS")
          .contains(":" + uri.getPort())) {
        problems.add(service + ": " + variable + " uses port " + uri.getPort() + ", which is not in "
            + uri.getHost() + "'s SCHEMA_REGISTRY_LISTENERS");
      } else if (!dependencies.contains(uri.getHost())) {
        problems.add(service + ": uses the registry " + uri.getHost() + " but does not depend on it");
      }
    }
  }

  /** Team-keyed topics must be co-partitioned: every service creates topics with the same settings. */
  @Test
  void servicesAgreeOnTopics() {
    List<String> problems = new ArrayList<>();
    for (Setting<?> setting : List.of(CommonSettings.TOPIC_PARTITIONS, CommonSettings.TOPIC_REPLICATION,
        CommonSettings.TOPIC_PREFIX)) {
      Map<String, Object> values = new TreeMap<>();
      compose.modelRouterServices().keySet().forEach(service -> values.put(service,
          compose.effective(service, setting)));
      if (new HashSet<>(values.values()).size() > 1) {
        problems.add(setting.envVar() + " differs between services: " + values);
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  /** The production shape never answers with a simulated provider unless the operator asks for it. */
  @Test
  void theWorkerRunsWithSimulationOffByDefault() {
    String worker = compose.services.entrySet().stream()
        .filter(e -> ComposeFile.specOf(e.getValue()).map(ComposeFile.ServiceSpec::isWorker).orElse(false))
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    assertEquals("none", compose.effective(worker, io.modelrouter.worker.WorkerConfig.SIMULATE));
  }

  /**
   * .env.example holds provider keys the worker reads, and nothing else: active lines are provider credentials
   * with empty values; commented examples are variables the worker reads. Only the worker loads it.
   */
  @Test
  void envExampleHoldsOnlyWorkerProviderKeys() throws IOException {
    Path example = compose.root.resolve(".env.example");
    assertTrue(Files.isRegularFile(example), ".env.example is missing");
    List<String> problems = new ArrayList<>();
    compose.services.forEach((service, node) -> {
      if (ComposeFile.envFiles(node).stream()
          .anyMatch(f -> compose.root.resolve(f + ".example").normalize().equals(example))
          && !ComposeFile.specOf(node).map(ComposeFile.ServiceSpec::isWorker).orElse(false)) {
        problems.add(service + ": loads .env, which holds the worker's provider keys; only the worker needs them");
      }
    });
    Map<String, String> workerEnv = compose.services.values().stream()
        .filter(node -> ComposeFile.specOf(node).map(ComposeFile.ServiceSpec::isWorker).orElse(false))
        .findFirst().map(ComposeFile::environment).orElse(Map.of());
    List<String> providers = ServiceVariables.providerNames("worker", workerEnv);
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
        if (!ServiceVariables.isProviderCredential(name, providers)) {
          problems.add(where + name + " is not a provider key the worker reads (providers " + providers + ")");
        } else if (ServiceVariables.AWS_CREDENTIAL_VARIABLES.contains(name)) {
          problems.add(where + name + " must stay commented out: the worker takes Bedrock for real as soon as it is "
              + "defined, even empty");
        }
        if (!value.isEmpty()) {
          problems.add(where + name + " has a value; the example must hold no secrets");
        }
      } else if (!ServiceVariables.isReadByWorker(name, providers)) {
        problems.add(where + name + " (commented) is not a variable the worker reads");
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }
}
