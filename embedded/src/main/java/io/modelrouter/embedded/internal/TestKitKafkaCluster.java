package io.modelrouter.embedded.internal;

import io.modelrouter.embedded.EmbeddedKafka;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An ephemeral cluster on Kafka's test kit. */
public final class TestKitKafkaCluster implements EmbeddedKafka {
  private static final Logger LOG = LoggerFactory.getLogger(TestKitKafkaCluster.class);

  private final KafkaClusterTestKit cluster;
  private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();

  private TestKitKafkaCluster(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static TestKitKafkaCluster start(int brokers, Map<String, String> properties) {
    long started = System.nanoTime();
    KafkaClusterTestKit cluster = null;
    try {
      // A single node runs combined; several brokers get one separate controller (combined 3-node mode fails).
      TestKitNodes nodes = new TestKitNodes.Builder()
          .setCombined(brokers == 1)
          .setNumBrokerNodes(brokers)
          .setNumControllerNodes(1)
          .build();
      KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
      properties.forEach(builder::setConfigProp);
      cluster = builder.build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      LOG.info("Embedded Kafka ({} broker(s)) ready at {} in {} ms", brokers, cluster.bootstrapServers(),
          (System.nanoTime() - started) / 1_000_000);
      return new TestKitKafkaCluster(cluster);
    } catch (Exception e) {
      if (cluster != null) {
        try {
          cluster.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("embedded Kafka did not start: " + e, e);
    }
  }

  @Override
  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  @Override
  public Set<Integer> runningBrokers() {
    Set<Integer> running = new TreeSet<>(cluster.brokers().keySet());
    running.removeAll(stopped);
    return running;
  }

  @Override
  public void stopBroker(int brokerId) {
    var broker = cluster.brokers().get(brokerId);
    if (broker == null) {
      throw new IllegalArgumentException("no broker " + brokerId + "; brokers are " + cluster.brokers().keySet());
    }
    if (stopped.add(brokerId)) {
      broker.shutdown();
      broker.awaitShutdown();
      LOG.info("Embedded Kafka broker {} stopped", brokerId);
    }
  }

  @Override
  public void startBroker(int brokerId) {
    var broker = cluster.brokers().get(brokerId);
    if (broker == null) {
      throw new IllegalArgumentException("no broker " + brokerId + "; brokers are " + cluster.brokers().keySet());
    }
    if (!stopped.contains(brokerId)) {
      throw new IllegalStateException("broker " + brokerId + " is running");
    }
    broker.startup();
    try {
      cluster.waitForReadyBrokers();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("broker " + brokerId + " did not become ready: " + e, e);
    }
    stopped.remove(brokerId);
    LOG.info("Embedded Kafka broker {} started again", brokerId);
  }

  @Override
  public void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("closing embedded Kafka failed: " + e, e);
    }
  }
}
