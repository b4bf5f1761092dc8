package io.modelrouter.client.internal;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The client's Kafka properties: its defaults, then the caller's extra properties, then what correctness needs
 * (which the caller cannot override): read_committed, no consumer group, no offset commits.
 */
public final class ClientConfigs {
  private final String bootstrapServers;
  private final Map<String, Object> extra;
  private final String clientId;

  public ClientConfigs(String bootstrapServers, Map<String, Object> extra, String clientId) {
    this.bootstrapServers = bootstrapServers;
    Map<String, Object> copy = new HashMap<>(extra);
    copy.remove(ProducerConfig.CLIENT_ID_CONFIG);   // already the prefix of clientId: each client gets a suffix
    this.extra = Map.copyOf(copy);
    this.clientId = clientId;
  }

  /** Idempotent, acks=all, a short linger so that a batch's requests share produce requests. */
  public Map<String, Object> producer() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-producer");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    config.putAll(extra);
    config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    return config;
  }

  /**
   * A consumer reading assigned partitions: read_committed (the worker writes results in transactions; an aborted
   * one must never complete a future), no group, nothing committed. {@code earliest} applies only when a position
   * becomes invalid (retention deleted unread records): reading more is harmless, missing results is not.
   */
  public Map<String, Object> consumer(String role) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId + "-" + role);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(extra);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return config;
  }
}
