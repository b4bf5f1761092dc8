package io.modelrouter.schemas.budget;

import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What a budget means, in one place for every service: the calendar window of an instant in the policy's time zone,
 * a window's usage as a fraction of its limits, and the state that fraction puts the window in.
 *
 * <p>A window's fraction is the largest of used/limit over the limits that are set (input tokens, output tokens,
 * cost). Its state is NOTIFY once the fraction reaches the lowest alert threshold, the escalations' actions at
 * their fractions, and the budget's action at the limit (1.0); the most severe applies. After a manual reset a
 * window cannot return to PAUSE (it keeps its other levels) until the next window.
 */
public final class BudgetMath {
  private BudgetMath() {}

  /** A calendar window: its kind, its start as written in keys ({@code 2026-11-22}, {@code 2026-11}) and bounds. */
  public record Window(WindowKind kind, String start, Instant from, Instant until) {
    public boolean contains(Instant at) {
      return !at.isBefore(from) && at.isBefore(until);
    }
  }

  /** Which of the limits binds: the fraction, the metric, and its usage and limit. */
  public record Fraction(double value, String metric, long used, long limit) {
    public static final Fraction NONE = new Fraction(0, null, 0, 0);

    public String describe() {
      return metric == null ? "no limit" : String.format(Locale.ROOT, "%s at %.0f%% (%,d of %,d)", metric,
          value * 100, used, limit);
    }
  }

  /**
   * How far ahead of the counting service's clock a usage event's time may be and still be taken as it is: the
   * clock skew tolerated between a worker and the router or aggregator. An event dated further ahead (a worker with a
   * wrong clock) is counted as happening now, so one bad timestamp cannot move a team into a future window, where
   * the real day's usage would no longer count.
   */
  public static final Duration CLOCK_SKEW_TOLERANCE = Duration.ofMinutes(1);

  /** Whether an event dated {@code eventTime} is further ahead of {@code now} than the tolerated clock skew. */
  public static boolean fromTheFuture(Instant eventTime, Instant now) {
    return eventTime.isAfter(now.plus(CLOCK_SKEW_TOLERANCE));
  }

  public static ZoneId zone(BudgetPolicy policy) {
    if (policy == null || policy.getTimeZone() == null) {
      return ZoneOffset.UTC;
    }
    try {
      return ZoneId.of(policy.getTimeZone());
    } catch (DateTimeException e) {
      return ZoneOffset.UTC;
    }
  }

  public static Window window(WindowKind kind, Instant at, ZoneId zone) {
    LocalDate date = at.atZone(zone).toLocalDate();
    if (kind == WindowKind.MONTHLY) {
      YearMonth month = YearMonth.from(date);
      return new Window(kind, month.toString(), month.atDay(1).atStartOfDay(zone).toInstant(),
          month.plusMonths(1).atDay(1).atStartOfDay(zone).toInstant());
    }
    return new Window(kind, date.toString(), date.atStartOfDay(zone).toInstant(),
        date.plusDays(1).atStartOfDay(zone).toInstant());
  }

  /** The window that starts at {@code start} ({@code 2026-11-22} or {@code 2026-11}) in the zone. */
  public static Window windowOf(WindowKind kind, String start, ZoneId zone) {
    Instant from = kind == WindowKind.MONTHLY
        ? YearMonth.parse(start).atDay(1).atStartOfDay(zone).toInstant()
        : LocalDate.parse(start).atStartOfDay(zone).toInstant();
    return window(kind, from, zone);
  }

  /** Key of a window's totals on {@code llm.usage.totals}: {@code <team>|<DAILY|MONTHLY>|<start>}. */
  public static String totalsKey(String teamId, Window window) {
    return totalsKey(teamId, window.kind(), window.start());
  }

  /** Key of a window's totals on {@code llm.usage.totals}, from the window's kind and start. */
  public static String totalsKey(String teamId, WindowKind kind, String start) {
    return teamId + "|" + kind.name() + "|" + start;
  }

  public static WindowBudget budget(BudgetPolicy policy, WindowKind kind) {
    if (policy == null) {
      return null;
    }
    return kind == WindowKind.DAILY ? policy.getDaily() : policy.getMonthly();
  }

  public static Fraction fraction(WindowBudget budget, long inputTokens, long outputTokens, long costMicros) {
    if (budget == null) {
      return Fraction.NONE;
    }
    Fraction best = Fraction.NONE;
    best = larger(best, "inputTokens", inputTokens, budget.getInputTokens());
    best = larger(best, "outputTokens", outputTokens, budget.getOutputTokens());
    best = larger(best, "costMicros", costMicros, budget.getCostMicros());
    return best;
  }

  private static Fraction larger(Fraction best, String metric, long used, Long limit) {
    if (limit == null || limit <= 0) {
      return best;
    }
    double value = used / (double) limit;
    return best.metric() == null || value > best.value() ? new Fraction(value, metric, used, limit) : best;
  }

  /**
   * The window's state at this fraction.
   *
   * @param pauseLifted a manual reset lifted a pause in this window: it cannot pause again before the next one
   */
  public static BudgetState state(WindowBudget budget, double fraction, boolean pauseLifted) {
    if (budget == null || fraction <= 0) {
      return BudgetState.NORMAL;
    }
    BudgetState state = BudgetState.NORMAL;
    for (double threshold : budget.getAlertThresholds()) {
      if (fraction >= threshold) {
        state = max(state, BudgetState.NOTIFY);
      }
    }
    for (Escalation escalation : budget.getEscalations()) {
      if (fraction >= escalation.getAt()) {
        state = max(state, of(escalation.getAction(), pauseLifted));
      }
    }
    if (fraction >= 1.0) {
      state = max(state, of(budget.getAction(), pauseLifted));
    }
    return state;
  }

  /** Every fraction at which something happens (alerts, escalations, the limit), ascending. */
  public static List<Double> thresholds(WindowBudget budget) {
    TreeSet<Double> all = new TreeSet<>(budget.getAlertThresholds());
    budget.getEscalations().forEach(e -> all.add(e.getAt()));
    all.add(1.0);
    return new ArrayList<>(all);
  }

  /** The lowest fraction at which the window would be in {@code state} or worse; infinity if never. */
  public static double fractionFor(WindowBudget budget, BudgetState state, boolean pauseLifted) {
    for (double threshold : thresholds(budget)) {
      if (state(budget, threshold, pauseLifted).ordinal() >= state.ordinal()) {
        return threshold;
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  private static BudgetState of(BudgetActionType action, boolean pauseLifted) {
    return switch (action) {
      case NOTIFY -> BudgetState.NOTIFY;
      case RESTRICT -> BudgetState.RESTRICT;
      case PAUSE -> pauseLifted ? BudgetState.NOTIFY : BudgetState.PAUSE;
    };
  }

  public static BudgetState max(BudgetState a, BudgetState b) {
    return a.ordinal() >= b.ordinal() ? a : b;
  }
}
