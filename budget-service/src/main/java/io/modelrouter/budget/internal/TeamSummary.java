package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One team's card on the dashboard ({@code GET /dashboard/summary}): its state, each window's usage against each
 * limit, usage by model and task type, cost against the all-frontier baseline, recent alerts and recent results
 * with their routing reasons. A pure function of its inputs, like {@link UsageReport}, so it is tested without Kafka.
 *
 * @param policy the team's budget, or null
 * @param dailyTotals the daily window's totals, or null for no usage yet
 * @param action the team's current budget action, or null (NORMAL)
 * @param alerts the team's retained alerts, newest first
 * @param results the team's most recent results, newest first
 * @param baseline the frontier model to compare with, or null (no saving shown)
 */
public record TeamSummary(String team, Instant at, BudgetPolicy policy, BudgetMath.Window daily,
    UsageTotals dailyTotals, BudgetMath.Window monthly, UsageTotals monthlyTotals, BudgetAction action,
    List<BudgetAlert> alerts, List<ResultHistory.Recent> results, FrontierBaseline baseline) {
  /** Alerts listed on a card; the count covers every retained alert of the day. */
  public static final int ALERTS_SHOWN = 10;
  public static final int RESULTS_SHOWN = 20;

  private static final Comparator<Map.Entry<String, UsageBreakdown>> BY_TOKENS_DESC =
      Comparator.<Map.Entry<String, UsageBreakdown>>comparingLong(
              e -> -(e.getValue().getInputTokens() + e.getValue().getOutputTokens()))
          .thenComparing(Map.Entry::getKey);

  /** The summary at {@code at}: the windows containing it in the policy's time zone (as {@code /usage}). */
  public static TeamSummary of(String team, Instant at, BudgetPolicy policy, Function<String, UsageTotals> totals,
      BudgetAction action, List<BudgetAlert> alerts, List<ResultHistory.Recent> results, FrontierBaseline baseline) {
    ZoneId zone = BudgetMath.zone(policy);
    BudgetMath.Window daily = BudgetMath.window(WindowKind.DAILY, at, zone);
    BudgetMath.Window monthly = BudgetMath.window(WindowKind.MONTHLY, at, zone);
    return new TeamSummary(team, at, policy, daily, totals.apply(BudgetMath.totalsKey(team, daily)), monthly,
        totals.apply(BudgetMath.totalsKey(team, monthly)), action, alerts, results, baseline);
  }

  public ObjectNode toJson() {
    ObjectNode out = Json.object();
    out.put("team", team);
    out.put("state", action == null ? BudgetState.NORMAL.name() : action.getState().name());
    out.put("reason", action == null ? "" : action.getReason());
    Json.instant(out, "since", action == null ? null : action.getSince());
    out.put("timeZone", BudgetMath.zone(policy).getId());
    if (policy == null) {
      out.putNull("budgetVersion");
    } else {
      out.put("budgetVersion", policy.getVersion());
    }
    out.set("baseline", baselineJson());
    out.set("daily", windowJson(daily, dailyTotals));
    out.set("monthly", windowJson(monthly, monthlyTotals));
    ObjectNode alertsNode = out.putObject("alerts");
    alertsNode.put("today", alerts.stream().filter(a -> a.getAt() != null && daily.contains(a.getAt())).count());
    ArrayNode recent = alertsNode.putArray("recent");
    alerts.stream().limit(ALERTS_SHOWN).forEach(a -> recent.add(Json.alert(a)));
    ArrayNode resultsNode = out.putArray("results");
    results.stream().limit(RESULTS_SHOWN).forEach(r -> resultsNode.add(resultJson(r)));
    return out;
  }

  private ObjectNode baselineJson() {
    if (baseline == null) {
      return null;
    }
    ObjectNode out = Json.object();
    out.put("model", baseline.model().getId());
    out.put("displayName", baseline.model().getDisplayName());
    out.put("source", baseline.source());
    out.put("inputUsdPerMTok", Json.decimal(baseline.model().getInputPricePerMTokMicros()));
    out.put("outputUsdPerMTok", Json.decimal(baseline.model().getOutputPricePerMTokMicros()));
    out.put("cachedInputUsdPerMTok", Json.decimal(baseline.model().getCachedInputPricePerMTokMicros()));
    return out;
  }

  private ObjectNode windowJson(BudgetMath.Window window, UsageTotals totals) {
    ObjectNode out = Json.object();
    out.put("window", window.kind().name());
    out.put("start", window.start());
    Json.instant(out, "from", window.from());
    Json.instant(out, "until", window.until());
    WindowBudget budget = BudgetMath.budget(policy, window.kind());
    long input = totals == null ? 0 : totals.getInputTokens();
    long output = totals == null ? 0 : totals.getOutputTokens();
    long cost = totals == null ? 0 : totals.getCostMicros();
    out.put("state", windowState(budget, totals, input, output, cost).name());
    out.put("requests", totals == null ? 0 : totals.getRequests());
    out.put("calls", totals == null ? 0 : totals.getCalls());
    out.put("inputTokens", input);
    out.put("outputTokens", output);
    out.put("cachedInputTokens", totals == null ? 0 : totals.getCachedInputTokens());
    out.put("cacheWriteTokens", totals == null ? 0 : totals.getCacheWriteTokens());
    out.put("cacheSavedMicros", totals == null ? 0 : totals.getCacheSavedMicros());
    out.put("cachedResponses", totals == null ? 0 : totals.getCachedResponses());
    Json.money(out, "responseCacheSaved", "responseCacheSavedUsd",
        totals == null ? 0 : totals.getResponseCacheSavedMicros());
    out.put("batchCalls", totals == null ? 0 : totals.getBatchCalls());
    Json.money(out, "batchSaved", "batchSavedUsd", totals == null ? 0 : totals.getBatchSavedMicros());
    Json.money(out, "cost", "costUsd", cost);

    ObjectNode limits = out.putObject("limits");
    ObjectNode fractions = out.putObject("fractions");
    Long inputLimit = budget == null ? null : budget.getInputTokens();
    Long outputLimit = budget == null ? null : budget.getOutputTokens();
    Long costLimit = budget == null ? null : budget.getCostMicros();
    limits.put("inputTokens", inputLimit);
    limits.put("outputTokens", outputLimit);
    limits.put("costMicros", costLimit);
    limits.put("costUsd", costLimit == null ? null : Json.decimal(costLimit));
    fractions.put("inputTokens", fraction(input, inputLimit));
    fractions.put("outputTokens", fraction(output, outputLimit));
    fractions.put("cost", fraction(cost, costLimit));
    BudgetMath.Fraction share = BudgetMath.fraction(budget, input, output, cost);
    if (share.metric() == null) {
      out.putNull("share");
    } else {
      ObjectNode node = out.putObject("share");
      node.put("fraction", Json.fraction(share.value()));
      node.put("metric", share.metric());
      node.put("used", share.used());
      node.put("limit", share.limit());
    }

    Map<String, UsageBreakdown> byModel = totals == null ? Map.of() : totals.getByModel();
    if (baseline == null) {
      out.putNull("baselineCostMicros");
      out.putNull("baselineCostUsd");
      out.putNull("savedMicros");
      out.putNull("savedUsd");
      out.putNull("savedFraction");
    } else {
      long frontier = baseline.costMicros(byModel);
      Json.money(out, "baselineCost", "baselineCostUsd", frontier);
      Json.money(out, "saved", "savedUsd", frontier - cost);
      // No tokens, no baseline: a saving of nothing is not a percentage.
      out.put("savedFraction", frontier == 0 ? null : Json.fraction((frontier - cost) / (double) frontier));
    }
    ArrayNode models = out.putArray("byModel");
    sorted(byModel).forEach(e -> {
      ObjectNode row = Json.breakdown(e.getValue());
      row.put("model", e.getKey());
      if (baseline != null) {
        Json.money(row, "baselineCost", "baselineCostUsd", baseline.costMicros(e.getValue()));
      }
      models.add(row);
    });
    ArrayNode taskTypes = out.putArray("byTaskType");
    sorted(totals == null ? Map.of() : totals.getByTaskType()).forEach(e -> {
      ObjectNode row = Json.breakdown(e.getValue());
      row.put("taskType", e.getKey());
      taskTypes.add(row);
    });
    return out;
  }

  /** The aggregator's state of the window when it has totals (it knows about manual resets), else the policy's. */
  private static BudgetState windowState(WindowBudget budget, UsageTotals totals, long input, long output,
      long cost) {
    if (totals != null) {
      return totals.getBudgetState();
    }
    return BudgetMath.state(budget, BudgetMath.fraction(budget, input, output, cost).value(), false);
  }

  private static BigDecimal fraction(long used, Long limit) {
    return limit == null || limit <= 0 ? null : Json.fraction(used / (double) limit);
  }

  private static ObjectNode resultJson(ResultHistory.Recent r) {
    ObjectNode out = Json.object();
    out.put("requestId", r.requestId());
    out.put("status", r.status());
    out.put("profile", r.profile());
    out.put("model", r.model());
    out.put("routingReason", r.routingReason());
    Json.money(out, "cost", "costUsd", r.costMicros());
    Json.instant(out, "completedAt", r.completedAt());
    return out;
  }

  private static List<Map.Entry<String, UsageBreakdown>> sorted(Map<String, UsageBreakdown> map) {
    return map.entrySet().stream().sorted(BY_TOKENS_DESC).toList();
  }
}
