package io.modelrouter.local.production;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;

/**
 * A Kafka node configured as the {@code apache/kafka} image configures one: every {@code KAFKA_*} variable is a
 * server property ({@code KAFKA_} dropped, lower case, {@code ___} for {@code -}, {@code __} for {@code _}, {@code _}
 * for {@code .}), and {@code CLUSTER_ID} formats the log directory the first time. The production shape's launcher
 * ({@link ProductionShape}) runs one per {@code kafka-N} service of docker-compose.yml, as its own JVM.
 */
public final class ComposeKafkaNode {
  private ComposeKafkaNode() {}

  /** The server properties the image would derive from these variables. */
  static Properties properties(Map<String, String> environment) {
    Properties props = new Properties();
    environment.forEach((name, value) -> {
      if (name.startsWith("KAFKA_")) {
        String key = name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT)
            .replace("___", "\u0000").replace("__", "\u0001").replace('_', '.')
            .replace('\u0000', '-').replace('\u0001', '_');
        props.put(key, value);
      }
    });
    return props;
  }

  public static void main(String[] args) throws IOException {
    Map<String, String> environment = System.getenv();
    Properties props = properties(environment);
    String clusterId = environment.get("CLUSTER_ID");
    Path logDir = Path.of(props.getProperty("log.dirs").split(",")[0]);
    Files.createDirectories(logDir);
    if (!Files.exists(logDir.resolve("meta.properties"))) {
      Path file = logDir.resolveSibling(logDir.getFileName() + ".server.properties");
      try (OutputStream out = Files.newOutputStream(file)) {
        props.store(out, "from the KAFKA_* variables, as the apache/kafka image writes them");
      }
      ByteArrayOutputStream output = new ByteArrayOutputStream();
      int exit = kafka.tools.StorageTool.execute(new String[] {"format", "--ignore-formatted", "-t", clusterId, "-c",
          file.toString()}, new PrintStream(output, true, StandardCharsets.UTF_8));
      if (exit != 0) {
        throw new IllegalStateException("formatting " + logDir + " failed (exit " + exit + "): "
            + output.toString(StandardCharsets.UTF_8));
      }
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
    server.startup();
    System.out.println("kafka node " + props.getProperty("node.id") + " started");
    server.awaitShutdown();
  }
}
