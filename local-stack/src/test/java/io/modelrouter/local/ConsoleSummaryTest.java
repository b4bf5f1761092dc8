package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.embedded.junit.ManualClock;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The summary's arithmetic and layout, fed records directly (no broker). */
class ConsoleSummaryTest {
  private static final Instant T0 = Instant.parse("2026-11-22T10:15:00Z");
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();
  private static final Topics TOPICS = Topics.create(TopicsConfig.forRegistry("mock://console-summary"));

  private final ManualClock clock = new ManualClock(T0);

  @Test
  void pricesTheOkResultsTokensAtTheFrontierModelToShowWhatRoutingSaved() {
    // Given: one OK result per profile, the same tokens each, a failed call that was billed, and a paused request
    ConsoleSummary summary = summary(CATALOG);
    feed(summary);

    // When
    ConsoleSummary.Snapshot s = summary.snapshot();

    // Then: actual cost is every result's; the baseline prices the three OK results' tokens on claude-opus-4-5
    long opus = Pricing.costMicros(CATALOG.get("claude-opus-4-5"), 1_000, 400, 0);
    assertThat(opus).isEqualTo(15_000);
    assertThat(s.frontierModel()).isEqualTo("claude-opus-4-5");
    assertThat(s.frontierCostMicros()).isEqualTo(3 * opus);
    assertThat(s.costMicros()).isEqualTo(15_000 + 9_000 + 3_000 + 600);
    assertThat(s.savedPercent()).hasValueCloseTo(100.0 * (45_000 - 27_600) / 45_000, Offset.offset(1e-9));
    assertThat(s.results()).isEqualTo(5);
    assertThat(s.count(ResultStatus.OK)).isEqualTo(3);
    assertThat(s.count(ResultStatus.FAILED)).isEqualTo(1);
    assertThat(s.count(ResultStatus.PAUSED)).isEqualTo(1);
    assertThat(s.count(ResultStatus.EXPIRED)).isZero();
    assertThat(s.routes()).containsExactly(
        new ConsoleSummary.Route("frontier", "claude-opus-4-5", 1, 15_000),
        new ConsoleSummary.Route("primary", "claude-sonnet-4-5", 2, 9_600),
        new ConsoleSummary.Route("fast", "claude-haiku-4-5", 1, 3_000));
    assertThat(s.team("team-atlas")).isEqualTo(
        new ConsoleSummary.TeamLine("team-atlas", BudgetState.NORMAL, "", 3, 24_600));
    assertThat(s.team("team-tiny")).isEqualTo(new ConsoleSummary.TeamLine("team-tiny", BudgetState.PAUSE,
        "daily outputTokens 101% of 158,000", 2, 3_000));
    assertThat(s.team("team-borealis").state()).isEqualTo(BudgetState.NOTIFY);
    assertThat(s.team("team-borealis").requests()).isZero();
  }

  @Test
  void rendersAFixedTableOfStatusesRoutesCostAndTeams() {
    // Given: 95 s of results
    ConsoleSummary summary = summary(CATALOG);
    feed(summary);
    clock.set(T0.plusSeconds(95));

    // When
    String text = summary.render();

    // Then
    assertThat(text).isEqualTo(String.join(System.lineSeparator(), "",
        "== model-router · 10:16:35 · 1m35s since start · 5 results ==",
        "status     OK 3  FAILED 1  REJECTED 0  PAUSED 1  EXPIRED 0",
        "profile    model                       requests         cost",
        "frontier   claude-opus-4-5                    1      $0.0150",
        "primary    claude-sonnet-4-5                  2      $0.0096",
        "fast       claude-haiku-4-5                   1      $0.0030",
        "cost      $0.0276 spent · $0.0450 all on claude-opus-4-5 · routing saved 38.7%",
        "team               budget    requests         cost",
        "team-atlas         NORMAL           3      $0.0246",
        "team-borealis      NOTIFY           0      $0.0000  daily outputTokens 52% of 100,000,000",
        "team-tiny          PAUSE            2      $0.0030  daily outputTokens 101% of 158,000",
        ""));
    assertThat(text).doesNotContain("\u001b");
  }

  @Test
  void savedIsUnknownUntilAnOkResultAndNegativeWhenRoutingCostMore() {
    // Given: a catalog without the default frontier model: the baseline is its most expensive model
    ConsoleSummary summary = summary(Map.of("claude-haiku-4-5", CATALOG.get("claude-haiku-4-5"),
        "claude-sonnet-4-5", CATALOG.get("claude-sonnet-4-5")));
    summary.accept(result("team-atlas", ResultStatus.PAUSED, null, null, 0, 0, 0));
    assertThat(summary.snapshot().savedPercent()).isEmpty();
    assertThat(summary.render()).contains("routing saved: n/a yet");

    // When: a cheap OK result and an expensive failure
    summary.accept(result("team-atlas", ResultStatus.OK, "fast", "claude-haiku-4-5", 1_000, 400, 3_000));
    summary.accept(result("team-atlas", ResultStatus.FAILED, "primary", "claude-sonnet-4-5", 10_000, 0, 30_000));

    // Then: 1,000 + 400 tokens on sonnet cost 9,000 micro-dollars; 33,000 were spent
    ConsoleSummary.Snapshot s = summary.snapshot();
    assertThat(s.frontierModel()).isEqualTo("claude-sonnet-4-5");
    assertThat(s.frontierCostMicros()).isEqualTo(9_000);
    assertThat(s.savedPercent().getAsDouble()).isCloseTo(-266.67, Offset.offset(0.01));
    assertThat(summary.render()).contains("routing cost 266.7% more");
  }

