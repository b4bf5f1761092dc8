package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.schemas.Topic;
import java.util.List;
import java.util.Map;

/**
 * The last {@value #PER_TEAM} judgements of every team, read from {@code llm.feedback} (from {@code lookback} records
 * before each partition's end, like {@link ResultHistory}), for the dashboard's learning line: how the team's
 * results are judged lately against the judgements before. Only the score and the source are kept.
 */
public final class FeedbackHistory extends TeamHistory<FeedbackEvent, FeedbackHistory.Judgement> {
  static final int PER_TEAM = 400;
  /** Judgements in the dashboard's "latest" window; the ones before them are the "earlier" window. */
  static final int WINDOW = 200;

  public record Judgement(double score, String source) {
    static Judgement of(FeedbackEvent event) {
      return new Judgement(event.getScore(), event.getSource().name());
    }
  }

  /** The mean score of the latest {@link #WINDOW} judgements and of up to as many before them. */
  public record Trend(int latest, double latestMean, int earlier, double earlierMean) {}

  public FeedbackHistory(Topic<String, FeedbackEvent> topic, Map<String, Object> clientConfig, long lookback,
      MeterRegistry registry) {
    super("feedback", topic, clientConfig, PER_TEAM, lookback, FeedbackEvent::getTeamId, Judgement::of, registry);
  }

  /** A history fed by {@link #add} only, for tests. */
  FeedbackHistory() {
    super("feedback", PER_TEAM);
  }

  /** The team's trend, or null when it has no judgement. */
  public Trend trend(String team) {
    List<Judgement> newestFirst = recent(team, PER_TEAM);
    if (newestFirst.isEmpty()) {
      return null;
    }
    List<Judgement> latest = newestFirst.subList(0, Math.min(WINDOW, newestFirst.size()));
    List<Judgement> earlier = newestFirst.subList(latest.size(), newestFirst.size());
    return new Trend(latest.size(), mean(latest), earlier.size(), mean(earlier));
  }

  private static double mean(List<Judgement> judgements) {
    return judgements.stream().mapToDouble(Judgement::score).average().orElse(0);
  }

  public FeedbackHistory start() {
    startReading();
    return this;
  }
}
