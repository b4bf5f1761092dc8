package io.modelrouter.config;

import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.admin.Admin;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Settings every service reads: where Kafka and the registry are, and how topics are named and created. */
public final class CommonSettings {
  public static final Setting<String> BOOTSTRAP_SERVERS = Setting.string("kafka.bootstrap.servers",
      "localhost:9092", "Kafka bootstrap servers.").nonEmpty();
  public static final Setting<String> SCHEMA_REGISTRY_URL = Setting.string("schema.registry.url",
      "http://localhost:8081", "Schema registry URL(s), comma-separated (Confluent REST API).").nonEmpty();
  public static final Setting<String> SCHEMA_REGISTRY_USER_INFO = Setting.secret("schema.registry.user.info",
      "user:password for basic auth against the registry (optional).");
  public static final Setting<String> SCHEMA_REGISTRY_BEARER_TOKEN = Setting.secret("schema.registry.bearer.token",
      "Bearer token for the registry (optional).");
  public static final Setting<String> TOPIC_PREFIX = Setting.string("topics.prefix", "",
      "Prefix of every topic name (e.g. staging.).");
  public static final Setting<Integer> TOPIC_PARTITIONS = Setting.integer("topics.partitions", 8,
      "Partitions of team-keyed topics when a service creates them.").atLeast(1);
  public static final Setting<Integer> TOPIC_REPLICATION = Setting.integer("topics.replication", 1,
      "Replication factor of topics when a service creates them (3 in production).").atLeast(1);
  public static final Setting<Boolean> TOPIC_CREATE = Setting.bool("topics.create", true,
      "Create missing topics at start-up.");

  public static final Setting<String> TRACING_OTLP_ENDPOINT = Setting.string("tracing.otlp.endpoint", null,
      "OTLP/HTTP endpoint the service sends its spans to (e.g. http://otel-collector:4318/v1/traces); none: tracing "
          + "off, and no trace headers are written.");
  public static final Setting<java.time.Duration> HANGING_TRANSACTION_AGE = Setting.duration(
      "kafka.hanging.transactions.abort.after", java.time.Duration.ofMinutes(1),
      "A transaction of this service's producers still open on a partition this long after its last write, which "
          + "its transaction coordinator no longer has open there (a hanging transaction, left by a broker that "
          + "stopped mid-write, e.g. on a full disk), is aborted, as kafka-transactions.sh abort would; it blocks "
          + "every read_committed reader of the partition until then. Longer than the services' transaction "
          + "timeouts (at most 30 s) plus the brokers' abort interval. 0 turns the check off.");
  public static final List<Setting<?>> ALL = List.of(BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL,
      SCHEMA_REGISTRY_USER_INFO, SCHEMA_REGISTRY_BEARER_TOKEN, TOPIC_PREFIX, TOPIC_PARTITIONS, TOPIC_REPLICATION,
      TOPIC_CREATE, TRACING_OTLP_ENDPOINT, HANGING_TRANSACTION_AGE);

  private CommonSettings() {}

  public static AvroSerdeConfig serdeConfig(Settings settings) {
    Map<String, Object> serde = new HashMap<>();
    serde.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, settings.get(SCHEMA_REGISTRY_URL));
    String userInfo = settings.get(SCHEMA_REGISTRY_USER_INFO);
    if (userInfo != null) {
      serde.put(AvroSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
      serde.put(AvroSerdeConfig.BASIC_AUTH_USER_INFO, userInfo);
    }
    String token = settings.get(SCHEMA_REGISTRY_BEARER_TOKEN);
    if (token != null) {
      serde.put(AvroSerdeConfig.BEARER_AUTH_TOKEN, token);
    }
    return AvroSerdeConfig.from(serde);
  }

  public static Topics topics(Settings settings) {
    return Topics.create(TopicsConfig.builder()
        .serde(serdeConfig(settings))
        .prefix(settings.get(TOPIC_PREFIX))
        .build());
  }

  /**
   * What every transactional producer of ours needs on Kafka 4.1.2 brokers (transactions v2): one request in flight
   * per connection. With more, a batch retried after CONCURRENT_TRANSACTIONS (the previous commit's markers still
   * being written) is overtaken by the next one, which the broker rejects as OUT_OF_ORDER_SEQUENCE_NUMBER, and the
   * producer cannot recover (seen in the worker, then in the aggregator's changelogs under a 2,000 req/s burst).
   * Kafka Streams apps pass it with the {@code producer.} prefix; a user's {@code kafka.*} override wins.
   */
  public static void putTransactionalProducerDefaults(Map<Object, Object> config, String prefix, Settings settings) {
    String key = prefix + "max.in.flight.requests.per.connection";
    if (!settings.kafkaOverrides().containsKey(key)) {
      config.put(key, 1);
    }
  }

  /**
   * Creates the missing topics with the configured partitions and replication, when {@code topics.create} is on
   * (every service does this at start-up, with the same settings, so team-keyed topics are co-partitioned).
   */
  public static void ensureTopics(Settings settings, Topics topics, Duration timeout) {
    if (!settings.get(TOPIC_CREATE)) {
      return;
    }
    try (Admin admin = Admin.create(kafkaClientConfig(settings))) {
      TopicAdmin.ensureTopics(admin, topics.all(), settings.get(TOPIC_PARTITIONS),
          settings.get(TOPIC_REPLICATION).shortValue(), timeout);
    }
  }

  /**
   * {@link #ensureTopics} and {@link Topics#warmSerializers} (every value schema's id looked up now, so that a first
   * write during a registry outage does not wait for it), on a thread of their own: a service builds its clients and
   * topology meanwhile, and waits for this ({@link #awaitTopics}) only before it starts consuming. At a restart this
   * takes seconds on a busy machine, mostly round trips to the brokers and the registry.
   */
  public static java.util.concurrent.CompletableFuture<Void> prepareTopics(Settings settings, Topics topics,
      Duration timeout) {
    java.util.concurrent.CompletableFuture<Void> ready = new java.util.concurrent.CompletableFuture<>();
    Thread.ofPlatform().daemon().name("topic-check").start(() -> {
      try {
        ensureTopics(settings, topics, timeout);
        topics.warmSerializers();
        ready.complete(null);
      } catch (Throwable e) {
        ready.completeExceptionally(e);
      }
    });
    return ready;
  }

  /** Waits for {@link #prepareTopics}; its failure is thrown as it was (an unreachable broker, a topic refused). */
  public static void awaitTopics(java.util.concurrent.CompletableFuture<Void> ready) {
    try {
      ready.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw e;
    }
  }

  /** Base properties of every Kafka client: bootstrap servers plus the kafka.* pass-through. */
  public static Map<String, Object> kafkaClientConfig(Settings settings) {
    Map<String, Object> config = new HashMap<>(settings.kafkaOverrides());
    config.put("bootstrap.servers", settings.get(BOOTSTRAP_SERVERS));
    return config;
  }
}
