package io.modelrouter.client;

import io.modelrouter.client.internal.KafkaClients;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Configures a {@link RouterClient}. Required: {@link #bootstrapServers} and {@link #schemaRegistryUrl} (or
 * {@link #settings}). Everything else has a default.
 */
public final class RouterClientBuilder {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  String bootstrapServers;
  private final Map<String, Object> registry = new HashMap<>();
  private String topicPrefix = "";
  final Map<String, Object> kafkaProperties = new HashMap<>();
  Duration defaultTimeout = RouterClient.DEFAULT_TIMEOUT;
  boolean deadlineFromTimeout = true;
  Executor callbackExecutor;
  private String clientId = "";
  Duration partitionRefresh = Duration.ofSeconds(30);
  Clock clock = Clock.systemUTC();
  KafkaClients clients = KafkaClients.KAFKA;

  RouterClientBuilder() {}

  /** Kafka's {@code bootstrap.servers}, e.g. {@code localhost:9092}. */
  public RouterClientBuilder bootstrapServers(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
    return this;
  }

  /** The schema registry URL(s), comma-separated; {@code mock://<scope>} gives an in-memory registry. */
  public RouterClientBuilder schemaRegistryUrl(String url) {
    registry.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, url);
    return this;
  }

  /**
   * A serde setting under Confluent's key, e.g. {@code basic.auth.credentials.source} and
   * {@code basic.auth.user.info}, {@code bearer.auth.token}, {@code http.read.timeout.ms}.
   */
  public RouterClientBuilder schemaRegistryProperty(String key, Object value) {
    registry.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /** The prefix of every topic name, as the services' {@code topics.prefix} (default none). */
  public RouterClientBuilder topicPrefix(String prefix) {
    this.topicPrefix = Objects.requireNonNull(prefix, "prefix");
    return this;
  }

  /**
   * A property for the client's producer and consumers (security, SASL, {@code max.block.ms},
   * {@code delivery.timeout.ms} ...); it overrides the client's defaults, except {@code isolation.level},
   * {@code group.id} and offset commits, which the client's correctness depends on. {@code acks} other than
   * {@code all} and {@code enable.idempotence=false} are refused: {@link #build()} throws
   * {@link IllegalArgumentException} naming the property.
   */
  public RouterClientBuilder kafkaProperty(String key, Object value) {
    kafkaProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /** Several {@link #kafkaProperty}s. */
  public RouterClientBuilder kafkaProperties(Map<String, ?> properties) {
    properties.forEach(this::kafkaProperty);
    return this;
  }

  /** The timeout of {@code submit(request)} and {@code submitAll(requests)} (default 2 min). */
  public RouterClientBuilder defaultTimeout(Duration timeout) {
    this.defaultTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * Whether a request without a deadline gets submit time + timeout as its deadline (default true). Turn it off
   * when the worker's clock cannot be trusted to within the timeout.
   */
  public RouterClientBuilder deadlineFromTimeout(boolean enabled) {
    this.deadlineFromTimeout = enabled;
    return this;
  }

  /** Where futures complete (default: a virtual thread each, owned and shut down by the client). */
  public RouterClientBuilder callbackExecutor(Executor executor) {
    this.callbackExecutor = Objects.requireNonNull(executor, "executor");
    return this;
  }

  /**
   * Prefix of the Kafka client ids ({@code <id>-producer}, {@code <id>-results}, {@code <id>-alerts}) and thread
   * names (default: a {@code client.id} Kafka property, else {@code router-client-<n>}).
   */
  public RouterClientBuilder clientId(String clientId) {
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    return this;
  }

  /** How often the client looks for partitions added to the topics it reads (default 30 s). */
  public RouterClientBuilder partitionRefreshInterval(Duration interval) {
    this.partitionRefresh = Objects.requireNonNull(interval, "interval");
    return this;
  }

  /**
   * Everything {@link Settings} holds for a client: {@code kafka.bootstrap.servers}, {@code schema.registry.url}
   * and its credentials, {@code topics.prefix}, {@code kafka.*} properties and {@link ClientSettings}.
   */
  public RouterClientBuilder settings(Settings settings) {
    bootstrapServers(settings.get(CommonSettings.BOOTSTRAP_SERVERS));
    registry.putAll(CommonSettings.serdeConfig(settings).toMap());
    topicPrefix(settings.get(CommonSettings.TOPIC_PREFIX));
    kafkaProperties(settings.kafkaOverrides());
    defaultTimeout(settings.get(ClientSettings.TIMEOUT));
    deadlineFromTimeout(settings.get(ClientSettings.DEADLINE_FROM_TIMEOUT));
    clientId(settings.get(ClientSettings.CLIENT_ID));
    return this;
  }

  RouterClientBuilder clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
    return this;
  }

  RouterClientBuilder kafkaClients(KafkaClients clients) {
    this.clients = Objects.requireNonNull(clients);
    return this;
  }

  /**
   * Builds the client: connects, resolves the end of every partition of {@code llm.results}, then returns.
   *
   * @throws IllegalArgumentException if a setting is missing or invalid (the message names it and what was given),
   *     or a Kafka property would turn off acks=all or idempotence
   * @throws IllegalStateException if the results topic does not exist or the broker cannot be reached in time
   */
  public RouterClient build() {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrapServers is required (e.g. localhost:9092), got '"
          + bootstrapServers + "'");
    }
    if (defaultTimeout.isZero() || defaultTimeout.isNegative()) {
      throw new IllegalArgumentException("defaultTimeout must be positive, got " + defaultTimeout);
    }
    if (partitionRefresh.isNegative() || partitionRefresh.isZero()) {
      throw new IllegalArgumentException("partitionRefreshInterval must be positive, got " + partitionRefresh);
    }
    return new RouterClient(this);
  }

  String clientId() {
    Object kafkaClientId = kafkaProperties.get("client.id");
    if (!clientId.isBlank()) {
      return clientId;
    }
    return kafkaClientId != null ? kafkaClientId.toString() : "router-client-" + SEQUENCE.incrementAndGet();
  }

  Topics topics() {
    return Topics.create(TopicsConfig.builder()
        .serde(AvroSerdeConfig.from(registry))
        .prefix(topicPrefix)
        .build());
  }
}
