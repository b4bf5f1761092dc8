package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.modelrouter.embedded.junit.ContainerImages;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code -Dstack=containers} runs is what {@code docker-compose.yml} deploys: the same image tags, and the
 * registry configured the same way (one broker instead of three). No Docker engine needed.
 */
class ContainerImagesTest {
  private static JsonNode services;

  @BeforeAll
  static void read() throws IOException {
    services = new ObjectMapper(new YAMLFactory()).readTree(ProjectFiles.root().resolve("docker-compose.yml")
        .toFile()).get("services");
  }

  @Test
  void theKafkaImageIsTheOneEveryComposeBrokerRunsAndTheVersionTheBuildUses() throws IOException {
    for (String broker : new String[] {"kafka-1", "kafka-2", "kafka-3"}) {
      assertThat(services.get(broker).get("image").asText()).as(broker).isEqualTo(ContainerImages.KAFKA);
    }
    assertThat(ContainerImages.KAFKA).isEqualTo("apache/kafka:" + kafkaVersion());
  }

  /** The version of the Kafka clients on the classpath, as their jar states it. */
  private static String kafkaVersion() throws IOException {
    java.util.Properties properties = new java.util.Properties();
    try (var in = org.apache.kafka.clients.producer.KafkaProducer.class
        .getResourceAsStream("/kafka/kafka-version.properties")) {
      properties.load(in);
    }
    return properties.getProperty("version");
  }

  @Test
  void theRegistryImageAndItsSettingsAreTheComposeFiles() {
    JsonNode registry = services.get("schema-registry");
    assertThat(registry.get("image").asText()).isEqualTo(ContainerImages.SCHEMA_REGISTRY);
    Map<String, String> compose = new TreeMap<>();
    registry.get("environment").fields().forEachRemaining(e -> compose.put(e.getKey(), e.getValue().asText()));
    Map<String, String> containers = new TreeMap<>(ContainerImages.SCHEMA_REGISTRY_ENV);
    assertThat(containers.keySet()).isEqualTo(compose.keySet());
    // Where the _schemas topic lives and how often it is replicated follow from one broker instead of three
    for (String key : new String[] {"SCHEMA_REGISTRY_HOST_NAME", "SCHEMA_REGISTRY_LISTENERS",
        "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL"}) {
      assertThat(containers.get(key)).as(key).isEqualTo(compose.get(key));
    }
    assertThat(compose.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS")).startsWith("PLAINTEXT://");
    assertThat(containers.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"))
        .isEqualTo("PLAINTEXT://" + ContainerImages.KAFKA_NETWORK_LISTENER);
    assertThat(registry.get("ports").get(0).asText()).endsWith(":" + ContainerImages.SCHEMA_REGISTRY_PORT);
    assertThat(registry.get("healthcheck").get("test").toString())
        .contains("localhost:" + ContainerImages.SCHEMA_REGISTRY_PORT + ContainerImages.SCHEMA_REGISTRY_HEALTH_PATH);
  }
}
