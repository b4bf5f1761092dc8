package io.modelrouter.client.internal;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The client's Kafka properties: its defaults, then the caller's extra properties, then what correctness needs
 * (which the caller cannot override): read_committed, no consumer group, no offset commits; and for the producer
 * acks=all with idempotence, which a caller's property may not weaken: one that tries is refused at build time.
 */
public final class ClientConfigs {
  /**
   * Producer properties the client's guarantees rest on, with the values that keep them: without acks=all a
   * request acknowledged to the caller can be lost with a broker, without idempotence a retry can write it twice
   * (and the provider would be called, and bill, twice). An {@code MR_KAFKA_ACKS} meant for another program must not
   * silently weaken the client, so a conflicting value is an error rather than ignored.
   */
  private static final Map<String, Set<String>> PRODUCER_GUARANTEES = Map.of(
      ProducerConfig.ACKS_CONFIG, Set.of("all", "-1"),
      ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Set.of("true"));

  private final String bootstrapServers;
  private final Map<String, Object> extra;
  private final String clientId;

  /** @throws IllegalArgumentException if {@code extra} would turn off acks=all or idempotence */
  public ClientConfigs(String bootstrapServers, Map<String, Object> extra, String clientId) {
    PRODUCER_GUARANTEES.forEach((key, allowed) -> {
      Object value = extra.get(key);
      if (value != null && !allowed.contains(value.toString().trim().toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("Kafka property " + key + "=" + value + " is refused: the client's producer "
            + "needs acks=all and enable.idempotence=true so that no request is lost or sent twice; remove it "
            + "(kafkaProperty, or MR_KAFKA_" + key.toUpperCase(Locale.ROOT).replace('.', '_') + " with "
            + "fromSettings)");
      }
    });
    this.bootstrapServers = bootstrapServers;
    Map<String, Object> copy = new HashMap<>(extra);
    copy.remove(ProducerConfig.CLIENT_ID_CONFIG);   // already the prefix of clientId: each client gets a suffix
    this.extra = Map.copyOf(copy);
    this.clientId = clientId;
  }

  /** Idempotent, acks=all (whatever the caller passed), a short linger so that a batch's requests share requests. */
  public Map<String, Object> producer() {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-producer");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    config.putAll(extra);
    config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
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
