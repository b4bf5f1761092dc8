package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.schemas.Feedback;
import io.modelrouter.schemas.SampleRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImplicitFeedbackTest {

  @Test
  void anAnswerFromAFallbackIsHalfMarksNamingBothModels() {
    // The sample was routed to claude-sonnet-4-5, which answered 529, and claude-haiku-4-5 answered
    FeedbackEvent feedback = ImplicitFeedback.of(SampleRecords.routed(), SampleRecords.result());
    assertThat(feedback).isNotNull();
    assertThat(feedback.getSource()).isEqualTo(FeedbackSource.IMPLICIT);
    assertThat(feedback.getScore()).isEqualTo(0.5);
    assertThat(feedback.getRequestId()).isEqualTo("req-1");
    assertThat(feedback.getTeamId()).isEqualTo("team-a");
    assertThat(feedback.getSessionId()).isEqualTo("session-7");
    assertThat(feedback.getFeedbackId()).isEqualTo("implicit:req-1");
    assertThat(feedback.getComment()).isEqualTo("implicit: answered by the fallback claude-haiku-4-5 instead of "
        + "claude-sonnet-4-5");
    assertThat(Feedback.problems(feedback)).isEmpty();
  }

  @Test
  void aResultWhoseFeedbackWouldBeInvalidSaysNothing() {
    // found by FuzzBenchmark: a routed record with a team id the learner refuses got implicit feedback, which the
    // learner dead-lettered: the system filled its own DLQ
    InferenceResult failed = InferenceResult.newBuilder(SampleRecords.result()).setStatus(ResultStatus.FAILED)
        .setModel(null).setErrorCode("ALL_MODELS_FAILED").setTeamId("team\u0000a").build();
    assertThat(ImplicitFeedback.of(SampleRecords.routed(), failed)).isNull();
    InferenceResult longId = InferenceResult.newBuilder(failed).setTeamId("team-a").setRequestId("r".repeat(300))
        .build();
    assertThat(ImplicitFeedback.of(SampleRecords.routed(), longId)).isNull();
  }

  @Test
  void aRequestEveryModelFailedScoresZero() {
    InferenceResult failed = InferenceResult.newBuilder(SampleRecords.result()).setStatus(ResultStatus.FAILED)
        .setModel(null).setErrorCode("ALL_MODELS_FAILED").build();
    FeedbackEvent feedback = ImplicitFeedback.of(SampleRecords.routed(), failed);
    assertThat(feedback.getScore()).isZero();
    assertThat(feedback.getComment()).isEqualTo("implicit: failed on every model of the chain (ALL_MODELS_FAILED)");
  }

  @Test
  void anAnswerFromTheRoutedModelOrTheWorkersOwnFailureSaysNothing() {
    InferenceResult answered = InferenceResult.newBuilder(SampleRecords.result()).setModel("claude-sonnet-4-5")
        .build();
    assertThat(ImplicitFeedback.of(SampleRecords.routed(), answered)).isNull();
    InferenceResult internal = InferenceResult.newBuilder(SampleRecords.result()).setStatus(ResultStatus.FAILED)
        .setAttempts(List.of()).setErrorCode("INTERNAL_ERROR").build();
    assertThat(ImplicitFeedback.of(SampleRecords.routed(), internal)).isNull();
    assertThat(ImplicitFeedback.of(null, SampleRecords.result())).isNull();
  }
}
