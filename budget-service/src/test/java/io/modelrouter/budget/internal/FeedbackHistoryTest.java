package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.embedded.junit.ManualClock;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dashboard's learning trend and chart: what a team's judgements say, per team and per minute. */
class FeedbackHistoryTest {
  private static final Instant NOW = Instant.parse("2026-12-07T10:30:40Z");
  /** Opus 4.5 ($5 in, $25 out, $0.50 cached per MTok): the default all-frontier baseline. */
  private static final FrontierBaseline OPUS =
      new FrontierBaseline(DefaultPolicies.catalogById().get("claude-opus-4-5"), "test");

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
    // micro-dollars each), r-3 on sonnet with 1,000 in of which 400 cached (600 x $3 + 400 x $0.30 = 1,920); r-4's
    // result was never read
    Map<String, ResultHistory.Owner> results = Map.of(
        "r-1", new ResultHistory.Owner("alpha", 350, 100, 50, 0),
        "r-2", new ResultHistory.Owner("alpha", 350, 100, 50, 0),
        "r-3", new ResultHistory.Owner("alpha", 1_920, 1_000, 0, 400));
    FeedbackHistory history = new FeedbackHistory(results::get, Clock.fixed(NOW, ZoneOffset.UTC));

    history.read("alpha", judgement("f-1", "r-1", 1.0, "2026-12-07T10:28:05Z"));
    history.read("alpha", judgement("f-2", "r-4", 0.0, "2026-12-07T10:28:59.999Z"));
    history.read("alpha", judgement("f-3", "r-2", 0.5, "2026-12-07T10:30:00Z"));
    history.read("alpha", judgement("f-4", "r-3", 1.0, "2026-12-07T10:30:30Z"));
    // one stamped an hour ahead counts now (10:30)
    history.read("alpha", judgement("f-5", "r-4", 0.0, "2026-12-07T11:30:00Z"));
    history.read("beta", judgement("f-6", "r-9", 1.0, "2026-12-07T10:00:00Z"));

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
    assertThat(second.costMicros()).isEqualTo(350 + 1_920);
    // On Opus: 100 x 5 + 50 x 25 = 1,750 for r-2; r-3's 600 uncached and 400 cached input tokens: 600 x 5 +
    // 400 x 0.5 = 3,200
    assertThat(first.baselineCostMicros(OPUS)).isEqualTo(1_750);
    assertThat(second.baselineCostMicros(OPUS)).isEqualTo(1_750 + 3_200);
    assertThat(second.baselineCostMicros(null)).isZero();
    assertThat(history.minutes("beta")).hasSize(1);
    assertThat(history.minutes("gamma")).isEmpty();
  }

  @Test
  void aJudgementSentTwiceCountsOnceAndARequestJudgedTwiceIsPricedOnce() {
    Map<String, ResultHistory.Owner> results = Map.of("r-1", new ResultHistory.Owner("alpha", 350, 100, 50, 0));
    FeedbackHistory history = new FeedbackHistory(results::get, Clock.fixed(NOW, ZoneOffset.UTC));

    history.read("alpha", judgement("f-1", "r-1", 1.0, "2026-12-07T10:30:01Z"));
    history.read("alpha", judgement("f-1", "r-1", 1.0, "2026-12-07T10:30:01Z")); // the same judgement again
    history.read("alpha", judgement("f-2", "r-1", 0.0, "2026-12-07T10:30:20Z")); // a second judgement of r-1

    FeedbackHistory.Minute minute = history.minutes("alpha").getFirst();
    assertThat(minute.judgements()).isEqualTo(2);
    assertThat(minute.meanScore()).isEqualTo(0.5);
    assertThat(minute.priced()).isEqualTo(1);
    assertThat(minute.costMicros()).isEqualTo(350);
    assertThat(history.trend("alpha").latest()).isEqualTo(2);
  }

  @Test
  void aJudgementWhoseResultIsReadLaterIsPricedThenUnlessStillUnknown30sAfter() {
    Map<String, ResultHistory.Owner> results = new HashMap<>();
    ManualClock clock = new ManualClock(NOW);
    FeedbackHistory history = new FeedbackHistory(results::get, clock);
    history.read("alpha", judgement("f-1", "r-1", 1.0, "2026-12-07T10:30:01Z"));
    history.read("alpha", judgement("f-2", "r-2", 1.0, "2026-12-07T10:30:02Z"));
    assertThat(history.minutes("alpha").getFirst().priced()).isZero();

    // r-1's result is read 10 s later; r-2's is still unknown 31 s after, when its judgement stops waiting, and is
    // read only after that
    clock.advance(Duration.ofSeconds(10));
    results.put("r-1", new ResultHistory.Owner("alpha", 350, 100, 50, 0));
    assertThat(history.minutes("alpha").getFirst().priced()).isEqualTo(1);
    clock.advance(Duration.ofSeconds(21));
    assertThat(history.minutes("alpha").getFirst().priced()).isEqualTo(1);
    results.put("r-2", new ResultHistory.Owner("alpha", 350, 100, 50, 0));

    FeedbackHistory.Minute minute = history.minutes("alpha").getFirst();
    assertThat(minute.judgements()).isEqualTo(2);
    assertThat(minute.priced()).isEqualTo(1);
    assertThat(minute.costMicros()).isEqualTo(350);
  }

  @Test
  void anotherTeamsRequestIsNeverPricedIntoThisTeamsMinutes() {
    Map<String, ResultHistory.Owner> results = Map.of("r-b", new ResultHistory.Owner("beta", 9_999, 1, 1, 0));
    FeedbackHistory history = new FeedbackHistory(results::get, Clock.fixed(NOW, ZoneOffset.UTC));

    history.read("alpha", judgement("f-1", "r-b", 1.0, "2026-12-07T10:30:01Z"));

    FeedbackHistory.Minute minute = history.minutes("alpha").getFirst();
    assertThat(minute.judgements()).isEqualTo(1);
    assertThat(minute.priced()).isZero();
    assertThat(minute.costMicros()).isZero();
  }

  @Test
  void onlyTheLast60JudgedMinutesAreKept() {
    FeedbackHistory history = new FeedbackHistory(id -> null, Clock.fixed(NOW, ZoneOffset.UTC));
    Instant start = Instant.parse("2026-12-07T08:00:00Z");
    for (int minute = 0; minute < 70; minute++) {
      history.read("alpha", judgement("f-" + minute, "r-" + minute, 1.0, start.plusSeconds(60L * minute).toString()));
    }
    // and one older than every minute kept is not counted
    history.read("alpha", judgement("f-old", "r-old", 0.0, "2026-12-07T07:00:00Z"));

    List<FeedbackHistory.Minute> kept = history.minutes("alpha");
    assertThat(kept).hasSize(FeedbackHistory.MINUTES);
    assertThat(kept.getFirst().start()).isEqualTo(Instant.parse("2026-12-07T08:10:00Z"));
    assertThat(kept.getLast().start()).isEqualTo(Instant.parse("2026-12-07T09:09:00Z"));
    assertThat(kept).allSatisfy(m -> assertThat(m.meanScore()).isEqualTo(1.0));
  }

  private static FeedbackEvent judgement(String feedbackId, String requestId, double score, String at) {
    return new FeedbackEvent(feedbackId, requestId, "alpha", null, score, FeedbackSource.TEST, null, null,
        Instant.parse(at));
  }
}
