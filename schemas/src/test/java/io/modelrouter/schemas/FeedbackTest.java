package io.modelrouter.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import org.junit.jupiter.api.Test;

class FeedbackTest {

  private static FeedbackEvent.Builder valid() {
    return FeedbackEvent.newBuilder(SampleRecords.feedback());
  }

  @Test
  void aCompleteEventHasNoProblem() {
    assertThat(Feedback.problems(valid().build())).isEmpty();
    assertThat(Feedback.problems(valid().setSessionId(null).setNeededProfile(null).setComment(null).build()))
        .isEmpty();
    assertThat(Feedback.problems(valid().setScore(0).build())).isEmpty();
    assertThat(Feedback.problems(valid().setScore(1).build())).isEmpty();
  }

  @Test
  void eachProblemNamesItsField() {
    assertThat(Feedback.problems(valid().setScore(1.01).build()))
        .containsExactly("score: must be a number from 0 to 1, got 1.01");
    assertThat(Feedback.problems(valid().setScore(Double.NaN).build())).singleElement().asString()
        .startsWith("score: ");
    assertThat(Feedback.problems(valid().setScore(-0.5).build())).singleElement().asString().startsWith("score: ");
    assertThat(Feedback.problems(valid().setRequestId(" ").build())).singleElement().asString()
        .startsWith("requestId: ");
    assertThat(Feedback.problems(valid().setRequestId("r".repeat(257)).build())).singleElement().asString()
        .startsWith("requestId: must be 1 to 256 characters");
    assertThat(Feedback.problems(valid().setTeamId("team a").build())).singleElement().asString()
        .startsWith("teamId: ");
    assertThat(Feedback.problems(valid().setSource(FeedbackSource.UNKNOWN).build()))
        .containsExactly("source: must be one of HUMAN, TEST, JUDGE, IMPLICIT");
    assertThat(Feedback.problems(valid().setNeededProfile("../frontier").build())).singleElement().asString()
        .startsWith("neededProfile: ");
    assertThat(Feedback.problems(valid().setComment("x".repeat(2_001)).build()))
        .containsExactly("comment: must be at most 2000 characters, got 2001");
    assertThat(Feedback.problems(valid().setSessionId("s\u0000").build()))
        .containsExactly("sessionId: must not contain control characters");
  }

  @Test
  void checkListsEveryProblemAtOnce() {
    assertThatThrownBy(() -> Feedback.check(valid().setScore(2).setSource(FeedbackSource.UNKNOWN).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("score: ").hasMessageContaining("source: ");
  }
}
