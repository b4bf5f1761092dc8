package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.policy.PolicyJson;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UsageReportTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:15:00Z");
  private static final BudgetMath.Window DAY = BudgetMath.window(WindowKind.DAILY, AT, ZoneOffset.UTC);
  private static final BudgetMath.Window MONTH = BudgetMath.window(WindowKind.MONTHLY, AT, ZoneOffset.UTC);

  private static final BudgetPolicy POLICY = PolicyJson.parseBudgetPolicy("gamma", PolicyJson.read("""
      {"daily": {"inputTokens": 500000, "outputTokens": 200000, "alertThresholds": [0.5, 0.8, 1.0]},
       "monthly": {"inputTokens": 10000000, "action": "pause"}}""", "budget"));

  private static final BudgetAction NOTIFY = BudgetAction.newBuilder()
      .setTeamId("gamma").setState(BudgetState.NOTIFY).setWindow(WindowKind.DAILY).setWindowStart("2026-11-22")
      .setDailyState(BudgetState.NOTIFY).setReason("daily inputTokens at 52% (260,000 of 500,000)")
      .setSince(AT.minusSeconds(600)).build();

  private static UsageBreakdown usage(long input, long output, long costMicros) {
    return new UsageBreakdown(input, output, 0L, costMicros, (input + output) * 1000, 1L);
  }

  private static UsageTotals daily() {
    Map<String, UsageBreakdown> sessions = new HashMap<>();
    sessions.put("session-7|claude-sonnet-4-5", usage(31_200, 9_800, 250_000));
    sessions.put("session-7|claude-haiku-4-5", usage(16_632, 2_641, 180_000));
    sessions.put("session-8|claude-haiku-4-5", usage(1_000, 100, 1_500));
    return UsageTotals.newBuilder()
        .setTeamId("gamma").setWindow(WindowKind.DAILY).setWindowStart(DAY.start())
        .setStartTime(DAY.from()).setEndTime(DAY.until())
        .setInputTokens(182_341).setOutputTokens(48_902).setCachedInputTokens(20_000)
        .setCostMicros(1_234_567).setCreditsMicros(240_500_000).setCalls(40).setRequests(37)
        .setByModel(Map.of("claude-sonnet-4-5", usage(150_000, 40_000, 1_050_000),
            "claude-haiku-4-5", usage(32_341, 8_902, 184_567)))
        .setByTaskType(Map.of("codeReview", usage(182_341, 48_902, 1_234_567)))
        .setBySession(sessions)
        .setBudgetState(BudgetState.NOTIFY)
        .build();
  }

  private static UsageTotals monthly() {
    return UsageTotals.newBuilder()
        .setTeamId("gamma").setWindow(WindowKind.MONTHLY).setWindowStart(MONTH.start())
        .setStartTime(MONTH.from()).setEndTime(MONTH.until())
        .setInputTokens(1_500_000).setOutputTokens(400_000).setCostMicros(10_000_000).setCalls(400).setRequests(380)
        .build();
  }

  private static UsageReport report(BudgetPolicy policy, String session) {
    return new UsageReport("gamma", AT, policy, DAY, daily(), MONTH, monthly(), NOTIFY, session);
  }

  @Test
  void windowsCarryTokensMoneyAsDecimalsAndTheShareOfTheBudget() {
    // When
    JsonNode json = report(POLICY, null).toJson();

    // Then
    JsonNode day = json.get("daily");
    assertThat(day.get("start").asText()).isEqualTo("2026-11-22");
    assertThat(day.get("from").asText()).isEqualTo("2026-11-22T00:00:00Z");
    assertThat(day.get("until").asText()).isEqualTo("2026-11-23T00:00:00Z");
    assertThat(day.get("inputTokens").asLong()).isEqualTo(182_341);
    assertThat(day.get("outputTokens").asLong()).isEqualTo(48_902);
    assertThat(day.get("cachedInputTokens").asLong()).isEqualTo(20_000);
    assertThat(day.get("costMicros").asLong()).isEqualTo(1_234_567);
    assertThat(day.get("costUsd").decimalValue()).isEqualByComparingTo(new BigDecimal("1.234567"));
    assertThat(day.get("creditsMicros").asLong()).isEqualTo(240_500_000);
    assertThat(day.get("credits").decimalValue()).isEqualByComparingTo(new BigDecimal("240.5"));
    assertThat(day.get("requests").asLong()).isEqualTo(37);
    assertThat(day.get("calls").asLong()).isEqualTo(40);
    assertThat(day.get("share").get("fraction").decimalValue()).isEqualByComparingTo(new BigDecimal("0.3647"));
    assertThat(day.get("share").get("metric").asText()).isEqualTo("inputTokens");
    assertThat(day.get("share").get("used").asLong()).isEqualTo(182_341);
    assertThat(day.get("share").get("limit").asLong()).isEqualTo(500_000);
    assertThat(day.get("state").asText()).isEqualTo("NOTIFY");
    JsonNode month = json.get("monthly");
    assertThat(month.get("share").get("fraction").decimalValue()).isEqualByComparingTo(new BigDecimal("0.15"));
    assertThat(month.get("state").asText()).isEqualTo("NORMAL");
    assertThat(json.get("state").asText()).isEqualTo("NOTIFY");
    // Money is written as a plain decimal, never as a float or in exponent notation.
    assertThat(Json.write(json)).contains("\"costUsd\":1.234567", "\"costUsd\":10,");
  }

  @Test
  void breakdownsByModelAndTaskTypeComeFromTheDailyWindow() {
    JsonNode json = report(POLICY, null).toJson();

    assertThat(json.get("byModel").fieldNames()).toIterable()
        .containsExactly("claude-sonnet-4-5", "claude-haiku-4-5");
    assertThat(json.get("byModel").get("claude-haiku-4-5").get("costUsd").decimalValue())
        .isEqualByComparingTo(new BigDecimal("0.184567"));
    assertThat(json.get("byTaskType").get("codeReview").get("inputTokens").asLong()).isEqualTo(182_341);
  }

  @Test
  void windowWithoutABudgetHasNoShare() {
    // Given: only a daily budget
    BudgetPolicy dailyOnly = PolicyJson.parseBudgetPolicy("gamma",
        PolicyJson.read("{\"daily\": {\"costUsd\": 5}}", "budget"));

    // When
    JsonNode json = report(dailyOnly, null).toJson();

    // Then: the cost limit binds, and the monthly window has no share
    assertThat(json.get("daily").get("share").get("metric").asText()).isEqualTo("costMicros");
    assertThat(json.get("daily").get("share").get("limit").asLong()).isEqualTo(5_000_000);
    assertThat(json.get("monthly").has("share")).isFalse();
    assertThat(json.get("monthly").has("state")).isFalse();
  }

  @Test
  void absentTotalsAreZeroUsage() {
    // When
    JsonNode json = new UsageReport("gamma", AT, POLICY, DAY, null, MONTH, null, null, null).toJson();

    // Then
    assertThat(json.get("daily").get("inputTokens").asLong()).isZero();
    assertThat(json.get("daily").get("costUsd").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
    assertThat(json.get("daily").get("share").get("fraction").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
    assertThat(json.get("daily").get("state").asText()).isEqualTo("NORMAL");
    assertThat(json.get("state").asText()).isEqualTo("NORMAL");
    assertThat(json.get("sessions")).isEmpty();
  }

  @Test
  void sessionAskedForIsReportedByModelWithItsEstimatedCost() {
    // When
    JsonNode session = report(POLICY, "session-7").toJson().get("session");

    // Then
    assertThat(session.get("id").asText()).isEqualTo("session-7");
    assertThat(session.get("inputTokens").asLong()).isEqualTo(47_832);
    assertThat(session.get("outputTokens").asLong()).isEqualTo(12_441);
    assertThat(session.get("costUsd").decimalValue()).isEqualByComparingTo(new BigDecimal("0.43"));
    assertThat(session.get("byModel").get("claude-sonnet-4-5").get("inputTokens").asLong()).isEqualTo(31_200);
    assertThat(session.get("byModel").get("claude-haiku-4-5").get("outputTokens").asLong()).isEqualTo(2_641);
  }

  @Test
  void withoutASessionTheTopSessionsAreListedByTokens() {
    // Given: 25 sessions of increasing size
    Map<String, UsageBreakdown> sessions = new HashMap<>();
    for (int i = 1; i <= 25; i++) {
      sessions.put("s" + i + "|claude-haiku-4-5", usage(i * 100L, 0, i));
    }
    UsageTotals day = UsageTotals.newBuilder(daily()).setBySession(sessions).build();

    // When
    JsonNode json = new UsageReport("gamma", AT, POLICY, DAY, day, MONTH, null, null, null).toJson();

    // Then
    List<String> ids = new ArrayList<>();
    json.get("sessions").forEach(s -> ids.add(s.get("id").asText()));
    assertThat(json.get("sessionCount").asInt()).isEqualTo(25);
    assertThat(ids).hasSize(UsageReport.TOP_SESSIONS).startsWith("s25", "s24").endsWith("s6");
  }

  @Test
  void rendersASessionAsKiroDoes() {
    assertThat(report(POLICY, "session-7").toText()).isEqualTo("""
        Session token usage (session-7):
          Input: 47,832 tokens (claude-sonnet-4-5: 31,200 | claude-haiku-4-5: 16,632)
          Output: 12,441 tokens (claude-sonnet-4-5: 9,800 | claude-haiku-4-5: 2,641)
          Estimated cost: $0.43
        Daily usage: 182,341 input / 48,902 output tokens (36% of daily budget); cost $1.23
        Monthly usage: 1,500,000 input / 400,000 output tokens (15% of monthly budget); cost $10.00
        Budget state: NOTIFY (daily inputTokens at 52% (260,000 of 500,000))
        """);
  }

  @Test
  void rendersTheSessionListWithoutABudget() {
    assertThat(report(null, null).toText()).isEqualTo("""
        Sessions today (2):
          session-7: 47,832 input / 12,441 output tokens, $0.43
          session-8: 1,000 input / 100 output tokens, $0.0015
        Daily usage: 182,341 input / 48,902 output tokens (no daily budget); cost $1.23
        Monthly usage: 1,500,000 input / 400,000 output tokens (no monthly budget); cost $10.00
        Budget state: NOTIFY (daily inputTokens at 52% (260,000 of 500,000))
        """);
  }

  @Test
  void unknownSessionReadsAsNoUsage() {
    assertThat(report(POLICY, "nope").toText()).startsWith("""
        Session token usage (nope):
          Input: 0 tokens
          Output: 0 tokens
          Estimated cost: $0.00
        """);
  }

  @Test
  void callsThroughBatchApisAreShownWithWhatTheirBatchPriceSaved() {
    // Given a month with 120 calls through batch APIs that saved $3.40
    UsageTotals month = monthly();
    month.setBatchCalls(120);
    month.setBatchSavedMicros(3_400_000);
    UsageReport report = new UsageReport("gamma", AT, POLICY, DAY, daily(), MONTH, month, NOTIFY, null);

    // Then the JSON and the text both say so
    JsonNode json = report.toJson().get("monthly");
    assertThat(json.get("batchCalls").asLong()).isEqualTo(120);
    assertThat(json.get("batchSavedMicros").asLong()).isEqualTo(3_400_000);
    assertThat(json.get("batchSavedUsd").decimalValue()).isEqualByComparingTo("3.40");
    assertThat(report.toText()).contains("Batch APIs (month): 120 calls at batch prices; saved $3.40\n");
    assertThat(report(POLICY, null).toText()).doesNotContain("Batch APIs");
  }

  @Test
  void windowsAreTheCalendarDayAndMonthInThePolicysTimeZone() {
    // Given: 20:00 UTC on the last day of November is already December 1st in Tokyo
    BudgetPolicy tokyo = PolicyJson.parseBudgetPolicy("gamma",
        PolicyJson.read("{\"timeZone\": \"Asia/Tokyo\", \"daily\": {\"inputTokens\": 1000}}", "budget"));
    List<String> asked = new ArrayList<>();

    // When
    UsageReport report = UsageReport.of("gamma", Instant.parse("2026-11-30T20:00:00Z"), tokyo, key -> {
      asked.add(key);
      return null;
    }, null, null);

    // Then
    assertThat(asked).containsExactly("gamma|DAILY|2026-12-01", "gamma|MONTHLY|2026-12");
    assertThat(report.toJson().get("daily").get("from").asText()).isEqualTo("2026-11-30T15:00:00Z");
    assertThat(report.toJson().get("timeZone").asText()).isEqualTo("Asia/Tokyo");
  }

  @Test
  void percentRoundsDownAndCentsRoundHalfUp() {
    assertThat(UsageReport.percent(0.9999)).isEqualTo("99%");
    assertThat(UsageReport.percent(1.25)).isEqualTo("125%");
    assertThat(UsageReport.usd(4_305_000)).isEqualTo("$4.31");
    assertThat(UsageReport.usd(1_234_567_000_000L)).isEqualTo("$1,234,567.00");
  }
}
