package io.modelrouter.local.production;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.local.ProjectFiles;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * bin/production-shape runs what docker-compose.yml describes: the same containers (monitoring aside), every
 * service twice but budget-service, and each process given exactly its container's environment, but for what a
 * process on a shared host cannot share with its neighbours (addresses, volume paths, per-instance state, ports and
 * ids: the list in {@link ProductionShape}). The expected addresses are written out here, from the compose file's
 * published ports and the launcher's documented port rule, not computed by the launcher.
 */
class ProductionShapeTest {
  private static final Path DATA = Path.of("/data");
  private static final Map<String, String> SHELL = Map.of("BUDGET_ADMIN_TOKEN", "a-token-from-the-shell",
      "MR_WORKER_SIMULATE", "auto");
  /** kafka-N's PLAINTEXT port 9092 and CONTROLLER port 9093 (unpublished: 20000 + 100 x its place + last digits). */
  private static final String BOOTSTRAP = "localhost:20192,localhost:20292,localhost:20392";
  private static final String VOTERS = "1@localhost:20193,2@localhost:20293,3@localhost:20393";

  private final JsonNode compose = ProductionShape.read(ProjectFiles.root().resolve("docker-compose.yml"));
  private final List<ProductionShape.Proc> plan = ProductionShape.plan(compose, DATA, SHELL, Map.of(), 2);

  private ProductionShape.Proc proc(String name) {
    return plan.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow(() -> new AssertionError(
        "no process " + name + " in " + plan.stream().map(ProductionShape.Proc::name).toList()));
  }

  private Map<String, String> composeEnvironment(String service) {
    Map<String, String> env = new TreeMap<>();
    compose.path("services").path(service).path("environment").fields()
        .forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    return env;
  }

  @Test
  void everyContainerIsAProcessAndEveryServiceRunsTwiceButTheSingleWriter() {
    assertThat(plan.stream().map(ProductionShape.Proc::name).toList()).containsExactly("kafka-1", "kafka-2",
        "kafka-3", "schema-registry", "router-1", "router-2", "worker-1", "worker-2", "usage-aggregator-1",
        "usage-aggregator-2", "learner-1", "learner-2", "budget-service-1");
  }

