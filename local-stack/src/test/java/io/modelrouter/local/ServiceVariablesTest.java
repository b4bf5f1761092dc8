package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The compose check refuses variables a container does not read, and accepts those it does, with the reason. */
class ServiceVariablesTest {
  private static final Set<String> ENTRYPOINT = ServiceVariables.entrypointVariables("""
      FROM eclipse-temurin:21-jre
      ENV JAVA_OPTS="-Xmx1g"
      ENTRYPOINT ["/bin/sh", "-c", "exec java $JAVA_OPTS -cp '/app/lib/*' \\"$MAIN_CLASS\\" \\"$@\\"", "x"]
      """);
  private static final Map<String, String> BASE = Map.of(
      "MR_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092", "MR_SCHEMA_REGISTRY_URL", "http://schema-registry:8081");

  @Test
  void theEntrypointsVariablesAreThoseItExpands() {
    assertThat(ENTRYPOINT).containsExactly("JAVA_OPTS", "MAIN_CLASS");
  }

  @Test
  void aVariableWithoutTheMrPrefixOnTheRouterFailsAndSuggestsTheSetting() {
    List<String> problems = problems("router", env("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092"));

    assertThat(problems).singleElement().asString()
        .startsWith("router: KAFKA_BOOTSTRAP_SERVERS is not read by RouterMain")
        .contains("did you mean MR_KAFKA_BOOTSTRAP_SERVERS?");
  }

  @Test
  void providerKeysAreReadByTheWorkerOnly() {
    Map<String, String> keys = env("ANTHROPIC_API_KEY", "${ANTHROPIC_API_KEY:-}");

    assertThat(problems("worker", keys)).isEmpty();
    assertThat(problems("worker", env("AWS_REGION", "eu-west-1"))).isEmpty();
    assertThat(problems("worker", env("AWS_PROFILE", "bedrock"))).isEmpty();
    assertThat(problems("router", keys)).singleElement().asString()
        .startsWith("router: ANTHROPIC_API_KEY is not read by RouterMain");
  }

  @Test
  void theJvmsAndTheEntrypointsVariablesAreAcceptedEverywhereAndOthersAreNot() {
    assertThat(problems("router", env("JAVA_TOOL_OPTIONS", "-XX:+UseZGC"))).isEmpty();
    assertThat(problems("budget-service", env("JAVA_OPTS", "-Xmx512m"))).isEmpty();
    assertThat(problems("usage-aggregator", env("TZ", "UTC"))).singleElement().asString()
        .startsWith("usage-aggregator: TZ is not read by AggregatorMain");
  }

  @Test
  void mrVariablesMustBeSettingsOfThatServiceOrKafkaClientConfigs() {
    assertThat(problems("router", env("MR_WORKER_PROVIDERS", "anthropic"))).singleElement().asString()
        .startsWith("router: MR_WORKER_PROVIDERS is not read by RouterMain");
    assertThat(problems("router", env("MR_KAFKA_ACKS", "all"))).isEmpty();
    assertThat(problems("router", env("MR_KAFKA_ACK", "all"))).singleElement().asString()
        .contains("'ack'", "not a Kafka client configuration");
    assertThat(problems("router", env("MR_ROUTER_THREADS", "two"))).singleElement().asString()
        .startsWith("router: MR_ROUTER_THREADS=two is invalid");
  }

  @Test
  void thirdPartyImagesKeepToTheirVocabulary() {
    assertThat(ServiceVariables.imageProblems("kafka-1", "apache/kafka:4.1.2",
        Map.of("KAFKA_NODE_ID", "1", "CLUSTER_ID", "x"))).isEmpty();
    assertThat(ServiceVariables.imageProblems("schema-registry", "confluentinc/cp-schema-registry:8.1.1",
        Map.of("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081", "KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092")))
        .containsExactly("schema-registry: KAFKA_BOOTSTRAP_SERVERS is not read by confluentinc/cp-schema-registry "
            + "(it reads [SCHEMA_REGISTRY_]...)");
    assertThat(ServiceVariables.imageProblems("cache", "redis:7", Map.of())).singleElement().asString()
        .contains("image redis:7 is neither built from the project");
  }

  /** The named service of a compose file built like the project's, with these variables. */
  private static List<String> problems(String service, Map<String, String> variables) {
    String mainClass = switch (service) {
      case "router" -> "io.modelrouter.router.RouterMain";
      case "worker" -> "io.modelrouter.worker.WorkerMain";
      case "usage-aggregator" -> "io.modelrouter.aggregator.AggregatorMain";
      default -> "io.modelrouter.budget.BudgetServiceMain";
    };
    StringBuilder yaml = new StringBuilder("services:\n  " + service + ":\n    build:\n      args:\n        MAIN_CLASS: "
        + mainClass + "\n    environment:\n");
    variables.forEach((k, v) -> yaml.append("      ").append(k).append(": \"").append(v).append("\"\n"));
    ComposeFile compose = ComposeFile.parse(Path.of("."), yaml.toString());
    ComposeFile.ServiceSpec spec = compose.modelRouterServices().get(service);
    Map<String, String> env = compose.environment(service);
    if (service.equals("budget-service")) {
      env.put("MR_BUDGET_ADMIN_TOKEN", "${BUDGET_ADMIN_TOKEN}");
    }
    return ServiceVariables.problems(service, spec, env, ENTRYPOINT);
  }

  private static Map<String, String> env(String name, String value) {
    Map<String, String> env = new java.util.LinkedHashMap<>(BASE);
    env.put(name, value);
    return env;
  }
}
