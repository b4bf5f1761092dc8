package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A team's usage over time ({@code GET /teams/{team}/usage/series} and the dashboard's charts): today by local hour
 * and this month by local day, each point with tokens, cost, the all-frontier baseline's cost and the calls per model
 * (the routing mix); and each window's budget burn-down with the time the team reaches every threshold at its current
 * rate.
 *
 * <p>Everything comes from {@code llm.usage.totals}, which budget-service reads from the beginning at every start:
 * the hours from today's daily totals ({@code UsageTotals.byHour}), the days from each day's daily totals. Nothing is
 * kept in memory that a restart would lose. Like {@link TeamSummary}, a pure function of its inputs.
 *
 * <p><b>Current rate.</b> The usage of the current bucket and the {@value #RATE_BUCKETS_DAILY_WINDOW} hours before it
 * (daily window) or of today and the {@value #RATE_BUCKETS_MONTHLY_WINDOW} days before it (monthly window), never
 * before the window's start, divided by the time from that bucket's start to now. Recent enough to follow a burst,
 * long enough not to swing with one call. A threshold's projected time is the earliest at which any limited metric
 * gets there at its own rate.
 */
public record TeamSeries(String team, Instant at, BudgetPolicy policy, Function<String, UsageTotals> totals,
    FrontierBaseline baseline) {
  /** Hours before the current one whose usage counts in the daily window's rate. */
  public static final int RATE_BUCKETS_DAILY_WINDOW = 2;
  /** Days before today whose usage counts in the monthly window's rate. */
  public static final int RATE_BUCKETS_MONTHLY_WINDOW = 6;

  private static final Duration HOUR = Duration.ofHours(1);

  public ObjectNode toJson() {
    ZoneId zone = BudgetMath.zone(policy);
    BudgetMath.Window day = BudgetMath.window(WindowKind.DAILY, at, zone);
    BudgetMath.Window month = BudgetMath.window(WindowKind.MONTHLY, at, zone);
    UsageTotals today = totals.apply(BudgetMath.totalsKey(team, day));
    List<Bucket> hours = hours(day, today);
    List<Bucket> days = days(month, zone);
    ObjectNode out = Json.object();
    out.put("team", team);
    Json.instant(out, "at", at);
    out.put("timeZone", zone.getId());
    out.put("baselineModel", baseline == null ? null : baseline.model().getId());
    out.set("hourly", period(day, "hour", hours));
    out.set("daily", period(month, "day", days));
    ObjectNode burnDown = out.putObject("burnDown");
    burnDown.set("daily", burnDown(day, hours, today, RATE_BUCKETS_DAILY_WINDOW, t -> t.plus(HOUR)));
    burnDown.set("monthly", burnDown(month, days, totals.apply(BudgetMath.totalsKey(team, month)),
        RATE_BUCKETS_MONTHLY_WINDOW, t -> t.atZone(zone).toLocalDate().plusDays(1).atStartOfDay(zone).toInstant()));
    return out;
  }

  // ---------------------------------------------------------------- buckets

  /** One point of a series: the usage of [start, end). */
  static final class Bucket {
    final Instant start;
    final Instant end;
    final String label;
    long inputTokens;
    long outputTokens;
    long cachedInputTokens;
    long costMicros;
    long baselineMicros;
    long calls;
    final Map<String, Long> callsByModel = new TreeMap<>();

    Bucket(Instant start, Instant end, String label) {
      this.start = start;
      this.end = end;
      this.label = label;
    }

    void add(String model, UsageBreakdown usage, FrontierBaseline baseline) {
      inputTokens += usage.getInputTokens();
      outputTokens += usage.getOutputTokens();
      cachedInputTokens += usage.getCachedInputTokens();
      costMicros += usage.getCostMicros();
      calls += usage.getCalls();
      if (baseline != null) {
        baselineMicros += baseline.costMicros(usage);
      }
      callsByModel.merge(model, usage.getCalls(), Long::sum);
    }
  }

  /** Today's hours from its start through the one holding {@code at}, filled from {@code byHour}. */
  private List<Bucket> hours(BudgetMath.Window day, UsageTotals today) {
    List<Bucket> hours = new ArrayList<>();
    for (Instant start = day.from(); start.isBefore(day.until()) && !start.isAfter(at); start = start.plus(HOUR)) {
      Instant end = start.plus(HOUR).isAfter(day.until()) ? day.until() : start.plus(HOUR);
      hours.add(new Bucket(start, end, start.toString()));
    }
    if (today == null) {
      return hours;
    }
    today.getByHour().forEach((key, usage) -> {
      int bar = key.indexOf('|');
      if (bar < 0) {
        return;
      }
      Instant hour;
      try {
        hour = Instant.parse(key.substring(0, bar));
      } catch (DateTimeParseException e) {
        return; // not written by the aggregator: nothing to place it by
      }
      long index = Duration.between(day.from(), hour).toHours();
      if (!hour.isBefore(day.from()) && index < hours.size()) {
        hours.get((int) index).add(key.substring(bar + 1), usage, baseline);
      }
    });
    return hours;
  }

  /** The month's days from its first through today, each from that day's daily totals. */
  private List<Bucket> days(BudgetMath.Window month, ZoneId zone) {
    List<Bucket> days = new ArrayList<>();
    LocalDate last = at.atZone(zone).toLocalDate();
    for (LocalDate date = month.from().atZone(zone).toLocalDate(); !date.isAfter(last); date = date.plusDays(1)) {
      BudgetMath.Window window = BudgetMath.windowOf(WindowKind.DAILY, date.toString(), zone);
      Bucket bucket = new Bucket(window.from(), window.until(), window.start());
      UsageTotals day = totals.apply(BudgetMath.totalsKey(team, window));
      if (day != null) {
        day.getByModel().forEach((model, usage) -> bucket.add(model, usage, baseline));
      }
      days.add(bucket);
    }
    return days;
  }

  private ObjectNode period(BudgetMath.Window window, String unit, List<Bucket> buckets) {
    ObjectNode out = Json.object();
    out.put("window", window.start());
    out.put("bucket", unit);
    Json.instant(out, "from", window.from());
    Json.instant(out, "until", window.until());
    ArrayNode points = out.putArray("points");
    for (Bucket b : buckets) {
      ObjectNode point = points.addObject();
      point.put("label", b.label);
      Json.instant(point, "start", b.start);
      Json.instant(point, "end", b.end);
      point.put("inputTokens", b.inputTokens);
      point.put("outputTokens", b.outputTokens);
      point.put("cachedInputTokens", b.cachedInputTokens);
      point.put("calls", b.calls);
      Json.money(point, "cost", "costUsd", b.costMicros);
      if (baseline == null) {
        point.putNull("baselineCostMicros");
        point.putNull("savedMicros");
      } else {
        Json.money(point, "baselineCost", "baselineCostUsd", b.baselineMicros);
        Json.money(point, "saved", "savedUsd", b.baselineMicros - b.costMicros);
      }
      ObjectNode mix = point.putObject("callsByModel");
      b.callsByModel.forEach(mix::put);
    }
    return out;
  }

  // ---------------------------------------------------------------- burn-down

  /** The window's budget used over time, projected to its end; null when the window has no budget. */
  private ObjectNode burnDown(BudgetMath.Window window, List<Bucket> buckets, UsageTotals windowTotals,
      int rateBuckets, java.util.function.UnaryOperator<Instant> next) {
    WindowBudget budget = BudgetMath.budget(policy, window.kind());
    BudgetMath.Fraction now = windowTotals == null ? BudgetMath.fraction(budget, 0, 0, 0)
        : BudgetMath.fraction(budget, windowTotals.getInputTokens(), windowTotals.getOutputTokens(),
            windowTotals.getCostMicros());
    if (budget == null || now.metric() == null) {
      return null;
    }
    long[] used = windowTotals == null ? new long[3]
        : new long[] {windowTotals.getInputTokens(), windowTotals.getOutputTokens(), windowTotals.getCostMicros()};
    Long[] limits = {budget.getInputTokens(), budget.getOutputTokens(), budget.getCostMicros()};
    ObjectNode out = Json.object();
    out.put("window", window.start());
    Json.instant(out, "from", window.from());
    Json.instant(out, "until", window.until());
    out.put("metric", now.metric());
    out.put("fraction", Json.fraction(now.value()));
    ObjectNode usedNode = out.putObject("used");
    ObjectNode limitNode = out.putObject("limits");
    for (int m = 0; m < 3; m++) {
      usedNode.put(METRICS[m], used[m]);
      limitNode.put(METRICS[m], limits[m]);
    }

    // Used so far: the cumulative share at the end of each bucket (at now for the current one).
    ArrayNode points = out.putArray("points");
    point(points, window.from(), 0);
    List<Instant> ends = new ArrayList<>();
    List<Double> shares = new ArrayList<>();
    long[] cumulative = new long[3];
    for (Bucket b : buckets) {
      cumulative[0] += b.inputTokens;
      cumulative[1] += b.outputTokens;
      cumulative[2] += b.costMicros;
      Instant end = b.end.isAfter(at) ? at : b.end;
      if (!ends.isEmpty() && ends.getLast().equals(end)) {
        // The current bucket begins exactly now (a series as of the top of the hour): it has no time of its own,
        // and its usage so far belongs to the point already at this instant, which it replaces
        ends.removeLast();
        shares.removeLast();
        points.remove(points.size() - 1);
      }
      ends.add(end);
      shares.add(BudgetMath.fraction(budget, cumulative[0], cumulative[1], cumulative[2]).value());
      point(points, end, shares.getLast());
    }

    // The current rate, per second, over the last buckets.
    int first = Math.max(0, buckets.size() - 1 - rateBuckets);
    Instant rateFrom = buckets.isEmpty() ? window.from() : buckets.get(first).start;
    double seconds = Duration.between(rateFrom, at).toMillis() / 1000.0;
    double[] rate = new double[3];
    for (int i = first; i < buckets.size(); i++) {
      Bucket b = buckets.get(i);
      rate[0] += b.inputTokens;
      rate[1] += b.outputTokens;
      rate[2] += b.costMicros;
    }
    ObjectNode rateNode = out.putObject("rate");
    Json.instant(rateNode, "from", rateFrom);
    Json.instant(rateNode, "to", at);
    ObjectNode perHour = rateNode.putObject("perHour");
    for (int m = 0; m < 3; m++) {
      rate[m] = seconds > 0 ? rate[m] / seconds : 0;
      perHour.put(METRICS[m], Math.round(rate[m] * 3600));
    }

    // Projected: from now to the window's end at that rate, at every bucket boundary.
    ArrayNode projection = out.putArray("projection");
    point(projection, at, now.value());
    List<Instant> boundaries = new ArrayList<>();
    for (Instant t = buckets.isEmpty() ? window.until() : buckets.getLast().end; t.isBefore(window.until());
        t = next.apply(t)) {
      boundaries.add(t);
    }
    boundaries.add(window.until());
    for (Instant t : boundaries) {
      double ahead = Duration.between(at, t).toMillis() / 1000.0;
      point(projection, t, BudgetMath.fraction(budget, projected(used[0], rate[0], ahead),
          projected(used[1], rate[1], ahead), projected(used[2], rate[2], ahead)).value());
    }

    // Each threshold: reached (by the end of which bucket), or when it will be at the current rate.
    ArrayNode thresholds = out.putArray("thresholds");
    for (double threshold : BudgetMath.thresholds(budget)) {
      ObjectNode node = thresholds.addObject();
      node.put("threshold", Json.fraction(threshold));
      node.put("state", BudgetMath.state(budget, threshold, false).name());
      if (now.value() >= threshold) {
        node.put("status", "reached");
        // by the end of the first bucket whose cumulative share reached it (now when the buckets miss it)
        int crossed = 0;
        while (crossed < shares.size() && shares.get(crossed) < threshold) {
          crossed++;
        }
        Json.instant(node, "at", crossed < shares.size() ? ends.get(crossed) : at);
        continue;
      }
      Instant when = null;
      String metric = null;
      for (int m = 0; m < 3; m++) {
        if (limits[m] == null || limits[m] <= 0 || rate[m] <= 0) {
          continue;
        }
        double missing = threshold * limits[m] - used[m];
        Instant t = at.plusMillis((long) Math.ceil(missing / rate[m] * 1000));
        if (when == null || t.isBefore(when)) {
          when = t;
          metric = METRICS[m];
        }
      }
      node.put("status", when == null ? "not at the current rate" : when.isBefore(window.until())
          ? "projected" : "not in this window");
      Json.instant(node, "at", when);
      node.put("metric", metric);
    }
    return out;
  }

  private static final String[] METRICS = {"inputTokens", "outputTokens", "costMicros"};

  private static long projected(long used, double perSecond, double seconds) {
    return used + Math.round(perSecond * seconds);
  }

  private static void point(ArrayNode points, Instant at, double fraction) {
    ObjectNode point = points.addObject();
    Json.instant(point, "at", at);
    point.put("fraction", Json.fraction(fraction));
  }
}