  @Test
  void brokersGetTheirContainersVariablesWithHostAddressesAndTheirVolume() {
    for (int n = 1; n <= 3; n++) {
      Map<String, String> env = proc("kafka-" + n).environment();
      Map<String, String> expected = new TreeMap<>(composeEnvironment("kafka-" + n));
      expected.put("KAFKA_CONTROLLER_QUORUM_VOTERS", VOTERS);
      expected.put("KAFKA_LISTENERS", "PLAINTEXT://:20" + n + "92,CONTROLLER://:20" + n + "93,EXTERNAL://:" + n
          + "9092");
      expected.put("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:20" + n + "92,EXTERNAL://localhost:" + n
          + "9092");
      expected.put("KAFKA_LOG_DIRS", "/data/kafka-" + n + "-data");
      assertThat(env).as("kafka-" + n).isEqualTo(expected);
      // replication 3, min ISR 2: as the compose file says
      assertThat(env).containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3").containsEntry("KAFKA_MIN_INSYNC_REPLICAS",
          "2");
    }
  }

  @Test
  void theRegistryListensWhereItIsPublishedAndStoresInTheThreeBrokers() {
    Map<String, String> expected = new TreeMap<>(composeEnvironment("schema-registry"));
    expected.put("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS",
        "PLAINTEXT://localhost:20192,PLAINTEXT://localhost:20292,PLAINTEXT://localhost:20392");
    assertThat(proc("schema-registry").environment()).isEqualTo(expected);
  }

  @Test
  void servicesGetTheirContainersVariablesAndOnlyWhatAProcessCannotShare() {
    Map<String, Map<String, String>> own = Map.of(
        "router-1", Map.of("MR_ROUTER_STATE_DIR", "/data/router-1/state"),
        "router-2", Map.of("MR_ROUTER_STATE_DIR", "/data/router-2/state", "MR_ROUTER_METRICS_PORT", "9411"),
        "worker-1", Map.of("MR_WORKER_INSTANCE_ID", "worker-model-router-worker-1"),
        "worker-2", Map.of("MR_WORKER_INSTANCE_ID", "worker-model-router-worker-2", "MR_WORKER_METRICS_PORT", "9412"),
        "usage-aggregator-1", Map.of("MR_AGGREGATOR_STATE_DIR", "/data/usage-aggregator-1/state"),
        "usage-aggregator-2", Map.of("MR_AGGREGATOR_STATE_DIR", "/data/usage-aggregator-2/state",
            "MR_AGGREGATOR_METRICS_PORT", "9413"),
        "learner-1", Map.of("MR_LEARNER_STATE_DIR", "/data/learner-1/state"),
        "learner-2", Map.of("MR_LEARNER_STATE_DIR", "/data/learner-2/state", "MR_LEARNER_METRICS_PORT", "9414"),
        "budget-service-1", Map.of());
    Set<String> checked = new HashSet<>();
    own.forEach((name, additions) -> {
      ProductionShape.Proc proc = proc(name);
      Map<String, String> expected = new TreeMap<>(composeEnvironment(proc.service()));
      expected.put("MR_KAFKA_BOOTSTRAP_SERVERS", BOOTSTRAP);
      expected.put("MR_SCHEMA_REGISTRY_URL", "http://localhost:8081");
      // compose's interpolation from the shell
      expected.replaceAll((key, value) -> value
          .replace("${MR_WORKER_SIMULATE:-none}", "auto")
          .replace("${BUDGET_ADMIN_TOKEN:?export BUDGET_ADMIN_TOKEN (a long random token) before docker compose}",
              "a-token-from-the-shell")
          .replace("${BUDGET_TEAM_TOKENS:-}", ""));
      expected.putAll(additions);
      assertThat(proc.environment()).as(name).isEqualTo(expected);
      checked.add(name);
    });
    assertThat(checked).isEqualTo(plan.stream().filter(p -> p.environment().containsKey("MR_KAFKA_BOOTSTRAP_SERVERS"))
        .map(ProductionShape.Proc::name).collect(Collectors.toSet()));
  }

  @Test
  void aPartitionRunGivesEachBrokerAListenerPerVictimAndTheVictimsOnlyBootstrapThroughTheirProxies() {
    List<ProductionShape.Proc> partitioned = ProductionShape.partitioned(plan, List.of("router-1", "worker-1"));
    Map<String, ProductionShape.Proc> byName = partitioned.stream()
        .collect(Collectors.toMap(ProductionShape.Proc::name, p -> p));
    for (int n = 1; n <= 3; n++) {
      Map<String, String> expected = new TreeMap<>(proc("kafka-" + n).environment());
      // victim 0 (router-1) listens on 20n50, advertised at its proxy 20n70; victim 1 (worker-1) on 20n51 and 20n71
      expected.put("KAFKA_LISTENERS", expected.get("KAFKA_LISTENERS") + ",VICTIM0://:20" + n + "50,VICTIM1://:20" + n
          + "51");
      expected.put("KAFKA_ADVERTISED_LISTENERS", expected.get("KAFKA_ADVERTISED_LISTENERS")
          + ",VICTIM0://localhost:20" + n + "70,VICTIM1://localhost:20" + n + "71");
      expected.put("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", expected.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
          + ",VICTIM0:PLAINTEXT,VICTIM1:PLAINTEXT");
      assertThat(byName.get("kafka-" + n).environment()).as("kafka-" + n).isEqualTo(expected);
    }
    Map<String, String> router = new TreeMap<>(proc("router-1").environment());
    router.put("MR_KAFKA_BOOTSTRAP_SERVERS", "localhost:20170,localhost:20270,localhost:20370");
    assertThat(byName.get("router-1").environment()).isEqualTo(router);
    Map<String, String> worker = new TreeMap<>(proc("worker-1").environment());
    worker.put("MR_KAFKA_BOOTSTRAP_SERVERS", "localhost:20171,localhost:20271,localhost:20371");
    assertThat(byName.get("worker-1").environment()).isEqualTo(worker);
    for (String other : List.of("schema-registry", "router-2", "worker-2", "usage-aggregator-1", "learner-1",
        "budget-service-1")) {
      assertThat(byName.get(other).environment()).as(other).isEqualTo(proc(other).environment());
    }
  }

  @Test
  void composeInterpolationIsCompose() {
    assertThat(ProductionShape.interpolate("${A:-x}", Map.of())).isEqualTo("x");
    assertThat(ProductionShape.interpolate("${A:-x}", Map.of("A", ""))).isEqualTo("x");
    assertThat(ProductionShape.interpolate("${A-x}", Map.of("A", ""))).isEqualTo("");
    assertThat(ProductionShape.interpolate("${A:-x}", Map.of("A", "y"))).isEqualTo("y");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProductionShape.interpolate("${A:?set A}", Map.of()))
        .hasMessage("A: set A");
  }
}
