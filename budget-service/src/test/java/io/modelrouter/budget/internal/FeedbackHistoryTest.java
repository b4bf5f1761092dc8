package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's learning trend and chart: what a team's judgements say, per team and per minute. */
class FeedbackHistoryTest {
  private static final Instant NOW = Instant.parse("2026-12-07T10:30:40Z");

  @Test
  void theLatest200AreComparedWithTheOnesBeforeThem() {
    FeedbackHistory history = new FeedbackHistory(id -> null, Clock.fixed(NOW, ZoneOffset.UTC));
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

  @Test
  void eachMinuteHasItsMeanScoreAndWhatItsPricedRequestsCostAgainstTheFrontier() {
    // Results as ResultHistory read them: r-1 and r-2 on haiku (100 in, 50 out: 100 x $1 + 50 x $5 per MTok = 350
    // micro-dollars each), r-3 on sonnet with 1,000 in of which 400 cached; r-4 was never read
    Map<String, ResultHistory.Owner> results = Map.of(
        "r-1", new ResultHistory.Owner("alpha", 350, 100, 50, 0),
        "r-2", new ResultHistory.Owner("alpha", 350, 100, 50, 0),
        "r-3", new ResultHistory.Owner("alpha", 2_520, 1_000, 0, 400));
    FeedbackHistory history = new FeedbackHistory(results::get, Clock.fixed(NOW, ZoneOffset.UTC));

    history.seen("alpha", judgement("r-1", 1.0, "2026-12-07T10:28:05Z"));
    history.seen("alpha", judgement("r-4", 0.0, "2026-12-07T10:28:59.999Z"));
    history.seen("alpha", judgement("r-2", 0.5, "2026-12-07T10:30:00Z"));
    history.seen("alpha", judgement("r-3", 1.0, "2026-12-07T10:30:30Z"));
    // one stamped an hour ahead counts now (10:30)
    history.seen("alpha", judgement("r-4", 0.0, "2026-12-07T11:30:00Z"));
    history.seen("beta", judgement("r-9", 1.0, "2026-12-07T10:00:00Z"));

    List<FeedbackHistory.Minute> alpha = history.minutes("alpha");
    assertThat(alpha).extracting(FeedbackHistory.Minute::start)
        .containsExactly(Instant.parse("2026-12-07T10:28:00Z"), Instant.parse("2026-12-07T10:30:00Z"));
    FeedbackHistory.Minute first = alpha.get(0);
    assertThat(first.judgements()).isEqualTo(2);
    assertThat(first.meanScore()).isEqualTo(0.5);
    assertThat(first.priced()).isEqualTo(1);
    assertThat(first.costMicros()).isEqualTo(350);
    FeedbackHistory.Minute second = alpha.get(1);
    assertThat(second.judgements()).isEqualTo(3);
    assertThat(second.meanScore()).isEqualTo(0.5);
    assertThat(second.priced()).isEqualTo(2);
    assertThat(second.costMicros()).isEqualTo(350 + 2_520);
    // On Opus 4.5 ($5 in, $25 out, $0.50 cached per MTok): 100 x 5 + 50 x 25 = 1,750 for r-2; r-3's 600 uncached
    // and 400 cached input tokens: 600 x 5 + 400 x 0.5 = 3,200
    ModelSpec opus = DefaultPolicies.catalogById().get("claude-opus-4-5");
    FrontierBaseline frontier = new FrontierBaseline(opus, "test");
    assertThat(first.baselineCostMicros(frontier)).isEqualTo(1_750);
    assertThat(second.baselineCostMicros(frontier)).isEqualTo(1_750 + 3_200);
    assertThat(second.baselineCostMicros(null)).isZero();
    assertThat(history.minutes("beta")).hasSize(1);
    assertThat(history.minutes("gamma")).isEmpty();
  }

  @Test
  void onlyTheLast60JudgedMinutesAreKept() {
    FeedbackHistory history = new FeedbackHistory(id -> null, Clock.fixed(NOW, ZoneOffset.UTC));
    Instant start = Instant.parse("2026-12-07T08:00:00Z");
    for (int minute = 0; minute < 70; minute++) {
      history.seen("alpha", judgement("r-" + minute, 1.0, start.plusSeconds(60L * minute).toString()));
    }
    // and one older than every minute kept is not counted
    history.seen("alpha", judgement("r-old", 0.0, "2026-12-07T07:00:00Z"));

    List<FeedbackHistory.Minute> kept = history.minutes("alpha");
    assertThat(kept).hasSize(FeedbackHistory.MINUTES);
    assertThat(kept.getFirst().start()).isEqualTo(Instant.parse("2026-12-07T08:10:00Z"));
    assertThat(kept.getLast().start()).isEqualTo(Instant.parse("2026-12-07T09:09:00Z"));
    assertThat(kept).allSatisfy(m -> assertThat(m.meanScore()).isEqualTo(1.0));
  }

  private static FeedbackEvent judgement(String requestId, double score, String at) {
    return new FeedbackEvent("fb-" + requestId + "-" + at, requestId, "alpha", null, score, FeedbackSource.TEST, null,
        null, Instant.parse(at));
  }
}
