package io.modelrouter.worker.internal;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.schemas.Feedback;

/**
 * What a result says of its routing without anyone judging it, written to {@code llm.feedback} with the result (in
 * its transaction) as {@link FeedbackSource#IMPLICIT}: a request every model of its chain failed (score 0), and a
 * request the routed model did not answer but a fallback did (score 0.5: the routed model was not available, the
 * answer itself is not judged). A result of the worker's own failure (no provider called) says nothing of routing.
 */
final class ImplicitFeedback {
  static final double FAILED_SCORE = 0.0;
  static final double FALLBACK_SCORE = 0.5;

  private ImplicitFeedback() {}

  /** The implicit feedback of this result, or null when it carries none or it would not be valid feedback. */
  static FeedbackEvent of(RoutedRequest routed, InferenceResult result) {
    if (routed == null || result.getAttempts().isEmpty()) {
      return null;
    }
    String routedModel = routed.getDecision().getModel();
    String comment;
    double score;
    if (result.getStatus() == ResultStatus.FAILED) {
      score = FAILED_SCORE;
      comment = "implicit: failed on every model of the chain (" + result.getErrorCode() + ")";
    } else if (result.getStatus() == ResultStatus.OK && result.getModel() != null
        && !result.getModel().equals(routedModel)) {
      score = FALLBACK_SCORE;
      comment = "implicit: answered by the fallback " + result.getModel() + " instead of " + routedModel;
    } else {
      return null;
    }
    // (found by FuzzBenchmark: a routed record with an invalid team id got implicit feedback the learner refused)
    return Feedback.validOrNull(FeedbackEvent.newBuilder()
        .setFeedbackId("implicit:" + result.getRequestId())
        .setRequestId(result.getRequestId())
        .setTeamId(result.getTeamId())
        .setSessionId(result.getSessionId())
        .setScore(score)
        .setSource(FeedbackSource.IMPLICIT)
        .setNeededProfile(null)
        .setComment(comment)
        .setEventTime(result.getCompletedAt() != null ? result.getCompletedAt() : java.time.Instant.now())
        .build());
  }
}
