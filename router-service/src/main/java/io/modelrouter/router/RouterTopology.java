package io.modelrouter.router;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Reservation;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.SessionAsk;
import io.modelrouter.avro.SessionRoute;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.router.internal.LedgerProcessor;
import io.modelrouter.router.internal.RouterMetrics;
import io.modelrouter.router.internal.RouterOutcome;
import io.modelrouter.router.internal.RouterProcessor;
import io.modelrouter.router.internal.RouterStores;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerde;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.BranchedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The router: {@code llm.requests} to {@code llm.requests.routed}, or to {@code llm.results} (REJECTED, PAUSED),
 * or to {@code llm.dlq}. Routing policies and the catalog are global tables. Each team's budget (the aggregator's
 * latest action, the budget policy, a spend ledger fed by {@code llm.usage} and {@code llm.results}, and the
 * reservations of its requests in flight) lives in stores co-partitioned with its requests, all keyed by team id, so
 * admission control holds across any number of router instances. A request keyed by something other than its team
 * is repartitioned by team first, so that it meets its team's budget.
 */
public final class RouterTopology {
  public static final String REKEY_TOPIC = "requests-by-team";
  /**
   * Admission as configured by default: budgets enforced, 15% margin on input and output, 10-minute reservations,
   * requests up to 1,000,000 bytes.
   */
  public static final RouterConfig.Admission DEFAULT_ADMISSION =
      new RouterConfig.Admission(true, 0.15, java.time.Duration.ofMinutes(10), 1_000_000);
  private static final String[] ROUTE_STORES = {RouterStores.BUDGET_ACTIONS, RouterStores.LEDGERS, RouterStores.RESERVATIONS,
      RouterStores.BUDGET_POLICIES, RouterStores.SESSIONS, RouterStores.SESSION_ASKS, RouterStores.RATE_BUCKETS,
      RouterStores.RATE_QUEUE, RouterStores.RESPONSE_CACHE, RouterStores.RESPONSE_PENDING};

  private RouterTopology() {}

  /** The topology with the shipped default policy and catalog as fallbacks. Pure: builds, starts nothing. */
  public static Topology buildTopology(Topics topics) {
    return buildTopology(topics, DEFAULT_ADMISSION);
  }

  public static Topology buildTopology(Topics topics, RouterConfig.Admission admission) {
    return buildTopology(topics, DefaultPolicies.routingPolicy(), DefaultPolicies.catalogById(), admission);
  }

  public static Topology buildTopology(Topics topics, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog,
      RouterConfig.Admission admission) {
    return buildTopology(topics, defaultPolicy, defaultCatalog, admission, RouterMetrics.NONE);
  }

  public static Topology buildTopology(Topics topics, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog,
      RouterConfig.Admission admission, RouterMetrics metrics) {
    return buildTopology(topics, defaultPolicy, defaultCatalog, admission, metrics,
        io.modelrouter.runtime.Tracing.disabled());
  }

