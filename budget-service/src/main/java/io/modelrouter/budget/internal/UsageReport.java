package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What {@code GET /teams/{team}/usage} answers (seed 000's {@code /usage}), as JSON or as Kiro's text. A pure
 * function of its inputs, so it is tested without Kafka. Sessions come from the daily window's {@code bySession},
 * keyed {@code <sessionId>|<model>} by the aggregator.
 *
 * @param policy the team's budget, or null (no shares then)
 * @param dailyTotals the totals of {@code daily}, or null for no usage yet
 * @param action the team's current budget action, or null (NORMAL)
 * @param session the session asked for, or null for the list of sessions
 */
public record UsageReport(String team, Instant at, BudgetPolicy policy, BudgetMath.Window daily,
    UsageTotals dailyTotals, BudgetMath.Window monthly, UsageTotals monthlyTotals, BudgetAction action,
    String session) {
  /** Sessions listed when none is asked for. */
  public static final int TOP_SESSIONS = 20;

  private static final Comparator<Map.Entry<String, UsageBreakdown>> BY_TOKENS_DESC =
      Comparator.<Map.Entry<String, UsageBreakdown>>comparingLong(e -> -tokens(e.getValue()))
          .thenComparing(Map.Entry::getKey);

  /**
   * The report at {@code at}: the daily and monthly windows containing it in the policy's time zone, their totals
   * looked up by {@link BudgetMath#totalsKey}.
   */
  public static UsageReport of(String team, Instant at, BudgetPolicy policy, Function<String, UsageTotals> totals,
      BudgetAction action, String session) {
    ZoneId zone = BudgetMath.zone(policy);
    BudgetMath.Window daily = BudgetMath.window(WindowKind.DAILY, at, zone);
    BudgetMath.Window monthly = BudgetMath.window(WindowKind.MONTHLY, at, zone);
    return new UsageReport(team, at, policy, daily, totals.apply(BudgetMath.totalsKey(team, daily)), monthly,
        totals.apply(BudgetMath.totalsKey(team, monthly)), action, session);
  }

  // ---------------------------------------------------------------- JSON

  public ObjectNode toJson() {
    ObjectNode out = Json.object();
    out.put("team", team);
    Json.instant(out, "at", at);
    out.put("timeZone", BudgetMath.zone(policy).getId());
    out.put("state", state().name());
    out.put("reason", action == null ? "" : action.getReason());
    out.set("daily", windowJson(daily, dailyTotals));
    out.set("monthly", windowJson(monthly, monthlyTotals));
    ObjectNode byModel = out.putObject("byModel");
    sorted(dailyTotals == null ? Map.of() : dailyTotals.getByModel())
        .forEach(e -> byModel.set(e.getKey(), Json.breakdown(e.getValue())));
    ObjectNode byTaskType = out.putObject("byTaskType");
    sorted(dailyTotals == null ? Map.of() : dailyTotals.getByTaskType())
        .forEach(e -> byTaskType.set(e.getKey(), Json.breakdown(e.getValue())));
    Map<String, Map<String, UsageBreakdown>> sessions = sessions();
    if (session != null) {
      out.set("session", sessionJson(session, sessions.getOrDefault(session, Map.of())));
    } else {
      out.put("sessionCount", sessions.size());
      ArrayNode list = out.putArray("sessions");
      topSessions(sessions).forEach(e -> list.add(sessionJson(e.getKey(), e.getValue())));
    }
    return out;
  }

  private ObjectNode windowJson(BudgetMath.Window window, UsageTotals totals) {
    ObjectNode out = Json.object();
    out.put("window", window.kind().name());
    out.put("start", window.start());
    Json.instant(out, "from", window.from());
    Json.instant(out, "until", window.until());
    UsageBreakdown sum = sum(totals);
    out.put("inputTokens", sum.getInputTokens());
    out.put("outputTokens", sum.getOutputTokens());
    out.put("cachedInputTokens", sum.getCachedInputTokens());
    out.put("cacheWriteTokens", totals == null ? 0 : totals.getCacheWriteTokens());
    Json.money(out, "cacheSaved", "cacheSavedUsd", totals == null ? 0 : totals.getCacheSavedMicros());
    out.put("cachedResponses", totals == null ? 0 : totals.getCachedResponses());
    Json.money(out, "responseCacheSaved", "responseCacheSavedUsd",
        totals == null ? 0 : totals.getResponseCacheSavedMicros());
    out.put("batchCalls", totals == null ? 0 : totals.getBatchCalls());
    Json.money(out, "batchSaved", "batchSavedUsd", totals == null ? 0 : totals.getBatchSavedMicros());
    Json.money(out, "cost", "costUsd", sum.getCostMicros());
    Json.money(out, "credits", "credits", sum.getCreditsMicros());
    out.put("requests", totals == null ? 0 : totals.getRequests());
    out.put("calls", sum.getCalls());
    WindowBudget budget = BudgetMath.budget(policy, window.kind());
    if (budget != null) {
      BudgetMath.Fraction share = share(window.kind(), totals);
      ObjectNode node = out.putObject("share");
      node.put("fraction", Json.fraction(share.value()));
      node.put("metric", share.metric());
      node.put("used", share.used());
      node.put("limit", share.limit());
      out.put("state", windowState(window.kind(), totals).name());
    }
    return out;
  }

  private static ObjectNode sessionJson(String id, Map<String, UsageBreakdown> byModel) {
    ObjectNode out = Json.object();
    out.put("id", id);
    UsageBreakdown total = add(byModel.values());
    out.put("inputTokens", total.getInputTokens());
    out.put("outputTokens", total.getOutputTokens());
    out.put("cachedInputTokens", total.getCachedInputTokens());
    Json.money(out, "cost", "costUsd", total.getCostMicros());
    out.put("calls", total.getCalls());
    ObjectNode models = out.putObject("byModel");
    sorted(byModel).forEach(e -> models.set(e.getKey(), Json.breakdown(e.getValue())));
    return out;
  }

  // ---------------------------------------------------------------- text

  /** Kiro's {@code /usage} output, one line per fact. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    Map<String, Map<String, UsageBreakdown>> sessions = sessions();
    if (session != null) {
      Map<String, UsageBreakdown> byModel = sessions.getOrDefault(session, Map.of());
      List<Map.Entry<String, UsageBreakdown>> models = sorted(byModel);
      UsageBreakdown total = add(byModel.values());
      out.append("Session token usage (").append(session).append("):\n");
      out.append("  Input: ").append(count(total.getInputTokens())).append(" tokens")
          .append(perModel(models, true)).append('\n');
      out.append("  Output: ").append(count(total.getOutputTokens())).append(" tokens")
          .append(perModel(models, false)).append('\n');
      out.append("  Estimated cost: ").append(usd(total.getCostMicros())).append('\n');
    } else if (sessions.isEmpty()) {
      out.append("Sessions today: none\n");
    } else {
      out.append("Sessions today (").append(sessions.size()).append(sessions.size() > TOP_SESSIONS
          ? ", top " + TOP_SESSIONS + " by tokens" : "").append("):\n");
      for (Map.Entry<String, Map<String, UsageBreakdown>> e : topSessions(sessions)) {
        UsageBreakdown total = add(e.getValue().values());
        out.append("  ").append(e.getKey()).append(": ").append(count(total.getInputTokens())).append(" input / ")
            .append(count(total.getOutputTokens())).append(" output tokens, ").append(usd(total.getCostMicros()))
            .append('\n');
      }
    }
    out.append(windowLine("Daily", daily.kind(), dailyTotals));
    out.append(windowLine("Monthly", monthly.kind(), monthlyTotals));
    if (monthlyTotals != null && (monthlyTotals.getCachedInputTokens() > 0 || monthlyTotals.getCacheWriteTokens() > 0)) {
      out.append("Prompt cache (month): ").append(count(monthlyTotals.getCachedInputTokens())).append(" tokens read / ")
          .append(count(monthlyTotals.getCacheWriteTokens())).append(" written; saved ")
          .append(usd(monthlyTotals.getCacheSavedMicros())).append('\n');
    }
    if (monthlyTotals != null && monthlyTotals.getCachedResponses() > 0) {
      out.append("Response cache (month): ").append(count(monthlyTotals.getCachedResponses()))
          .append(monthlyTotals.getCachedResponses() == 1 ? " answer" : " answers").append(" reused; saved ")
          .append(usd(monthlyTotals.getResponseCacheSavedMicros())).append('\n');
    }
    if (monthlyTotals != null && monthlyTotals.getBatchCalls() > 0) {
      out.append("Batch APIs (month): ").append(count(monthlyTotals.getBatchCalls()))
          .append(monthlyTotals.getBatchCalls() == 1 ? " call" : " calls").append(" at batch prices; saved ")
          .append(usd(monthlyTotals.getBatchSavedMicros())).append('\n');
    }
    out.append("Budget state: ").append(state().name());
    if (action != null && !action.getReason().isBlank()) {
      out.append(" (").append(action.getReason()).append(')');
    }
    return out.append('\n').toString();
  }

  private String windowLine(String label, WindowKind kind, UsageTotals totals) {
    UsageBreakdown sum = sum(totals);
    String name = label.toLowerCase(Locale.ROOT);
    String share = BudgetMath.budget(policy, kind) == null ? "no " + name + " budget"
        : percent(share(kind, totals).value()) + " of " + name + " budget";
    return label + " usage: " + count(sum.getInputTokens()) + " input / " + count(sum.getOutputTokens())
        + " output tokens (" + share + "); cost " + usd(sum.getCostMicros()) + "\n";
  }

  private static String perModel(List<Map.Entry<String, UsageBreakdown>> models, boolean input) {
    if (models.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder(" (");
    for (int i = 0; i < models.size(); i++) {
      UsageBreakdown b = models.get(i).getValue();
      out.append(i == 0 ? "" : " | ").append(models.get(i).getKey()).append(": ")
          .append(count(input ? b.getInputTokens() : b.getOutputTokens()));
    }
    return out.append(')').toString();
  }

  static String count(long value) {
    return String.format(Locale.ROOT, "%,d", value);
  }

  /** Dollars to the cent, or to a hundredth of a cent below one cent, so small sessions do not read $0.00. */
  static String usd(long micros) {
    BigDecimal dollars = BigDecimal.valueOf(micros, 6);
    int scale = micros != 0 && Math.abs(micros) < 10_000 ? 4 : 2;
    return String.format(Locale.ROOT, "$%,." + scale + "f", dollars.setScale(scale, RoundingMode.HALF_UP));
  }

  /** Whole percent, rounded down: 99.7% of a budget is not yet 100%. */
  static String percent(double fraction) {
    return BigDecimal.valueOf(fraction * 100).setScale(0, RoundingMode.FLOOR).toPlainString() + "%";
  }

  // ---------------------------------------------------------------- facts

  /** The team's state: its current budget action's, NORMAL without one. */
  public BudgetState state() {
    return action == null ? BudgetState.NORMAL : action.getState();
  }

  private BudgetMath.Fraction share(WindowKind kind, UsageTotals totals) {
    UsageBreakdown sum = sum(totals);
    return BudgetMath.fraction(BudgetMath.budget(policy, kind), sum.getInputTokens(), sum.getOutputTokens(),
        sum.getCostMicros());
  }

  /** The aggregator's state of the window (it knows about manual resets); computed from the policy without totals. */
  private BudgetState windowState(WindowKind kind, UsageTotals totals) {
    if (totals != null) {
      return totals.getBudgetState();
    }
    return BudgetMath.state(BudgetMath.budget(policy, kind), share(kind, null).value(), false);
  }

  /** Session id to model to usage, from the daily window. */
  Map<String, Map<String, UsageBreakdown>> sessions() {
    Map<String, Map<String, UsageBreakdown>> out = new TreeMap<>();
    if (dailyTotals == null) {
      return out;
    }
    dailyTotals.getBySession().forEach((key, usage) -> {
      int bar = key.lastIndexOf('|');
      String id = bar < 0 ? key : key.substring(0, bar);
      String model = bar < 0 ? "unknown" : key.substring(bar + 1);
      out.computeIfAbsent(id, k -> new TreeMap<>()).merge(model, usage, (a, b) -> add(List.of(a, b)));
    });
    return out;
  }

  private static List<Map.Entry<String, Map<String, UsageBreakdown>>> topSessions(
      Map<String, Map<String, UsageBreakdown>> sessions) {
    Map<String, UsageBreakdown> totals = new LinkedHashMap<>();
    sessions.forEach((id, byModel) -> totals.put(id, add(byModel.values())));
    return sorted(totals).stream().limit(TOP_SESSIONS)
        .map(e -> Map.entry(e.getKey(), sessions.get(e.getKey()))).toList();
  }

  private static List<Map.Entry<String, UsageBreakdown>> sorted(Map<String, UsageBreakdown> map) {
    return map.entrySet().stream().sorted(BY_TOKENS_DESC).toList();
  }

  private static long tokens(UsageBreakdown b) {
    return b.getInputTokens() + b.getOutputTokens();
  }

  private static UsageBreakdown sum(UsageTotals t) {
    UsageBreakdown out = new UsageBreakdown(0L, 0L, 0L, 0L, 0L, 0L);
    if (t != null) {
      out.setInputTokens(t.getInputTokens());
      out.setOutputTokens(t.getOutputTokens());
      out.setCachedInputTokens(t.getCachedInputTokens());
      out.setCostMicros(t.getCostMicros());
      out.setCreditsMicros(t.getCreditsMicros());
      out.setCalls(t.getCalls());
    }
    return out;
  }

  private static UsageBreakdown add(Collection<UsageBreakdown> parts) {
    UsageBreakdown out = new UsageBreakdown(0L, 0L, 0L, 0L, 0L, 0L);
    for (UsageBreakdown b : parts) {
      out.setInputTokens(out.getInputTokens() + b.getInputTokens());
      out.setOutputTokens(out.getOutputTokens() + b.getOutputTokens());
      out.setCachedInputTokens(out.getCachedInputTokens() + b.getCachedInputTokens());
      out.setCostMicros(out.getCostMicros() + b.getCostMicros());
      out.setCreditsMicros(out.getCreditsMicros() + b.getCreditsMicros());
      out.setCalls(out.getCalls() + b.getCalls());
    }
    return out;
  }
}
