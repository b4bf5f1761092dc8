package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topic;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What the dashboard shows of how a team's routing is judged, read from {@code llm.feedback} (from {@code lookback}
 * records before each partition's end, like {@link ResultHistory}):
 * <ul>
 *   <li>the learning line: the mean score of the team's last {@value #WINDOW} judgements against the
 *       {@value #WINDOW} before them (the last {@value #PER_TEAM} scores are kept);</li>
 *   <li>the learning chart: per minute of the last {@value #MINUTES} in which the team was judged, how many
 *       judgements, their mean score, and what the judged requests cost against the same tokens on the frontier
 *       model. A judged request is priced with its result as {@link ResultHistory} read it; one whose result it had
 *       not read (or no longer remembers) when the judgement came counts for the score only.</li>
 * </ul>
 * Memory is bounded by teams x ({@value #PER_TEAM} scores + {@value #MINUTES} minutes).
 */
public final class FeedbackHistory extends TeamHistory<FeedbackEvent, FeedbackHistory.Judgement> {
  static final int PER_TEAM = 400;
  /** Judgements in the dashboard's "latest" window; the ones before them are the "earlier" window. */
  static final int WINDOW = 200;
  /** Minutes kept per team for the learning chart. */
  static final int MINUTES = 60;
  /** A judgement stamped later than this after it is read counts at the time it is read. */
  private static final Duration FUTURE_SKEW = Duration.ofMinutes(1);

  public record Judgement(double score, String source) {
    static Judgement of(FeedbackEvent event) {
      return new Judgement(event.getScore(), event.getSource().name());
    }
  }

  /** The mean score of the latest {@link #WINDOW} judgements and of up to as many before them. */
  public record Trend(int latest, double latestMean, int earlier, double earlierMean) {}

  /**
   * One minute of a team's judgements.
   *
   * @param priced the judged requests whose result was known, which the cost and tokens sum over
   */
  public record Minute(Instant start, int judgements, double scoreSum, int priced, long costMicros,
      long inputTokens, long outputTokens, long cachedInputTokens) {
    Minute plus(double score, ResultHistory.Owner result) {
      return result == null
          ? new Minute(start, judgements + 1, scoreSum + score, priced, costMicros, inputTokens, outputTokens,
              cachedInputTokens)
          : new Minute(start, judgements + 1, scoreSum + score, priced + 1, costMicros + result.costMicros(),
              inputTokens + result.inputTokens(), outputTokens + result.outputTokens(),
              cachedInputTokens + result.cachedInputTokens());
    }

    public double meanScore() {
      return judgements == 0 ? 0 : scoreSum / judgements;
    }

    /** The priced requests' tokens at the frontier model's prices (null baseline: 0). */
    public long baselineCostMicros(FrontierBaseline baseline) {
      return baseline == null ? 0
          : Pricing.costMicros(baseline.model(), inputTokens, outputTokens, cachedInputTokens);
    }
  }

  private final Function<String, ResultHistory.Owner> resultOf;
  private final Clock clock;
  private final Map<String, TreeMap<Instant, Minute>> minutes = new ConcurrentHashMap<>();

  /**
   * @param resultOf what the result of a request id cost, or null when unknown ({@link ResultHistory#result})
   */
  public FeedbackHistory(Topic<String, FeedbackEvent> topic, Map<String, Object> clientConfig, long lookback,
      Function<String, ResultHistory.Owner> resultOf, MeterRegistry registry) {
    super("feedback", topic, clientConfig, PER_TEAM, lookback, FeedbackEvent::getTeamId, Judgement::of, registry);
    this.resultOf = resultOf;
    this.clock = Clock.systemUTC();
  }

  /** A history fed by {@link #seen} and {@link #add} only, for tests. */
  FeedbackHistory(Function<String, ResultHistory.Owner> resultOf, Clock clock) {
    super("feedback", PER_TEAM);
    this.resultOf = resultOf;
    this.clock = clock;
  }

  @Override
  void seen(String team, FeedbackEvent event) {
    Instant now = clock.instant();
    Instant at = event.getEventTime();
    if (at == null || at.isAfter(now.plus(FUTURE_SKEW))) {
      at = now;
    }
    Instant minute = at.truncatedTo(ChronoUnit.MINUTES);
    ResultHistory.Owner result = resultOf.apply(event.getRequestId());
    TreeMap<Instant, Minute> byMinute = minutes.computeIfAbsent(team, t -> new TreeMap<>());
    synchronized (byMinute) {
      if (byMinute.size() >= MINUTES && minute.isBefore(byMinute.firstKey())) {
        return; // older than every minute kept: the chart does not go back that far
      }
      byMinute.compute(minute, (m, old) -> (old == null ? new Minute(m, 0, 0, 0, 0, 0, 0, 0) : old)
          .plus(event.getScore(), result));
      while (byMinute.size() > MINUTES) {
        byMinute.pollFirstEntry();
      }
    }
  }

  /** The team's judged minutes, oldest first (at most {@value #MINUTES}); empty when it has none. */
  public List<Minute> minutes(String team) {
    TreeMap<Instant, Minute> byMinute = minutes.get(team);
    if (byMinute == null) {
      return List.of();
    }
    synchronized (byMinute) {
      return new ArrayList<>(byMinute.values());
    }
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
