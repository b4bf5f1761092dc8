package io.modelrouter.router.learning;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.LearnedExemplar;
import io.modelrouter.avro.LearnerDecision;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.router.learned.LearnedPoints;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.LexicalTierModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * How one judgement changes a team's learned model: the rules the learner applies, in one place that the learner
 * and the learning benchmark share. Pure apart from the embedding it asks for.
 */
public final class ModelUpdates {
  /** Characters of the judged text kept with an exemplar, for people reading the model. */
  static final int EXCERPT = 160;

  private ModelUpdates() {}

  /** What the learner keeps of a learned decision until its feedback: the judged text, cut as it is embedded. */
  public static LearnerDecision decision(InferenceRequest request, RoutingDecision decision, Instant seenAt) {
    String text = LearnedRouter.judgedText(request);
    return new LearnerDecision(request.getTeamId(), request.getTaskType() == null ? "" : request.getTaskType(), text,
        decision.getProfile(), decision.getLearnedModel() == null ? "" : decision.getLearnedModel(),
        decision.getDecidedAt() != null ? decision.getDecidedAt() : seenAt);
  }

  /** A team's model before any feedback: no learned exemplar, version 0. */
  public static RouterModel empty(String team, Instant now) {
    return new RouterModel(team, 0L, LearnedRouter.shippedVersion(), 0L, now, new ArrayList<>());
  }

  /**
   * Applies a judgement of a learned decision to the team's model (in place). The exemplar of a request is
   * {@code fb:<requestId>}: a later judgement of the same request replaces it, except that an implicit signal never
   * replaces a judge's word. A judgement of the same text (the same embedding) with the same label as an exemplar
   * already held is merged into it: its count rises (up to {@link LearnedPoints#MAX_COUNT}) and it becomes the
   * newest, so a pipeline that sends the same prompts again and again keeps its evidence instead of filling the
   * model with copies. The oldest exemplars go beyond {@code maxExemplars}.
   *
   * @return null when the model changed, else why nothing was learned
   */
  public static String apply(RouterModel model, LearnerDecision decision, FeedbackEvent feedback,
      Function<String, float[]> embedder, Instant now, int maxExemplars) {
    FeedbackLabels.Label label = FeedbackLabels.of(feedback, decision.getProfile());
    if (!label.learned()) {
      return label.skipped();
    }
    List<LearnedExemplar> exemplars = new ArrayList<>(model.getExemplars());
    String id = "fb:" + feedback.getRequestId();
    for (int i = 0; i < exemplars.size(); i++) {
      if (exemplars.get(i).getId().equals(id)) {
        if (exemplars.get(i).getSource() != FeedbackSource.IMPLICIT && feedback.getSource() == FeedbackSource.IMPLICIT) {
          return "an implicit signal does not overrule a judge's word";
        }
        exemplars.remove(i);
        break;
      }
    }
    String text = decision.getText();
    java.nio.ByteBuffer embedding = LearnedPoints.quantize(embedder.apply(text));
    for (int i = 0; i < exemplars.size(); i++) {
      LearnedExemplar held = exemplars.get(i);
      if (held.getEmbedding().equals(embedding) && held.getAtLeast() == LearnedPoints.learned(label.atLeast())
          && held.getAtMost() == LearnedPoints.learned(label.atMost())
          && held.getTaskType().equals(decision.getTaskType())) {
        exemplars.remove(i);
        held.setCount(Math.min(LearnedPoints.MAX_COUNT, held.getCount() + 1));
        if (held.getLexical() == null || held.getLexical().remaining() == 0) { // kept by a learner before the field
          held.setLexical(LexicalTierModel.encode(LexicalTierModel.shipped().vector(text)));
        }
        held.setLearnedAt(now);
        exemplars.add(held);
        model.setExemplars(exemplars);
        model.setFeedbackApplied(model.getFeedbackApplied() + 1);
        return null;
      }
    }
    exemplars.add(LearnedExemplar.newBuilder()
        .setId(id)
        .setTaskType(decision.getTaskType())
        .setExcerpt(text.length() > EXCERPT ? text.substring(0, EXCERPT) : text)
        .setAtLeast(LearnedPoints.learned(label.atLeast()))
        .setAtMost(LearnedPoints.learned(label.atMost()))
        .setEmbedding(embedding)
        .setLexical(LexicalTierModel.encode(LexicalTierModel.shipped().vector(text)))
        .setSource(feedback.getSource())
        .setLearnedAt(now)
        .build());
    while (exemplars.size() > maxExemplars) {
      exemplars.removeFirst();
    }
    model.setExemplars(exemplars);
    model.setFeedbackApplied(model.getFeedbackApplied() + 1);
    return null;
  }
}
