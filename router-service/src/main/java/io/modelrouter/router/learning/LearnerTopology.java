package io.modelrouter.router.learning;

import io.modelrouter.avro.LearnerDecision;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.AvroSerde;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The learner: {@code llm.requests.routed} and {@code llm.feedback} in (both keyed by team, so co-partitioned),
 * versions of each team's learned routing model out to {@code llm.router.models}, bad feedback to {@code llm.dlq}.
 */
public final class LearnerTopology {
  /** Learned decisions waiting for feedback, by request id. */
  public static final String DECISIONS = "learner-decisions";
  /** Each team's learned exemplars, the next version's content. */
  public static final String TEAMS = "learner-team-models";
  /** Each team's feedback count at its last published version. */
  public static final String PUBLISHED = "learner-published";

  private LearnerTopology() {}

  /** @param embedder the sentence embedding of a text (MiniLM in production) */
  public static Topology build(Topics topics, LearnerConfig.Learning config, Function<String, float[]> embedder,
      LearnerMetrics metrics) {
    Topology topology = new Topology();
    topology.addSource("routed-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
        topics.routed().name(), topics.routedBatch().name());
    topology.addSource("feedback-source", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
        topics.feedback().name());
    topology.addProcessor("learn", () -> new LearnerProcessor(topics, config, embedder, metrics), "routed-source",
        "feedback-source");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DECISIONS), Serdes.String(),
        AvroSerde.forValues(LearnerDecision.class, topics.config().client(), topics.config().serde())), "learn");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TEAMS), Serdes.String(),
        AvroSerde.forValues(RouterModel.class, topics.config().client(), topics.config().serde())), "learn");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PUBLISHED), Serdes.String(),
        Serdes.Long()), "learn");
    topology.addSink(LearnerProcessor.MODELS_SINK, topics.routerModels().name(), Serdes.String().serializer(),
        Serdes.ByteArray().serializer(), "learn");
    topology.addSink(LearnerProcessor.DLQ_SINK, topics.dlq().name(), Serdes.String().serializer(),
        Serdes.ByteArray().serializer(), "learn");
    return topology;
  }
}
