package io.modelrouter.embedded.internal;

import io.modelrouter.embedded.EmbeddedKafka;
import io.modelrouter.embedded.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One combined KRaft node whose data lives in a directory: formatted the first time (with a cluster id kept in
 * the directory), started as is afterwards, on fixed ports, so that topics and offsets survive a restart.
 */
public final class StandaloneKafkaNode implements EmbeddedKafka {
  private static final Logger LOG = LoggerFactory.getLogger(StandaloneKafkaNode.class);
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private volatile boolean running = true;

  private StandaloneKafkaNode(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  public static StandaloneKafkaNode start(Path dataDirectory, int port, int controllerPort,
      Map<String, String> overrides) {
    long started = System.nanoTime();
    try {
      Files.createDirectories(dataDirectory);
      Path logDir = dataDirectory.resolve("kafka-logs");
      int clientPort = port == 0 ? FreePorts.any() : port;
      int quorumPort = controllerPort != 0 ? controllerPort : port == 0 ? FreePorts.any() : port + 1;
      Properties props = new Properties();
      props.put("process.roles", "broker,controller");
      props.put("node.id", Integer.toString(NODE_ID));
      props.put("listeners", "PLAINTEXT://localhost:" + clientPort + ",CONTROLLER://localhost:" + quorumPort);
      props.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPort);
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      props.put("controller.listener.names", "CONTROLLER");
      props.put("inter.broker.listener.name", "PLAINTEXT");
      props.put("controller.quorum.bootstrap.servers", "localhost:" + quorumPort);
      props.put("log.dirs", logDir.toString());
      props.putAll(overrides);

      Path propertiesFile = dataDirectory.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(propertiesFile)) {
        props.store(out, "written by model-router's embedded Kafka at every start");
      }
      formatOnce(dataDirectory, logDir, propertiesFile);

      KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      String bootstrap = "localhost:" + clientPort;
      awaitReady(bootstrap, Duration.ofSeconds(60));
      LOG.info("Embedded Kafka (persistent, {}) ready at {} in {} ms", dataDirectory, bootstrap,
          (System.nanoTime() - started) / 1_000_000);
      return new StandaloneKafkaNode(server, bootstrap);
    } catch (IOException e) {
      throw new UncheckedIOException("embedded Kafka could not use " + dataDirectory + ": " + e.getMessage(), e);
    }
  }

  private static void formatOnce(Path dataDirectory, Path logDir, Path propertiesFile) throws IOException {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    Path clusterIdFile = dataDirectory.resolve("cluster.id");
    String clusterId = Files.exists(clusterIdFile)
        ? Files.readString(clusterIdFile).trim()
        : Uuid.randomUuid().toString();
    Files.writeString(clusterIdFile, clusterId);
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit = kafka.tools.StorageTool.execute(new String[] {
        "format", "--standalone", "--ignore-formatted", "-t", clusterId, "-c", propertiesFile.toString()},
        new PrintStream(output, true, StandardCharsets.UTF_8));
    if (exit != 0) {
      throw new IllegalStateException("formatting " + logDir + " failed (exit " + exit + "): "
          + output.toString(StandardCharsets.UTF_8));
    }
  }

  private static void awaitReady(String bootstrap, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(props)) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (Instant.now().isAfter(deadline)) {
            throw new IllegalStateException("embedded Kafka at " + bootstrap + " not ready within " + timeout, e);
          }
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for embedded Kafka", e);
    }
  }

  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public Set<Integer> runningBrokers() {
    return running ? Set.of(NODE_ID) : Set.of();
  }

  @Override
  public void stopBroker(int brokerId) {
    if (brokerId != NODE_ID) {
      throw new IllegalArgumentException("no broker " + brokerId + "; the only broker is " + NODE_ID);
    }
    close();
  }

  @Override
  public void startBroker(int brokerId) {
    throw new UnsupportedOperationException("a persistent node is started again by building it again on its data "
        + "directory");
  }

  @Override
  public void close() {
    if (running) {
      running = false;
      server.shutdown();
      server.awaitShutdown();
      LOG.info("Embedded Kafka at {} stopped", bootstrapServers);
    }
  }
}
