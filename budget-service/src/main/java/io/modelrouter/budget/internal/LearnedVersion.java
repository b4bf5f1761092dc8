package io.modelrouter.budget.internal;

import io.modelrouter.avro.RouterModel;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What budget-service keeps of one version of a team's learned routing model: its numbers, not its exemplars'
 * embeddings (a version is up to a few hundred kilobytes; its summary, a few dozen bytes).
 */
record LearnedVersion(String team, long version, Instant createdAt, int exemplars, long feedbackApplied, String base) {

  static LearnedVersion of(RouterModel model) {
    return new LearnedVersion(model.getTeamId(), model.getVersion(), model.getCreatedAt(),
        model.getExemplars().size(), model.getFeedbackApplied(), model.getBase());
  }

  /** {@code llm.router.models} read as summaries; budget-service never writes it. */
  static Topic<String, LearnedVersion> topic(Topics topics) {
    Topic<String, RouterModel> models = topics.routerModels();
    Deserializer<LearnedVersion> summaries = (topic, bytes) -> bytes == null ? null
        : of(models.deserializeValue(bytes));
    Serializer<LearnedVersion> none = (topic, value) -> {
      throw new UnsupportedOperationException("llm.router.models is written by the learner only");
    };
    return new Topic<>(models.name(), Serdes.String(), Serdes.serdeFrom(none, summaries), true, true);
  }
}
