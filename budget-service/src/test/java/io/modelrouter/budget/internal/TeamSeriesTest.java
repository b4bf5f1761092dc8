package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TeamSeriesTest {
  // 14:40 in India (UTC+05:30) on 6 December: the day began at 18:30Z on the 5th, its hours start at half past.
  private static final Instant AT = Instant.parse("2026-12-06T09:10:00Z");
  private static final BudgetPolicy POLICY = PolicyJson.parseBudgetPolicy("lyra", PolicyJson.read("""
      {"timeZone": "Asia/Kolkata",
       "daily": {"inputTokens": 20000, "alertThresholds": [0.5, 0.8], "action": "pause"}}""", "budget"));
  // Opus 4.5: $5 input, $25 output, $0.50 cached input per million tokens.
  private static final FrontierBaseline OPUS =
      new FrontierBaseline(DefaultPolicies.catalogById().get("claude-opus-4-5"), "test");

  private final Map<String, UsageTotals> totals = new HashMap<>();

  private static UsageBreakdown usage(long input, long output, long costMicros, long calls) {
    return new UsageBreakdown(input, output, 0L, costMicros, 0L, calls);
  }

  private static UsageTotals daily(String day, String from, String until, long input, long output, long cost,
      Map<String, UsageBreakdown> byModel, Map<String, UsageBreakdown> byHour) {
    return UsageTotals.newBuilder()
        .setTeamId("lyra").setWindow(WindowKind.DAILY).setWindowStart(day).setTimeZone("Asia/Kolkata")
        .setStartTime(Instant.parse(from)).setEndTime(Instant.parse(until))
        .setInputTokens(input).setOutputTokens(output).setCostMicros(cost)
        .setByModel(byModel).setByHour(byHour).build();
  }

  private JsonNode series() {
    return new TeamSeries("lyra", AT, POLICY, totals::get, OPUS).toJson();
  }

  private void givenUsage() {
    // Today: 3,000 input at 12:00 IST (06:30Z), 1,000 at 13:00 IST (07:30Z), 2,000 on sonnet at 14:00 IST (08:30Z)
    Map<String, UsageBreakdown> hours = new HashMap<>();
    hours.put("2026-12-06T06:30:00Z|claude-haiku-4-5", usage(3_000, 300, 4_500, 2));
    hours.put("2026-12-06T07:30:00Z|claude-haiku-4-5", usage(1_000, 100, 1_500, 1));
    hours.put("2026-12-06T08:30:00Z|claude-sonnet-4-5", usage(2_000, 200, 9_000, 1));
    totals.put("lyra|DAILY|2026-12-06", daily("2026-12-06", "2026-12-05T18:30:00Z", "2026-12-06T18:30:00Z",
        6_000, 600, 15_000, Map.of("claude-haiku-4-5", usage(4_000, 400, 6_000, 3),
            "claude-sonnet-4-5", usage(2_000, 200, 9_000, 1)), hours));
    // and on the 4th, 500 input on haiku
    totals.put("lyra|DAILY|2026-12-04", daily("2026-12-04", "2026-12-03T18:30:00Z", "2026-12-04T18:30:00Z",
        500, 50, 750, Map.of("claude-haiku-4-5", usage(500, 50, 750, 1)), Map.of()));
  }

  @Test
  void todayIsSeriesOfLocalHoursWithTokensCostBaselineAndTheRoutingMix() {
    givenUsage();

    JsonNode hourly = series().get("hourly");

    // Then 15 hours, from 00:00 IST through the current one (14:00 IST), the empty ones at zero
    assertThat(hourly.get("window").asText()).isEqualTo("2026-12-06");
    JsonNode points = hourly.get("points");
    assertThat(points).hasSize(15);
    assertThat(points.get(0).get("start").asText()).isEqualTo("2026-12-05T18:30:00Z");
    assertThat(points.get(0).get("end").asText()).isEqualTo("2026-12-05T19:30:00Z");
    assertThat(points.get(0).get("inputTokens").asLong()).isZero();
    JsonNode noon = points.get(12);
    assertThat(noon.get("start").asText()).isEqualTo("2026-12-06T06:30:00Z");
    assertThat(noon.get("inputTokens").asLong()).isEqualTo(3_000);
    assertThat(noon.get("outputTokens").asLong()).isEqualTo(300);
    assertThat(noon.get("costMicros").asLong()).isEqualTo(4_500);
    assertThat(noon.get("calls").asLong()).isEqualTo(2);
    // 3,000 × $5 + 300 × $25 per million on opus
    assertThat(noon.get("baselineCostMicros").asLong()).isEqualTo(22_500);
    assertThat(noon.get("savedMicros").asLong()).isEqualTo(18_000);
    assertThat(noon.get("callsByModel").get("claude-haiku-4-5").asLong()).isEqualTo(2);
    JsonNode current = points.get(14);
    assertThat(current.get("start").asText()).isEqualTo("2026-12-06T08:30:00Z");
    assertThat(current.get("callsByModel").get("claude-sonnet-4-5").asLong()).isEqualTo(1);
    assertThat(current.get("callsByModel").has("claude-haiku-4-5")).isFalse();
  }

  @Test
  void theMonthIsSeriesOfDaysFromEachDaysTotals() {
    givenUsage();

    JsonNode daily = series().get("daily");

    assertThat(daily.get("window").asText()).isEqualTo("2026-12");
    List<String> labels = new ArrayList<>();
    daily.get("points").forEach(p -> labels.add(p.get("label").asText()));
    assertThat(labels).containsExactly("2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05",
        "2026-12-06");
    JsonNode fourth = daily.get("points").get(3);
    assertThat(fourth.get("start").asText()).isEqualTo("2026-12-03T18:30:00Z");
    assertThat(fourth.get("inputTokens").asLong()).isEqualTo(500);
    assertThat(fourth.get("costMicros").asLong()).isEqualTo(750);
    // 500 × $5 + 50 × $25 per million
    assertThat(fourth.get("baselineCostMicros").asLong()).isEqualTo(3_750);
    JsonNode today = daily.get("points").get(5);
    assertThat(today.get("inputTokens").asLong()).isEqualTo(6_000);
    assertThat(today.get("calls").asLong()).isEqualTo(4);
    assertThat(today.get("callsByModel").get("claude-haiku-4-5").asLong()).isEqualTo(3);
    assertThat(daily.get("points").get(0).get("calls").asLong()).isZero();
  }

  @Test
  void burnDownProjectsEachThresholdAtTheRateOfTheLastThreeHours() {
    givenUsage();

    JsonNode burn = series().get("burnDown").get("daily");

    // 6,000 of 20,000 input tokens used
    assertThat(burn.get("metric").asText()).isEqualTo("inputTokens");
    assertThat(burn.get("fraction").decimalValue()).isEqualByComparingTo("0.3");
    // the rate: 6,000 tokens from 12:00 IST (06:30Z) to now (09:10Z), 9,600 s: 2,250 an hour
    assertThat(burn.get("rate").get("from").asText()).isEqualTo("2026-12-06T06:30:00Z");
    assertThat(burn.get("rate").get("perHour").get("inputTokens").asLong()).isEqualTo(2_250);
    // 50% (10,000) in 4,000 / 0.625 = 6,400 s; 80% (16,000) in 16,000 s; the limit (20,000) in 22,400 s
    JsonNode thresholds = burn.get("thresholds");
    assertThat(thresholds).hasSize(3);
    assertThat(thresholds.get(0).get("threshold").decimalValue()).isEqualByComparingTo("0.5");
    assertThat(thresholds.get(0).get("status").asText()).isEqualTo("projected");
    assertThat(thresholds.get(0).get("at").asText()).isEqualTo("2026-12-06T10:56:40Z");
    assertThat(thresholds.get(1).get("at").asText()).isEqualTo("2026-12-06T13:36:40Z");
    assertThat(thresholds.get(2).get("at").asText()).isEqualTo("2026-12-06T15:23:20Z");
    assertThat(thresholds.get(2).get("state").asText()).isEqualTo("PAUSE");
    // used so far: 0 at the day's start, 15% by 13:00 IST, 20% by 14:00 IST, 30% now
    JsonNode points = burn.get("points");
    assertThat(points.get(0).get("at").asText()).isEqualTo("2026-12-05T18:30:00Z");
    assertThat(points.get(13).get("at").asText()).isEqualTo("2026-12-06T07:30:00Z");
    assertThat(points.get(13).get("fraction").decimalValue()).isEqualByComparingTo("0.15");
    assertThat(points.get(14).get("fraction").decimalValue()).isEqualByComparingTo("0.2");
    assertThat(points.get(15).get("at").asText()).isEqualTo("2026-12-06T09:10:00Z");
    assertThat(points.get(15).get("fraction").decimalValue()).isEqualByComparingTo("0.3");
    // projected: now, every hour boundary, the day's end (6,000 + 33,600 s × 0.625 = 27,000: 135%)
    JsonNode projection = burn.get("projection");
    assertThat(projection.get(0).get("at").asText()).isEqualTo("2026-12-06T09:10:00Z");
    assertThat(projection.get(1).get("at").asText()).isEqualTo("2026-12-06T09:30:00Z");
    assertThat(projection.get(1).get("fraction").decimalValue()).isEqualByComparingTo("0.3375");
    assertThat(projection.get(projection.size() - 1).get("at").asText()).isEqualTo("2026-12-06T18:30:00Z");
    assertThat(projection.get(projection.size() - 1).get("fraction").decimalValue()).isEqualByComparingTo("1.35");
    assertThat(projection).hasSize(11);
    // and no monthly budget, no monthly burn-down
    assertThat(series().get("burnDown").get("monthly").isNull()).isTrue();
  }

  @Test
  void aSeriesAsOfTheTopOfTheHourHasOnePointAtThatInstant() {
    // At 14:00 IST exactly (08:30Z), with the 2,000 tokens of that hour already in its bucket
    givenUsage();

    JsonNode points = new TeamSeries("lyra", Instant.parse("2026-12-06T08:30:00Z"), POLICY, totals::get, OPUS)
        .toJson().get("burnDown").get("daily").get("points");

    // Then the times only go forward, and the point at 08:30Z is everything used by then: 6,000 of 20,000
    for (int i = 1; i < points.size(); i++) {
      assertThat(Instant.parse(points.get(i).get("at").asText()))
          .isAfter(Instant.parse(points.get(i - 1).get("at").asText()));
    }
    JsonNode last = points.get(points.size() - 1);
    assertThat(last.get("at").asText()).isEqualTo("2026-12-06T08:30:00Z");
    assertThat(last.get("fraction").decimalValue()).isEqualByComparingTo("0.3");
  }

  @Test
  void aThresholdAlreadyPassedIsReachedByTheEndOfTheHourThatCrossedIt() {
    givenUsage();
    BudgetPolicy tight = PolicyJson.parseBudgetPolicy("lyra", PolicyJson.read("""
        {"timeZone": "Asia/Kolkata", "daily": {"inputTokens": 7000, "alertThresholds": [0.5]}}""", "budget"));

    JsonNode burn = new TeamSeries("lyra", AT, tight, totals::get, OPUS).toJson().get("burnDown").get("daily");

    // 3,000 of 7,000 by 13:00 IST, 4,000 (57%) by 14:00 IST
    assertThat(burn.get("thresholds").get(0).get("status").asText()).isEqualTo("reached");
    assertThat(burn.get("thresholds").get(0).get("at").asText()).isEqualTo("2026-12-06T08:30:00Z");
    assertThat(burn.get("thresholds").get(1).get("status").asText()).isEqualTo("projected");
  }

  @Test
  void aTeamWithoutUsageHasZeroPointsAndWithoutABudgetNoBurnDown() {
    JsonNode series = new TeamSeries("lyra", AT, null, totals::get, null).toJson();

    assertThat(series.get("timeZone").asText()).isEqualTo("Z");
    // 09:10 UTC: ten hours today
    assertThat(series.get("hourly").get("points")).hasSize(10);
    series.get("hourly").get("points").forEach(p -> {
      assertThat(p.get("calls").asLong()).isZero();
      assertThat(p.get("baselineCostMicros").isNull()).isTrue();
    });
    assertThat(series.get("burnDown").get("daily").isNull()).isTrue();
    assertThat(series.get("burnDown").get("monthly").isNull()).isTrue();
  }
}