  @Test
  void cachedInputIsPricedAtTheFrontierModelsCachePrice() {
    ConsoleSummary summary = summary(CATALOG);
    InferenceResult cached = result("team-atlas", ResultStatus.OK, "primary", "claude-sonnet-4-5", 10_000, 100, 0);
    cached.getUsage().setCachedInputTokens(8_000);

    summary.accept(cached);

    // 2,000 uncached at $5, 8,000 cached at $0.50, 100 output at $25 per million
    assertThat(summary.snapshot().frontierCostMicros()).isEqualTo(10_000 + 4_000 + 2_500);
  }

  @Test
  void countsAndShowsRecordsItCannotRead() {
    ConsoleSummary summary = summary(CATALOG);

    summary.accept(new ConsumerRecord<>(TOPICS.results().name(), 0, 7L, "team-atlas", new byte[] {1, 2, 3}));

    assertThat(summary.snapshot().unreadable()).isEqualTo(1);
    assertThat(summary.snapshot().results()).isZero();
    assertThat(summary.render()).contains("skipped 1 unreadable records");
  }

  @Test
  void readsRecordsOffTheTopicsByTheirSerdes() {
    ConsoleSummary summary = summary(CATALOG);
    InferenceResult ok = result("team-atlas", ResultStatus.OK, "fast", "claude-haiku-4-5", 10, 10, 60);
    BudgetAction notify = action("team-atlas", BudgetState.NOTIFY, 0.5, 1_000);

    summary.accept(new ConsumerRecord<>(TOPICS.results().name(), 0, 0L, "team-atlas",
        TOPICS.results().serializeValue(ok)));
    summary.accept(new ConsumerRecord<>(TOPICS.budgetActions().name(), 0, 0L, "team-atlas",
        TOPICS.budgetActions().serializeValue(notify)));

    assertThat(summary.snapshot().team("team-atlas"))
        .isEqualTo(new ConsoleSummary.TeamLine("team-atlas", BudgetState.NOTIFY, "daily outputTokens 50% of 1,000", 1,
            60));
  }

  @Test
  void durationsStayShort() {
    assertThat(SummaryTable.duration(Duration.ofSeconds(42))).isEqualTo("42s");
    assertThat(SummaryTable.duration(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(SummaryTable.duration(Duration.ofMinutes(62))).isEqualTo("1h02m");
  }

  private ConsoleSummary summary(Map<String, ModelSpec> catalog) {
    return new ConsoleSummary(TOPICS, Map.of(), catalog, new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), Duration.ofSeconds(5), clock);
  }

  /** Three OK results (one per profile, 1,000 in / 400 out each), a billed failure, a pause, two budget actions. */
  private static void feed(ConsoleSummary summary) {
    summary.accept(result("team-atlas", ResultStatus.OK, "frontier", "claude-opus-4-5", 1_000, 400, 15_000));
    summary.accept(result("team-atlas", ResultStatus.OK, "primary", "claude-sonnet-4-5", 1_000, 400, 9_000));
    summary.accept(result("team-tiny", ResultStatus.OK, "fast", "claude-haiku-4-5", 1_000, 400, 3_000));
    summary.accept(result("team-atlas", ResultStatus.FAILED, "primary", "claude-sonnet-4-5", 200, 0, 600));
    summary.accept(result("team-tiny", ResultStatus.PAUSED, null, null, 0, 0, 0));
    summary.accept(action("team-tiny", BudgetState.PAUSE, 1.0127, 158_000));
    summary.accept(action("team-borealis", BudgetState.NOTIFY, 0.52, 100_000_000));
  }

  private static InferenceResult result(String team, ResultStatus status, String profile, String model, long input,
      long output, long costMicros) {
    return InferenceResult.newBuilder()
        .setRequestId(team + "-" + System.nanoTime())
        .setTeamId(team)
        .setStatus(status)
        .setProfile(profile)
        .setModel(model)
        .setUsage(new TokenUsage(input, output, 0L, 0L, 0L, false))
        .setCostMicros(costMicros)
        .build();
  }

  private static BudgetAction action(String team, BudgetState state, double fraction, long limit) {
    return BudgetAction.newBuilder()
        .setTeamId(team)
        .setState(state)
        .setWindow(WindowKind.DAILY)
        .setMetric("outputTokens")
        .setUsage(Math.round(fraction * limit))
        .setLimit(limit)
        .setFraction(fraction)
        .setSince(T0)
        .build();
  }
}
