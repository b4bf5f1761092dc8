package io.modelrouter.embedded;

import io.modelrouter.embedded.internal.StandaloneKafkaNode;
import io.modelrouter.embedded.internal.TestKitKafkaCluster;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An in-process KRaft Kafka cluster.
 *
 * <ul>
 *   <li>Ephemeral (the default): Kafka's own test kit ({@code KafkaClusterTestKit}), 1 combined node, or N brokers
 *       with a separate controller (3-node combined mode does not start in 4.1, KAFKA-19867), random ports, data
 *       in a temporary directory deleted on close.
 *   <li>Persistent ({@link Builder#dataDirectory}): one combined node started as a {@code KafkaRaftServer} on fixed
 *       ports, formatted only the first time, so topics and offsets survive a restart (the local stack). The test
 *       kit cannot do this: it re-formats its directories on every start.
 * </ul>
 *
 * <p>Both run exactly_once_v2 on a single broker: the offsets and transaction state topics get a replication
 * factor and min ISR that the broker count can satisfy.
 */
public interface EmbeddedKafka extends AutoCloseable {

  /** {@code host:port,...} of the brokers. */
  String bootstrapServers();

  /** Ids of the brokers that are running. */
  Set<Integer> runningBrokers();

  /** Stops one broker (a controlled shutdown); the others keep serving. */
  void stopBroker(int brokerId);

  /** Starts a broker stopped by {@link #stopBroker} again, with its data; returns once it is serving. */
  void startBroker(int brokerId);

  @Override
  void close();

  static Builder builder() {
    return new Builder();
  }

  /** Starts a one-node ephemeral cluster. */
  static EmbeddedKafka start() {
    return builder().build();
  }

  final class Builder {
    private int brokers = 1;
    private Path dataDirectory;
    private int port = 0;
    private int controllerPort = 0;
    private final Map<String, String> brokerProperties = new HashMap<>();

    /** Number of brokers of an ephemeral cluster (default 1). */
    public Builder brokers(int brokers) {
      if (brokers < 1) {
        throw new IllegalArgumentException("brokers must be >= 1, got " + brokers);
      }
      this.brokers = brokers;
      return this;
    }

    /** Keeps the data in this directory across restarts (one node, fixed ports). */
    public Builder dataDirectory(Path dataDirectory) {
      this.dataDirectory = Objects.requireNonNull(dataDirectory);
      return this;
    }

    /** The client port of a persistent node (default: a free port). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The controller port of a persistent node; must stay the same across restarts (default: port + 1). */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = controllerPort;
      return this;
    }

    /** A broker setting, e.g. {@code log.retention.hours}. */
    public Builder brokerProperty(String key, String value) {
      brokerProperties.put(key, value);
      return this;
    }

    /** Builds and starts the cluster; returns when every broker is ready. */
    public EmbeddedKafka build() {
      Map<String, String> properties = new HashMap<>(defaults(dataDirectory != null ? 1 : brokers));
      properties.putAll(brokerProperties);
      if (dataDirectory != null) {
        if (brokers != 1) {
          throw new IllegalArgumentException("a persistent cluster has exactly one node, got brokers=" + brokers);
        }
        return StandaloneKafkaNode.start(dataDirectory, port, controllerPort, properties);
      }
      if (port != 0) {
        throw new IllegalArgumentException("a fixed port needs a data directory (persistent mode)");
      }
      return TestKitKafkaCluster.start(brokers, properties);
    }

    private static Map<String, String> defaults(int brokers) {
      String replication = Integer.toString(Math.min(3, brokers));
      return Map.of(
          "offsets.topic.replication.factor", replication,
          "transaction.state.log.replication.factor", replication,
          "transaction.state.log.min.isr", Integer.toString(Math.min(2, brokers)),
          "group.initial.rebalance.delay.ms", "0",
          "auto.create.topics.enable", "false",
          "offsets.topic.num.partitions", "8",
          "transaction.state.log.num.partitions", "8",
          // a transaction left open by a killed producer is aborted within a second of its timeout, not ten
          "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
    }
  }
}
