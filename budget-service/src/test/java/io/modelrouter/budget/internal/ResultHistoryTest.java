package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.TokenUsage;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultHistoryTest {
  private static ResultHistory.Recent recent(String id) {
    return new ResultHistory.Recent(id, "OK", "fast", "claude-haiku-4-5", "routing table: chat → fast", 10L,
        Instant.parse("2026-11-22T10:15:00Z"));
  }

  @Test
  void keepsEachTeamsNewestResultsOnlyNewestFirst() {
    // Given
    ResultHistory history = new ResultHistory(3);

    // When
    for (int i = 1; i <= 5; i++) {
      history.add("alpha", recent("a-" + i));
    }
    history.add("beta", recent("b-1"));

    // Then
    assertThat(history.recent("alpha", 10)).extracting(ResultHistory.Recent::requestId)
        .containsExactly("a-5", "a-4", "a-3");
    assertThat(history.recent("alpha", 2)).extracting(ResultHistory.Recent::requestId).containsExactly("a-5", "a-4");
    assertThat(history.recent("gamma", 10)).isEmpty();
    assertThat(history.teams()).containsExactly("alpha", "beta");
  }

  @Test
  void keepsTheRoutingFactsOfAResultAndCutsAnOverlongReason() {
    // Given
    InferenceResult result = InferenceResult.newBuilder()
        .setRequestId("r-1").setTeamId("alpha").setStatus(ResultStatus.PAUSED).setProfile("primary")
        .setModel("claude-sonnet-4-5").setContent("a long answer the dashboard never shows")
        .setUsage(new TokenUsage(10L, 5L, 0L, 0L, 0L, false)).setCostMicros(42L).setAttempts(List.of())
        .setRoutingReason("x".repeat(ResultHistory.MAX_REASON + 50))
        .setCompletedAt(Instant.parse("2026-11-22T10:15:00Z")).build();

    // When
    ResultHistory.Recent recent = ResultHistory.Recent.of(result);

    // Then
    assertThat(recent.status()).isEqualTo("PAUSED");
    assertThat(recent.model()).isEqualTo("claude-sonnet-4-5");
    assertThat(recent.costMicros()).isEqualTo(42);
    assertThat(recent.routingReason()).hasSize(ResultHistory.MAX_REASON + 3).endsWith("...");
  }

  @Test
  void remembersWhoseEachResultIsAndWhatItCostForTheJudgementsThatCome() {
    // Given
    ResultHistory history = new ResultHistory(3);
    InferenceResult result = InferenceResult.newBuilder()
        .setRequestId("r-7").setTeamId("alpha").setStatus(ResultStatus.OK).setProfile("fast")
        .setModel("claude-haiku-4-5").setContent("ok")
        .setUsage(new TokenUsage(1_000L, 200L, 600L, 0L, 0L, false)).setCostMicros(1_460L).setAttempts(List.of())
        .setRoutingReason("routing table: chat → fast").setCompletedAt(Instant.parse("2026-11-22T10:15:00Z"))
        .build();

    // When
    history.read("alpha", result);

    // Then
    assertThat(history.ownerOf("r-7")).isEqualTo("alpha");
    assertThat(history.result("r-7")).isEqualTo(new ResultHistory.Owner("alpha", 1_460, 1_000, 200, 600));
    assertThat(history.recent("alpha", 1)).extracting(ResultHistory.Recent::requestId).containsExactly("r-7");
    assertThat(history.result("r-8")).isNull();
    assertThat(history.ownerOf("r-8")).isNull();
    assertThat(history.result(null)).isNull();
  }
}
