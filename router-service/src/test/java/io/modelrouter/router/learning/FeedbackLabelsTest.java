package io.modelrouter.router.learning;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.router.learned.Tier;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each kind of judgement teaches, case by case, from the rules in FeedbackLabels' documentation. */
class FeedbackLabelsTest {
  private static FeedbackEvent feedback(double score, FeedbackSource source, String needed) {
    return new FeedbackEvent("f-1", "r-1", "team-a", null, score, source, needed, null, Instant.EPOCH);
  }

  @ParameterizedTest(name = "score {0} on {1} -> {2}..{3}")
  @CsvSource({
      "1.0,  fast,     FAST,     FAST",
      "0.5,  fast,     FAST,     FAST",
      "0.9,  primary,  FAST,     MID",
      "0.0,  fast,     MID,      FRONTIER",
      "0.49, primary,  FRONTIER, FRONTIER",
      "0.1,  frontier, FRONTIER, FRONTIER"})
  void theScoreSpeaksAboutTheTierTheRequestWasAnsweredOn(double score, String profile, Tier atLeast, Tier atMost) {
    FeedbackLabels.Label label = FeedbackLabels.of(feedback(score, FeedbackSource.TEST, null), profile);
    assertThat(label.learned()).isTrue();
    assertThat(label.atLeast()).isEqualTo(atLeast);
    assertThat(label.atMost()).isEqualTo(atMost);
  }

  @Test
  void aNamedProfileIsAnExactLabelWhateverTheScore() {
    FeedbackLabels.Label label = FeedbackLabels.of(feedback(1.0, FeedbackSource.JUDGE, "primary"), "frontier");
    assertThat(label.atLeast()).isEqualTo(Tier.MID);
    assertThat(label.atMost()).isEqualTo(Tier.MID);
    FeedbackLabels.Label implicit = FeedbackLabels.of(feedback(0.0, FeedbackSource.IMPLICIT, "frontier"), "fast");
    assertThat(implicit.atLeast()).isEqualTo(Tier.FRONTIER);
  }

  @Test
  void whatSaysNothingOfTheTierIsNotLearned() {
    assertThat(FeedbackLabels.of(feedback(1.0, FeedbackSource.HUMAN, null), "frontier").skipped())
        .contains("says nothing of the cheaper tiers");
    assertThat(FeedbackLabels.of(feedback(0.0, FeedbackSource.IMPLICIT, null), "fast").skipped())
        .contains("availability");
    assertThat(FeedbackLabels.of(feedback(0.0, FeedbackSource.TEST, null), "local").skipped())
        .contains("local");
    assertThat(FeedbackLabels.of(feedback(0.0, FeedbackSource.TEST, "cheap"), "fast").skipped())
        .contains("cheap");
  }
}
