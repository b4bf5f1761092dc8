package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The learning chart's points as {@code GET /dashboard/summary} sends them, and when a cost share cannot be given. */
class LearningMinutesJsonTest {
  private static final Instant MINUTE = Instant.parse("2026-12-07T10:30:00Z");
  private static final FrontierBaseline OPUS =
      new FrontierBaseline(DefaultPolicies.catalogById().get("claude-opus-4-5"), "test");

  @Test
  void aPricedMinuteHasItsCostAndItsShareOfTheFrontiersPrice() {
    // 3 judgements (1, 1, 0), 2 requests priced: 700 micro-dollars for 200 in and 100 out, which Opus ($5 in, $25
    // out per MTok) prices at 200 x 5 + 100 x 25 = 3,500: a share of 0.2
    FeedbackHistory.Minute minute = new FeedbackHistory.Minute(MINUTE, 3, 2.0, 2, 700, 200, 100, 0);

    JsonNode point = Routes.minutesJson(List.of(minute), OPUS).get(0);

    assertThat(point.get("start").asText()).isEqualTo("2026-12-07T10:30:00Z");
    assertThat(point.get("judgements").asInt()).isEqualTo(3);
    assertThat(point.get("meanScore").asDouble()).isEqualTo(0.667);
    assertThat(point.get("priced").asInt()).isEqualTo(2);
    assertThat(point.get("costMicros").asLong()).isEqualTo(700);
    assertThat(point.get("baselineCostMicros").asLong()).isEqualTo(3_500);
    assertThat(point.get("costShare").asDouble()).isEqualTo(0.2);
  }

  @Test
  void withoutABaselineOrAPricedRequestOrAFrontierPriceTheShareIsNull() {
    FeedbackHistory.Minute priced = new FeedbackHistory.Minute(MINUTE, 1, 1.0, 1, 350, 100, 50, 0);
    FeedbackHistory.Minute unpriced = new FeedbackHistory.Minute(MINUTE, 2, 1.0, 0, 0, 0, 0, 0);
    ModelSpec free = ModelSpec.newBuilder(DefaultPolicies.catalogById().get("claude-opus-4-5"))
        .setInputPricePerMTokMicros(0).setOutputPricePerMTokMicros(0).setCachedInputPricePerMTokMicros(0).build();

    JsonNode noBaseline = Routes.minutesJson(List.of(priced), null).get(0);
    JsonNode nothingPriced = Routes.minutesJson(List.of(unpriced), OPUS).get(0);
    JsonNode freeFrontier = Routes.minutesJson(List.of(priced), new FrontierBaseline(free, "test")).get(0);

    assertThat(noBaseline.get("costShare").isNull()).isTrue();
    assertThat(noBaseline.get("baselineCostMicros").isNull()).isTrue();
    assertThat(noBaseline.get("costMicros").asLong()).isEqualTo(350);
    assertThat(nothingPriced.get("costShare").isNull()).isTrue();
    assertThat(nothingPriced.get("baselineCostMicros").isNull()).isTrue();
    assertThat(nothingPriced.get("meanScore").asDouble()).isEqualTo(0.5);
    assertThat(freeFrontier.get("baselineCostMicros").asLong()).isZero();
    assertThat(freeFrontier.get("costShare").isNull()).isTrue();
  }
}
