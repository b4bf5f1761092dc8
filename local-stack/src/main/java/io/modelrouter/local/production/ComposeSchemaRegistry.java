package io.modelrouter.local.production;

import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import java.net.URI;
import java.util.Map;

/**
 * The schema registry of the production shape run as processes: Confluent's image does not run here (and its jars
 * do not resolve), so model-router's embedded registry stands in, configured from the same
 * {@code SCHEMA_REGISTRY_*} variables docker-compose.yml gives Confluent's: the listener's port, the Kafka store's
 * bootstrap servers ({@code PLAINTEXT://} dropped). Its {@code _schemas} topic takes the brokers' default replication
 * (3 in the production shape); compatibility is BACKWARD, as the variables ask.
 */
public final class ComposeSchemaRegistry {
  private ComposeSchemaRegistry() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> environment = System.getenv();
    String bootstrap = environment.get("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS").replace("PLAINTEXT://", "");
    int port = URI.create(environment.get("SCHEMA_REGISTRY_LISTENERS").split(",")[0]).getPort();
    EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(bootstrap).host("0.0.0.0").port(port).build();
    Runtime.getRuntime().addShutdownHook(new Thread(registry::close));
    System.out.println("schema registry ready at " + registry.url());
    Thread.currentThread().join();
  }
}
