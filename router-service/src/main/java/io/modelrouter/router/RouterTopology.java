package io.modelrouter.router;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.internal.RouterOutcome;
import io.modelrouter.router.internal.RouterProcessor;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
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
 * or to {@code llm.dlq}. Routing policies and the catalog are global tables; budget states are a table
 * co-partitioned with the requests (both keyed by team id). A request keyed by something other than its team is
 * repartitioned by team first, so that it meets its team's budget state.
 */
public final class RouterTopology {
  public static final String ROUTING_POLICIES_STORE = "routing-policies";
  public static final String CATALOG_STORE = "model-catalog";
  public static final String BUDGET_ACTIONS_STORE = "budget-actions";
  public static final String REKEY_TOPIC = "requests-by-team";

  private RouterTopology() {}

  /** The topology with the shipped default policy and catalog as fallbacks. Pure: builds, starts nothing. */
  public static Topology buildTopology(Topics topics) {
    return buildTopology(topics, DefaultPolicies.routingPolicy(), DefaultPolicies.catalogById());
  }

  public static Topology buildTopology(Topics topics, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.globalTable(topics.routingPolicies().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("routing-policies-source"),
        bytesStore(ROUTING_POLICIES_STORE));
    builder.globalTable(topics.models().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("model-catalog-source"),
        bytesStore(CATALOG_STORE));
    builder.table(topics.budgetActions().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("budget-actions-source"),
        bytesStore(BUDGET_ACTIONS_STORE));

    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    KStream<String, byte[]> requests = builder.stream(topics.requests().name(),
        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("requests-source"));
    KStream<String, byte[]> rekeyed = routeAndSplit(requests, "route", topics, engine, defaultPolicy, defaultCatalog, true);
    routeAndSplit(rekeyed.repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName(REKEY_TOPIC)),
        "route-rekeyed", topics, engine, defaultPolicy, defaultCatalog, false);
    return builder.build();
  }

  /**
   * Routes the stream and sends each outcome to its sink. On the first pass, records keyed by something other than
   * their team are returned for repartitioning; the second pass reads them keyed by team, so it has no such branch.
   */
  private static KStream<String, byte[]> routeAndSplit(KStream<String, byte[]> input, String name, Topics topics,
      RoutingEngine engine, RoutingPolicy defaultPolicy, Map<String, ModelSpec> defaultCatalog, boolean rekey) {
    KStream<String, RouterOutcome> outcomes = input.process(
        () -> new RouterProcessor(topics, engine, defaultPolicy, defaultCatalog, rekey),
        Named.as(name), BUDGET_ACTIONS_STORE);
    BranchedKStream<String, RouterOutcome> split = outcomes.split(Named.as(name + "-"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.Routed, Branched.withConsumer(routed -> routed
            .mapValues(outcome -> ((RouterOutcome.Routed) outcome).value(), Named.as(name + "-routed-value"))
            .to(topics.routed().name(), Produced.with(Serdes.String(), Serdes.ByteArray())
                .withName(name + "-routed-sink")), "routed"))
        .branch((key, outcome) -> outcome instanceof RouterOutcome.Answered, Branched.withConsumer(answered -> answered
            .mapValues(outcome -> ((RouterOutcome.Answered) outcome).value(), Named.as(name + "-answered-value"))
            .to(topics.results().name(), Produced.with(Serdes.String(), topics.results().valueSerde())
                .withName(name + "-answered-sink")), "answered"));
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

  private static Materialized<String, byte[], KeyValueStore<Bytes, byte[]>> bytesStore(String name) {
    return Materialized.<String, byte[]>as(Stores.inMemoryKeyValueStore(name))
        .withKeySerde(Serdes.String())
        .withValueSerde(Serdes.ByteArray())
        .withCachingDisabled();
  }
}
