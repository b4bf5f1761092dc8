package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The dashboard's learning trend: the latest 200 judgements against the ones before them, per team. */
class FeedbackHistoryTest {
  @Test
  void theLatest200AreComparedWithTheOnesBeforeThem() {
    FeedbackHistory history = new FeedbackHistory();
    // 150 bad judgements, then 50 bad and 200 good: the latest 200 are all good, the 200 before all bad
    for (int i = 0; i < 200; i++) {
      history.add("alpha", new FeedbackHistory.Judgement(0.0, "TEST"));
    }
    for (int i = 0; i < 200; i++) {
      history.add("alpha", new FeedbackHistory.Judgement(1.0, "TEST"));
    }
    history.add("beta", new FeedbackHistory.Judgement(0.25, "HUMAN"));
    history.add("beta", new FeedbackHistory.Judgement(0.75, "HUMAN"));

    FeedbackHistory.Trend alpha = history.trend("alpha");
    assertThat(alpha.latest()).isEqualTo(200);
    assertThat(alpha.latestMean()).isEqualTo(1.0);
    assertThat(alpha.earlier()).isEqualTo(200);
    assertThat(alpha.earlierMean()).isEqualTo(0.0);
    FeedbackHistory.Trend beta = history.trend("beta");
    assertThat(beta.latest()).isEqualTo(2);
    assertThat(beta.latestMean()).isEqualTo(0.5);
    assertThat(beta.earlier()).isZero();
    assertThat(history.trend("gamma")).isNull();
  }
}
