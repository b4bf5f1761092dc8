package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topic;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the dashboard shows of how a team's routing is judged, read from {@code llm.feedback} (from {@code lookback}
 * records before each partition's end, like {@link ResultHistory}):
 * <ul>
 *   <li>the learning line: the mean score of the team's last {@value #WINDOW} judgements against the
 *       {@value #WINDOW} before them (the last {@value #PER_TEAM} scores are kept);</li>
 *   <li>the learning chart: per minute of the last {@value #MINUTES} in which the team was judged, how many
 *       judgements, their mean score, and what the judged requests cost against the same tokens on the frontier
 *       model. A request is priced once, in the minute of its first judgement, with its result as
 *       {@link ResultHistory} read it. The result may be read after the judgement (the worker writes its implicit
 *       judgements in the result's transaction, and another reader reads results): a judgement whose result is not
 *       known yet waits for it, checked at each judgement read and each look at the minutes; found still unknown
 *       {@link #PRICE_WAIT} after the judgement was read, it counts for the score only.</li>
 * </ul>
 * A judgement read again with the same {@code feedbackId} (a producer's retry, a client sending it twice) counts
 * once, among the last {@value #REMEMBERED} ids. Memory is bounded by teams x ({@value #PER_TEAM} scores +
 * {@value #MINUTES} minutes) plus {@value #REMEMBERED} feedback ids and as many request ids.
 */
public final class FeedbackHistory extends TeamHistory<FeedbackEvent, FeedbackHistory.Judgement> {
  static final int PER_TEAM = 400;
  /** Judgements in the dashboard's "latest" window; the ones before them are the "earlier" window. */
  static final int WINDOW = 200;
  /** Minutes kept per team for the learning chart. */
  static final int MINUTES = 60;
  /** Feedback ids (for duplicates) and priced request ids remembered, each. */
  static final int REMEMBERED = 50_000;
  /** How long a judgement waits for its result to be read (at most) before it counts for the score only. */
  static final Duration PRICE_WAIT = Duration.ofSeconds(30);
  /** Judgements waiting for their result, at most (beyond them, a judgement whose result is unknown is not priced). */
  static final int MAX_WAITING = 10_000;
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
   * @param priced the judged requests first judged in this minute whose result was known: the cost and the tokens
   *     are theirs
   */
  public record Minute(Instant start, int judgements, double scoreSum, int priced, long costMicros,
      long inputTokens, long outputTokens, long cachedInputTokens) {
    Minute judged(double score) {
      return new Minute(start, judgements + 1, scoreSum + score, priced, costMicros, inputTokens, outputTokens,
          cachedInputTokens);
    }

    Minute pricedWith(ResultHistory.Owner result) {
      return new Minute(start, judgements, scoreSum, priced + 1, costMicros + result.costMicros(),
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

  /** A judged request whose result was not known yet. */
  private record Waiting(String team, Instant minute, String requestId, Instant since) {}

  private final Function<String, ResultHistory.Owner> resultOf;
  private final Clock clock;
  /** Guards everything below. */
  private final Object lock = new Object();
  private final Map<String, TreeMap<Instant, Minute>> minutes = new java.util.HashMap<>();
  private final Map<String, Boolean> feedbackIds = remembered();
  private final Map<String, Boolean> judgedRequests = remembered();
  private final Deque<Waiting> waiting = new ArrayDeque<>();

  /**
   * @param resultOf what the result of a request id cost, or null when unknown ({@link ResultHistory#result})
   * @param clock the service's clock: a judgement stamped in its future counts now
   */
  public FeedbackHistory(Topic<String, FeedbackEvent> topic, Map<String, Object> clientConfig, long lookback,
      Function<String, ResultHistory.Owner> resultOf, Clock clock, MeterRegistry registry) {
    super("feedback", topic, clientConfig, PER_TEAM, lookback, FeedbackEvent::getTeamId, Judgement::of, registry);
    this.resultOf = resultOf;
    this.clock = clock;
  }

  /** A history fed by {@link #seen} and {@link #add} only, for tests. */
  FeedbackHistory(Function<String, ResultHistory.Owner> resultOf, Clock clock) {
    super("feedback", PER_TEAM, Judgement::of);
    this.resultOf = resultOf;
    this.clock = clock;
  }

  private static Map<String, Boolean> remembered() {
    return new LinkedHashMap<>(1 << 10, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > REMEMBERED;
      }
    };
  }

  @Override
  boolean accept(FeedbackEvent event) {
    synchronized (lock) {
      return event.getFeedbackId() == null || feedbackIds.put(event.getFeedbackId(), Boolean.TRUE) == null;
    }
  }

  @Override
  void seen(String team, FeedbackEvent event) {
    Instant now = clock.instant();
    Instant at = event.getEventTime();
    if (at == null || at.isAfter(now.plus(FUTURE_SKEW))) {
      at = now;
    }
    Instant minute = at.truncatedTo(ChronoUnit.MINUTES);
    String requestId = event.getRequestId();
    synchronized (lock) {
      settle(now);
      TreeMap<Instant, Minute> byMinute = minutes.computeIfAbsent(team, t -> new TreeMap<>());
      byMinute.compute(minute, (m, old) -> (old == null ? new Minute(m, 0, 0, 0, 0, 0, 0, 0) : old)
          .judged(event.getScore()));
      while (byMinute.size() > MINUTES) {
        byMinute.pollFirstEntry();
      }
      if (requestId != null && judgedRequests.put(requestId, Boolean.TRUE) == null) {
        if (!price(team, minute, requestId) && waiting.size() < MAX_WAITING) {
          waiting.addLast(new Waiting(team, minute, requestId, now));
        }
      }
    }
  }

  /** Prices a judged request into its minute if its result is known (and the team's); false when not known yet. */
  private boolean price(String team, Instant minute, String requestId) {
    ResultHistory.Owner result = resultOf.apply(requestId);
    if (result == null) {
      return false;
    }
    if (team.equals(result.team())) {
      TreeMap<Instant, Minute> byMinute = minutes.get(team);
      if (byMinute != null) {
        byMinute.computeIfPresent(minute, (m, old) -> old.pricedWith(result));
      }
    }
    return true; // another team's result is known, and never priced here
  }

  /** Prices the waiting judgements whose result has been read since; forgets those still unknown after the wait. */
  private void settle(Instant now) {
    Instant giveUp = now.minus(PRICE_WAIT);
    for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (price(w.team(), w.minute(), w.requestId()) || w.since().isBefore(giveUp)) {
        it.remove();
      }
    }
  }

  /** The team's judged minutes, oldest first (at most {@value #MINUTES}); empty when it has none. */
  public List<Minute> minutes(String team) {
    synchronized (lock) {
      settle(clock.instant());
      TreeMap<Instant, Minute> byMinute = minutes.get(team);
      return byMinute == null ? List.of() : new ArrayList<>(byMinute.values());
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
