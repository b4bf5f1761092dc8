package io.modelrouter.embedded.junit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;

/**
 * {@code apache/kafka} (KRaft) and {@code confluentinc/cp-schema-registry} in containers on a network of their own,
 * for {@code -Dstack=containers}. Only this class touches Testcontainers, which the build puts on the test classpath
 * with the {@code containers} profile (activated by the same property); {@link KafkaStack} loads it by name.
 */
public final class ContainerStack implements AutoCloseable {
  static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);

  private final Network network;
  private final KafkaContainer kafka;
  private final GenericContainer<?> registry;

  private ContainerStack(Network network, KafkaContainer kafka, GenericContainer<?> registry) {
    this.network = network;
    this.kafka = kafka;
    this.registry = registry;
  }

  /** Starts both containers, or fails at once with one line when no Docker engine answers. */
  static ContainerStack start() {
    requireDocker();
    Network network = Network.newNetwork();
    String listenerHost = ContainerImages.KAFKA_NETWORK_LISTENER.substring(0,
        ContainerImages.KAFKA_NETWORK_LISTENER.indexOf(':'));
    KafkaContainer kafka = new KafkaContainer(ContainerImages.KAFKA)
        .withNetwork(network)
        .withNetworkAliases(listenerHost)
        .withListener(ContainerImages.KAFKA_NETWORK_LISTENER)
        .withStartupTimeout(STARTUP_TIMEOUT);
    GenericContainer<?> registry = new GenericContainer<>(ContainerImages.SCHEMA_REGISTRY)
        .withNetwork(network)
        .withNetworkAliases("schema-registry")
        .withExposedPorts(ContainerImages.SCHEMA_REGISTRY_PORT)
        .withEnv(ContainerImages.SCHEMA_REGISTRY_ENV)
        .dependsOn(kafka)
        .waitingFor(Wait.forHttp(ContainerImages.SCHEMA_REGISTRY_HEALTH_PATH).forStatusCode(200))
        .withStartupTimeout(STARTUP_TIMEOUT);
    try {
      kafka.start();
      registry.start();
    } catch (RuntimeException e) {
      registry.stop();
      kafka.stop();
      network.close();
      throw e;
    }
    return new ContainerStack(network, kafka, registry);
  }

  /** Fails with one line unless a Docker engine answers: what every container test checks first. */
  public static void requireDocker() {
    requireDocker(() -> DockerClientFactory.instance().isDockerAvailable());
  }

  /** One clear line instead of a hang or a skip when {@code -Dstack=containers} has no Docker to run on. */
  static void requireDocker(BooleanSupplier dockerAvailable) {
    if (!dockerAvailable.getAsBoolean()) {
      throw new IllegalStateException("-Dstack=containers needs a Docker engine and none answers (DOCKER_HOST, "
          + "/var/run/docker.sock or ~/.testcontainers.properties); run without -Dstack for the in-process broker and "
          + "registry");
    }
  }

  String bootstrapServers() {
    return kafka.getBootstrapServers();
  }

  String registryUrl() {
    return "http://" + registry.getHost() + ":" + registry.getMappedPort(ContainerImages.SCHEMA_REGISTRY_PORT);
  }

  @Override
  public void close() {
    registry.stop();
    kafka.stop();
    network.close();
  }
}
