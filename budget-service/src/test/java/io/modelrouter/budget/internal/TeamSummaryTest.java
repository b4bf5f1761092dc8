package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TeamSummaryTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:15:00Z");
  private static final BudgetMath.Window DAY = BudgetMath.window(WindowKind.DAILY, AT, ZoneOffset.UTC);
  private static final BudgetMath.Window MONTH = BudgetMath.window(WindowKind.MONTHLY, AT, ZoneOffset.UTC);
  private static final FrontierBaseline OPUS =
      FrontierBaseline.of(null, DefaultPolicies.routingPolicy(), DefaultPolicies.catalogById());

  private static final BudgetPolicy POLICY = PolicyJson.parseBudgetPolicy("orion", PolicyJson.read("""
      {"daily": {"inputTokens": 400000, "costUsd": 2.5, "alertThresholds": [0.5, 1.0]},
       "monthly": {"outputTokens": 1000000}}""", "budget"));

  private static UsageBreakdown usage(long input, long output, long costMicros) {
    return new UsageBreakdown(input, output, 0L, costMicros, 0L, 2L);
  }

  private static UsageTotals daily() {
    return UsageTotals.newBuilder()
        .setTeamId("orion").setWindow(WindowKind.DAILY).setWindowStart(DAY.start())
        .setStartTime(DAY.from()).setEndTime(DAY.until())
        .setInputTokens(300_000).setOutputTokens(50_000).setCostMicros(1_150_000).setCalls(4).setRequests(3)
        // Haiku: 200k x $1 + 30k x $5 = $0.35; Sonnet: 100k x $3 + 20k x $15 = $0.60 (+ a retry's $0.20)
        .setByModel(Map.of("claude-haiku-4-5", usage(200_000, 30_000, 350_000),
            "claude-sonnet-4-5", usage(100_000, 20_000, 800_000)))
        .setByTaskType(Map.of("interactiveChat", usage(200_000, 30_000, 350_000),
            "codeReview", usage(100_000, 20_000, 800_000)))
        .setBudgetState(BudgetState.NOTIFY)
        .build();
  }

  private static BudgetAlert alert(String id, Instant at) {
    return BudgetAlert.newBuilder().setAlertId(id).setTeamId("orion").setWindowStart(DAY.start()).setAt(at)
        .setState(BudgetState.NOTIFY).setMessage("alert " + id).build();
  }

  private static TeamSummary summary(BudgetPolicy policy, UsageTotals dailyTotals, FrontierBaseline baseline,
      List<BudgetAlert> alerts, List<ResultHistory.Recent> results) {
    BudgetAction action = BudgetAction.newBuilder().setTeamId("orion").setState(BudgetState.NOTIFY)
        .setReason("daily inputTokens at 75% (300,000 of 400,000)").setSince(AT.minusSeconds(60)).build();
    Map<String, UsageTotals> totals = new HashMap<>();
    if (dailyTotals != null) {
      totals.put(BudgetMath.totalsKey("orion", DAY), dailyTotals);
    }
    return TeamSummary.of("orion", AT, policy, totals::get, action, alerts, results, baseline);
  }

  @Test
  void eachLimitHasItsOwnFractionAndTheBindingOneIsTheShare() {
    // When
    JsonNode day = summary(POLICY, daily(), OPUS, List.of(), List.of()).toJson().get("daily");

    // Then
    assertThat(day.get("state").asText()).isEqualTo("NOTIFY");
    assertThat(day.get("inputTokens").asLong()).isEqualTo(300_000);
    assertThat(day.get("limits").get("inputTokens").asLong()).isEqualTo(400_000);
    assertThat(day.get("limits").get("outputTokens").isNull()).isTrue();
    assertThat(day.get("limits").get("costMicros").asLong()).isEqualTo(2_500_000);
    assertThat(day.get("limits").get("costUsd").decimalValue()).isEqualByComparingTo("2.5");
    assertThat(day.get("fractions").get("inputTokens").decimalValue()).isEqualByComparingTo("0.75");
    assertThat(day.get("fractions").get("outputTokens").isNull()).isTrue();
    assertThat(day.get("fractions").get("cost").decimalValue()).isEqualByComparingTo("0.46");
    assertThat(day.get("share").get("metric").asText()).isEqualTo("inputTokens");
    assertThat(day.get("share").get("fraction").decimalValue()).isEqualByComparingTo("0.75");
  }

  @Test
  void costIsComparedWithTheSameTokensOnTheFrontierModel() {
    // When
    JsonNode day = summary(POLICY, daily(), OPUS, List.of(), List.of()).toJson().get("daily");

    // Then: at Opus prices, haiku's tokens cost 200k x $5 + 30k x $25 = $1.75 and sonnet's $0.50 + $0.50 = $1.00
    assertThat(day.get("costMicros").asLong()).isEqualTo(1_150_000);
    assertThat(day.get("baselineCostMicros").asLong()).isEqualTo(2_750_000);
    assertThat(day.get("baselineCostUsd").decimalValue()).isEqualByComparingTo("2.75");
    assertThat(day.get("savedMicros").asLong()).isEqualTo(1_600_000);
    assertThat(day.get("savedFraction").decimalValue()).isEqualByComparingTo("0.5818");
    JsonNode first = day.get("byModel").get(0);
    assertThat(first.get("model").asText()).isEqualTo("claude-haiku-4-5");
    assertThat(first.get("baselineCostMicros").asLong()).isEqualTo(1_750_000);
    assertThat(day.get("byTaskType").get(1).get("taskType").asText()).isEqualTo("codeReview");
  }

  @Test
  void windowWithoutUsageHasNoSavedFractionAndWithoutABudgetNoLimits() {
    // When
    JsonNode json = summary(null, null, OPUS, List.of(), List.of()).toJson();

    // Then
    JsonNode month = json.get("monthly");
    assertThat(month.get("state").asText()).isEqualTo("NORMAL");
    assertThat(month.get("baselineCostMicros").asLong()).isZero();
    assertThat(month.get("savedFraction").isNull()).isTrue();
    assertThat(month.get("limits").get("inputTokens").isNull()).isTrue();
    assertThat(month.get("fractions").get("cost").isNull()).isTrue();
    assertThat(month.get("share").isNull()).isTrue();
    assertThat(json.get("budgetVersion").isNull()).isTrue();
  }

  @Test
  void withoutABaselineNoSavingIsClaimed() {
    // When
    JsonNode day = summary(POLICY, daily(), null, List.of(), List.of()).toJson().get("daily");

    // Then
    assertThat(day.get("baselineCostMicros").isNull()).isTrue();
    assertThat(day.get("savedFraction").isNull()).isTrue();
    assertThat(day.get("byModel").get(0).has("baselineCostMicros")).isFalse();
  }

  @Test
  void alertsCountTodaysAndListTheNewestAndResultsKeepTheirRoutingReasons() {
    // Given: newest first, one alert from yesterday
    List<BudgetAlert> alerts = new ArrayList<>();
    for (int i = 12; i >= 1; i--) {
      alerts.add(alert("a" + i, AT.minusSeconds(60L * (13 - i))));
    }
    alerts.add(alert("old", DAY.from().minusSeconds(1)));
    List<ResultHistory.Recent> results = List.of(new ResultHistory.Recent("r-2", "OK", "fast", "claude-haiku-4-5",
        "routing table: interactiveChat → fast", 1_234L, AT));

    // When
    JsonNode json = summary(POLICY, daily(), OPUS, alerts, results).toJson();

    // Then
    assertThat(json.get("state").asText()).isEqualTo("NOTIFY");
    assertThat(json.get("alerts").get("today").asInt()).isEqualTo(12);
    assertThat(json.get("alerts").get("recent")).hasSize(TeamSummary.ALERTS_SHOWN);
    assertThat(json.get("alerts").get("recent").get(0).get("alertId").asText()).isEqualTo("a12");
    JsonNode result = json.get("results").get(0);
    assertThat(result.get("routingReason").asText()).isEqualTo("routing table: interactiveChat → fast");
    assertThat(result.get("costUsd").decimalValue()).isEqualByComparingTo("0.001234");
    assertThat(result.get("completedAt").asText()).isEqualTo("2026-11-22T10:15:00Z");
    assertThat(json.get("baseline").get("model").asText()).isEqualTo("claude-opus-4-5");
    assertThat(json.get("baseline").get("outputUsdPerMTok").decimalValue()).isEqualByComparingTo("25");
  }
}