  /**
   * The router topology; {@code metrics} only counts what the processors decide (it never changes a decision), and
   * {@code tracing} records a span per decision under the request's trace.
   */
  public static Topology buildTopology(Topics topics, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog,
      RouterConfig.Admission admission, RouterMetrics metrics, io.modelrouter.runtime.Tracing tracing) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.globalTable(topics.routingPolicies().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("routing-policies-source"),
        bytesStore(RouterStores.ROUTING_POLICIES));
    builder.globalTable(topics.models().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("model-catalog-source"),
        bytesStore(RouterStores.CATALOG));
    addBudgetStores(builder, topics);
    KStream<String, LedgerProcessor.Input> ledgerInputs = ledgerInput(builder, topics.usage().name(), "usage",
        LedgerProcessor.Kind.USAGE)
        .merge(ledgerInput(builder, topics.results().name(), "results", LedgerProcessor.Kind.RESULT),
            Named.as("merge-results"))
        .merge(ledgerInput(builder, topics.budgetPolicies().name(), "budget-policies", LedgerProcessor.Kind.POLICY),
            Named.as("merge-budget-policies"))
        .merge(ledgerInput(builder, topics.budgetActions().name(), "budget-actions", LedgerProcessor.Kind.ACTION),
            Named.as("merge-budget-actions"));
    ledgerInputs.process(() -> new LedgerProcessor(topics, admission.reservationTtl()), Named.as("ledger"),
        ROUTE_STORES);

    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator(), LearnedRouter.shipped(), admission.limits());
    KStream<String, byte[]> requests = builder.stream(topics.requests().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("requests-source"));
    KStream<String, byte[]> rekeyed = routeAndSplit(requests, "route", topics, engine, defaultPolicy, defaultCatalog,
        admission, true, metrics, tracing);
    routeAndSplit(rekeyed.repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName(REKEY_TOPIC)),
        "route-rekeyed", topics, engine, defaultPolicy, defaultCatalog, admission, false, metrics, tracing);
    // Added last, so the sub-topologies above (and their task ids and state directories) keep their numbers
    builder.globalTable(topics.routerModels().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("learned-models-source"),
        Materialized.<String, byte[]>as(Stores.persistentKeyValueStore(RouterStores.LEARNED_MODELS))
            .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()).withCachingDisabled());
    builder.globalTable(topics.routerModelPins().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("learned-model-pins-source"),
        bytesStore(RouterStores.LEARNED_MODEL_PINS));
    return builder.build();
  }

  /**
   * Routes the stream and sends each outcome to its sink. On the first pass, records keyed by something other than
   * their team are returned for repartitioning; the second pass reads them keyed by team, so it has no such branch.
   */
  private static KStream<String, byte[]> routeAndSplit(KStream<String, byte[]> input, String name, Topics topics,
      RoutingEngine engine, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog,
      RouterConfig.Admission admission, boolean rekey, RouterMetrics metrics, io.modelrouter.runtime.Tracing tracing) {
    KStream<String, RouterOutcome> outcomes = input.process(
        () -> new RouterProcessor(topics, engine, defaultPolicy, defaultCatalog, admission, rekey, metrics)
            .tracing(tracing),
        Named.as(name), ROUTE_STORES);
    BranchedKStream<String, RouterOutcome> split = outcomes.split(Named.as(name + "-"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.Routed, Branched.withConsumer(routed -> routed
            .mapValues(outcome -> ((RouterOutcome.Routed) outcome).value(), Named.as(name + "-routed-value"))
            .to(lane(topics), Produced.with(Serdes.String(), Serdes.ByteArray())
                .withName(name + "-routed-sink")), "routed"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.RoutedWithFeedback, Branched.withConsumer(both -> {
          both.mapValues(outcome -> ((RouterOutcome.RoutedWithFeedback) outcome).value(),
                  Named.as(name + "-routed-with-feedback-value"))
              .to(lane(topics), Produced.with(Serdes.String(), Serdes.ByteArray())
                  .withName(name + "-routed-with-feedback-sink"));
          both.mapValues(outcome -> ((RouterOutcome.RoutedWithFeedback) outcome).feedback(),
                  Named.as(name + "-implicit-feedback-value"))
              .to(topics.feedback().name(), Produced.with(Serdes.String(), topics.feedback().valueSerde())
                  .withName(name + "-implicit-feedback-sink"));
        }, "routed-with-feedback"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.Answered, Branched.withConsumer(answered -> answered
            .mapValues(outcome -> ((RouterOutcome.Answered) outcome).value(), Named.as(name + "-answered-value"))
            .to(topics.results().name(), Produced.with(Serdes.String(), topics.results().valueSerde())
                .withName(name + "-answered-sink")), "answered"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.AnsweredFromCache, Branched.withConsumer(cached -> {
          cached.mapValues(outcome -> ((RouterOutcome.AnsweredFromCache) outcome).value(),
                  Named.as(name + "-cached-value"))
              .to(topics.results().name(), Produced.with(Serdes.String(), topics.results().valueSerde())
                  .withName(name + "-cached-sink"));
          cached.mapValues(outcome -> ((RouterOutcome.AnsweredFromCache) outcome).usage(),
                  Named.as(name + "-cached-usage-value"))
              .to(topics.usage().name(), Produced.with(Serdes.String(), topics.usage().valueSerde())
                  .withName(name + "-cached-usage-sink"));
        }, "cached"));
    Consumer<KStream<String, RouterOutcome>> toDeadLetters = dead -> dead
        .mapValues(outcome -> ((RouterOutcome.DeadLetter) outcome).value(), Named.as(name + "-dead-letter-value"))
        .to(topics.dlq().name(), Produced.with(Serdes.String(), Serdes.ByteArray()).withName(name + "-dead-letter-sink"));
    if (!rekey) {
      split.defaultBranch(Branched.withConsumer(toDeadLetters, "dead-letter"));
      return null;
    }
    Map<String, KStream<String, RouterOutcome>> rest = split
        .branch((key, outcome) -> outcome instanceof RouterOutcome.DeadLetter,
            Branched.withConsumer(toDeadLetters, "dead-letter"))
        .defaultBranch(Branched.as("rekey"));
    return rest.get(name + "-rekey")
        .map((key, outcome) -> {
          RouterOutcome.Rekey rekeyed = (RouterOutcome.Rekey) outcome;
          return KeyValue.pair(rekeyed.teamId(), rekeyed.value());
        }, Named.as(name + "-rekey-by-team"));
  }

  /**
   * The routed topic of a record's lane: {@code llm.requests.routed.batch} for one the route processor marked BATCH
   * ({@link Topics#LANE_HEADER}), else {@code llm.requests.routed}.
   */
  private static org.apache.kafka.streams.processor.TopicNameExtractor<String, byte[]> lane(Topics topics) {
    return new Lane(topics.routed().name(), topics.routedBatch().name());
  }

  /** Picks a routed record's topic by its lane; named (not a lambda) so that the topology's description is stable. */
  private record Lane(String interactive, String batch)
      implements org.apache.kafka.streams.processor.TopicNameExtractor<String, byte[]> {
    @Override
    public String extract(String key, byte[] value, org.apache.kafka.streams.processor.RecordContext context) {
      org.apache.kafka.common.header.Header header = context.headers().lastHeader(Topics.LANE_HEADER);
      return header != null && header.value() != null && header.value().length == 5 ? batch : interactive;
    }

    @Override
    public String toString() {
      return "lane: " + interactive + " or " + batch;
    }
  }

  /** The team's budget as the router sees it: latest action, policy, spend ledger, reservations. */
  private static void addBudgetStores(StreamsBuilder builder, Topics topics) {
    // In memory: one record per team, written when its action or policy changes, so their changelogs restore in
    // moments; a persistent store is a RocksDB instance that KafkaStreams.start() opens for every task, one after the
    // other, before the router joins its group (about 50 ms each on a busy machine)
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RouterStores.BUDGET_ACTIONS),
        Serdes.String(), Serdes.ByteArray()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RouterStores.BUDGET_POLICIES),
        Serdes.String(), topics.budgetPolicies().valueSerde()));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.LEDGERS),
        Serdes.String(), AvroSerde.forValues(SpendLedger.class, topics.config().client(), topics.config().serde())));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.RESERVATIONS),
        Serdes.String(), AvroSerde.forValues(Reservation.class, topics.config().client(), topics.config().serde())));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.SESSIONS),
        Serdes.String(), AvroSerde.forValues(SessionRoute.class, topics.config().client(), topics.config().serde())));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.SESSION_ASKS),
        Serdes.String(), AvroSerde.forValues(SessionAsk.class, topics.config().client(), topics.config().serde())));
    // In memory (restored from their changelogs) and behind the record cache: a team far over its limit writes its
    // bucket on every request and a queue entry that lives a short while; RocksDB's flushes and compactions of that
    // churn stalled the stream thread, and with it the other teams' requests.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RouterStores.RATE_BUCKETS),
        Serdes.String(), AvroSerde.forValues(io.modelrouter.avro.RateBucket.class, topics.config().client(),
            topics.config().serde())).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(RouterStores.RATE_QUEUE),
        Serdes.String(), AvroSerde.forValues(io.modelrouter.avro.QueuedRequest.class, topics.config().client(),
            topics.config().serde())).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.RESPONSE_CACHE),
        Serdes.String(), AvroSerde.forValues(io.modelrouter.avro.CachedResponse.class, topics.config().client(),
            topics.config().serde())).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RouterStores.RESPONSE_PENDING),
        Serdes.String(), AvroSerde.forValues(io.modelrouter.avro.PendingResponse.class, topics.config().client(),
            topics.config().serde())).withCachingEnabled());
  }

  private static KStream<String, LedgerProcessor.Input> ledgerInput(StreamsBuilder builder, String topic, String name,
      LedgerProcessor.Kind kind) {
    return builder.stream(topic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(name + "-source"))
        .mapValues(value -> new LedgerProcessor.Input(kind, value), Named.as(name + "-ledger-input"));
  }

  private static Materialized<String, byte[], KeyValueStore<Bytes, byte[]>> bytesStore(String name) {
    return Materialized.<String, byte[]>as(Stores.inMemoryKeyValueStore(name))
        .withKeySerde(Serdes.String())
        .withValueSerde(Serdes.ByteArray())
        .withCachingDisabled();
  }
}
