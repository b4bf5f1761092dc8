package io.modelrouter.embedded.junit;

/**
 * The images {@code -Dstack=containers} runs, pinned here and nowhere else in the tests: the same tags as
 * {@code docker-compose.yml} (local-stack's {@code ContainerImagesTest} fails when they differ).
 */
public final class ContainerImages {
  private ContainerImages() {}

  /** Apache Kafka in KRaft mode, the version the project builds against. */
  public static final String KAFKA = "apache/kafka:4.4.0";
  /** Confluent's schema registry, the one the compose file deploys. */
  public static final String SCHEMA_REGISTRY = "confluentinc/cp-schema-registry:8.1.1";
  /** The port the schema registry listens on inside its container. */
  public static final int SCHEMA_REGISTRY_PORT = 8081;
  /** The Kafka container's listener on the containers' network, where the registry finds its {@code _schemas}. */
  public static final String KAFKA_NETWORK_LISTENER = "kafka:19092";

  /**
   * The registry container's environment: what the compose file sets, with one broker instead of three (its
   * {@code _schemas} topic replicated once). {@code ContainerImagesTest} holds it against the compose file.
   */
  public static final java.util.Map<String, String> SCHEMA_REGISTRY_ENV = java.util.Map.of(
      "SCHEMA_REGISTRY_HOST_NAME", "schema-registry",
      "SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:" + SCHEMA_REGISTRY_PORT,
      "SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://" + KAFKA_NETWORK_LISTENER,
      "SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR", "1",
      "SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "backward");
  /** The path the registry's readiness is checked on, as the compose file's health check does. */
  public static final String SCHEMA_REGISTRY_HEALTH_PATH = "/subjects";
}
