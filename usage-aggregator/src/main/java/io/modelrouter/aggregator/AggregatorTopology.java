package io.modelrouter.aggregator;

import io.modelrouter.aggregator.internal.AggregatorRecord;
import io.modelrouter.aggregator.internal.AggregatorStores;
import io.modelrouter.aggregator.internal.BudgetProcessor;
import io.modelrouter.avro.BudgetLedger;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The usage aggregator: {@code llm.usage} (with {@code llm.budget.policies} and the manual resets on
 * {@code llm.budget.actions}, all keyed by team) into one processor that owns each team's windows and budget state,
 * out to {@code llm.usage.totals}, {@code llm.budget.actions}, {@code llm.budget.alerts} and {@code llm.dlq}.
 */
public final class AggregatorTopology {
  private AggregatorTopology() {}

  /** Pure: builds the topology, starts nothing. */
  public static Topology buildTopology(AggregatorConfig config, Topics topics) {
    return buildTopology(config, topics, io.modelrouter.runtime.Tracing.disabled());
  }

  /** The topology, with a span per usage event aggregated when {@code tracing} is on. */
  public static Topology buildTopology(AggregatorConfig config, Topics topics, io.modelrouter.runtime.Tracing tracing) {
    StreamsBuilder builder = new StreamsBuilder();
    AvroSerde<BudgetLedger> ledgerSerde = AvroSerde.forValues(BudgetLedger.class, topics.config().client(),
        topics.config().serde());
    // Cached: a hot team's windows and ledger change with every usage event; the record cache writes each key once
    // per commit to RocksDB and the changelog instead of once per event.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AggregatorStores.WINDOWS),
        Serdes.String(), topics.usageTotals().valueSerde()).withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AggregatorStores.SESSIONS),
        Serdes.String(), AvroSerde.forValues(UsageBreakdown.class, topics.config().client(), topics.config().serde()))
        .withCachingEnabled());
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AggregatorStores.LEDGERS),
        Serdes.String(), ledgerSerde).withCachingEnabled());
    // In memory: one record per team, written when its policy changes (a restart restores it in moments instead of
    // opening one more RocksDB instance per task before joining the group)
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(AggregatorStores.POLICIES),
        Serdes.String(), topics.budgetPolicies().valueSerde()));

    KStream<String, AggregatorRecord.In> usage = source(builder, topics.usage().name(), "usage",
        AggregatorRecord.Source.USAGE);
    KStream<String, AggregatorRecord.In> policies = source(builder, topics.budgetPolicies().name(), "budget-policies",
        AggregatorRecord.Source.POLICY);
    KStream<String, AggregatorRecord.In> resets = source(builder, topics.budgetActions().name(), "budget-actions",
        AggregatorRecord.Source.ACTION);
    KStream<String, AggregatorRecord.Out> outputs = usage
        .merge(policies, Named.as("merge-policies"))
        .merge(resets, Named.as("merge-actions"))
        .process(() -> new BudgetProcessor(topics, config.grace(), config.totalsInterval(), config.rolloverCheck(),
                config.retention(), config.maxUsageBytes()).tracing(tracing), Named.as("budget"),
            AggregatorStores.WINDOWS, AggregatorStores.SESSIONS, AggregatorStores.LEDGERS,
            AggregatorStores.POLICIES);

    outputs.split(Named.as("out-"))
        .branch((key, out) -> out instanceof AggregatorRecord.Totals, Branched.withConsumer(totals -> totals
            .mapValues(out -> ((AggregatorRecord.Totals) out).value(), Named.as("totals-value"))
            .to(topics.usageTotals().name(), Produced.with(Serdes.String(), topics.usageTotals().valueSerde())
                .withName("totals-sink")), "totals"))
        .branch((key, out) -> out instanceof AggregatorRecord.Action, Branched.withConsumer(actions -> actions
            .mapValues(out -> ((AggregatorRecord.Action) out).value(), Named.as("actions-value"))
            .to(topics.budgetActions().name(), Produced.with(Serdes.String(), topics.budgetActions().valueSerde())
                .withName("actions-sink")), "actions"))
        .branch((key, out) -> out instanceof AggregatorRecord.Alert, Branched.withConsumer(alerts -> alerts
            .mapValues(out -> ((AggregatorRecord.Alert) out).value(), Named.as("alerts-value"))
            .to(topics.budgetAlerts().name(), Produced.with(Serdes.String(), topics.budgetAlerts().valueSerde())
                .withName("alerts-sink")), "alerts"))
        .defaultBranch(Branched.withConsumer(dead -> dead
            .mapValues(out -> ((AggregatorRecord.DeadLetter) out).value(), Named.as("dead-letter-value"))
            .to(topics.dlq().name(), Produced.with(Serdes.String(), Serdes.ByteArray()).withName("dead-letter-sink")),
            "dead-letter"));
    return builder.build();
  }

  private static KStream<String, AggregatorRecord.In> source(StreamsBuilder builder, String topic, String name,
      AggregatorRecord.Source kind) {
    return builder.stream(topic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(name + "-source"))
        .mapValues(value -> new AggregatorRecord.In(kind, value), Named.as(name + "-input"));
  }
}
