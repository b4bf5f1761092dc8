package io.modelrouter.schemas.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.PromotionStep;
import io.modelrouter.avro.RoutingPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyJsonTest {
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();

  @Test
  void shippedDefaultsAreValidAndComplete() {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    assertThat(policy.getTeamId()).isEqualTo("*");
    assertThat(policy.getProfiles()).containsKeys("frontier", "primary", "fast", "local");
    assertThat(policy.getRouting()).containsEntry("interactiveChat", "fast").containsEntry("specGeneration", "primary");
    // the lexical model at 0.6: what measured best at a learned strategy's throughput (docs/benchmarks.md)
    assertThat(policy.getAuto().getStrategy()).isEqualTo(AutoStrategy.LEARNED);
    assertThat(policy.getAuto().getModel()).isEqualTo("lexical");
    assertThat(policy.getAuto().getQualityTarget()).isEqualTo(0.6);
    RoutingPolicy table = DefaultPolicies.hybridRoutingPolicy();
    assertThat(table.getAuto().getStrategy()).isEqualTo(AutoStrategy.HYBRID);
    assertThat(table.getAuto().getModel()).isEqualTo("embedding");
    assertThat(table.getAuto().getQualityTarget()).isEqualTo(0.8);
    assertThat(table.getRouting()).isEqualTo(policy.getRouting());
    assertThat(PolicyJson.checkRoutingPolicy(policy, CATALOG)).isEmpty();
    assertThat(CATALOG).containsKeys("claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5",
        "bedrock-claude-sonnet-4-5", "gpt-4.1-mini", "llama-3.1-8b");
  }

  @Test
  void catalogPricesAreExactMicroDollarsAndCreditsFromKiro() {
    ModelSpec sonnet = CATALOG.get("claude-sonnet-4-5");
    assertThat(sonnet.getInputPricePerMTokMicros()).isEqualTo(3_000_000L);
    assertThat(sonnet.getOutputPricePerMTokMicros()).isEqualTo(15_000_000L);
    assertThat(sonnet.getCreditMultiplierMilli()).isEqualTo(1300);
    assertThat(CATALOG.get("claude-haiku-4-5").getCreditMultiplierMilli()).isEqualTo(400);
    assertThat(CATALOG.get("claude-opus-4-5").getCreditMultiplierMilli()).isEqualTo(2200);
    assertThat(CATALOG.get("gpt-4.1-mini").getInputPricePerMTokMicros()).isEqualTo(400_000L);
  }

  @Test
  void roundTripsARoutingPolicyThroughJson() {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    RoutingPolicy again = PolicyJson.parseRoutingPolicy("*", PolicyJson.toJson(policy), CATALOG);
    assertThat(again).isEqualTo(policy);
  }

  @Test
  void rateLimitsAreReadWithTheirDefaultsRoundTripAndAreCheckedNamingTheirPaths() {
    String json = """
        {"profiles": {"fast": {"model": "claude-haiku-4-5"}}, "routing": {}, "defaultProfile": "fast",
         "restrictProfile": "fast",
         "auto": {"strategy": "rules"}, "rateLimits": {"requestsPerMinute": 600}}
        """;
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG);
    assertThat(policy.getRateLimits().getRequestsPerMinute()).isEqualTo(600L);
    assertThat(policy.getRateLimits().getTokensPerMinute()).isNull();
    assertThat(policy.getRateLimits().getBurstSeconds()).isEqualTo(1.0);
    assertThat(policy.getRateLimits().getMaxQueued()).isEqualTo(10_000);
    assertThat(PolicyJson.parseRoutingPolicy("team-a", PolicyJson.toJson(policy), CATALOG)).isEqualTo(policy);

    String empty = json.replace("{\"requestsPerMinute\": 600}", "{\"burstSeconds\": 5}");
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(empty, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).containsExactly(
            "$.rateLimits: names neither requestsPerMinute nor tokensPerMinute"));
    String zero = json.replace("600", "0");
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(zero, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .anySatisfy(problem -> assertThat(problem).startsWith("$.rateLimits.requestsPerMinute")));
  }

  @Test
  void aResponseCacheIsReadWithItsDefaultsRoundTripsAndABadTtlIsRefusedByPath() {
    String json = """
        {"profiles": {"fast": {"model": "claude-haiku-4-5"}}, "routing": {}, "defaultProfile": "fast",
         "restrictProfile": "fast", "auto": {"strategy": "rules"}, "responseCache": {"taskTypes": ["codeExplanation"]}}
        """;
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG);
    assertThat(policy.getResponseCache().getTtlSeconds()).isEqualTo(3_600);
    assertThat(policy.getResponseCache().getTaskTypes()).containsExactly("codeExplanation");
    assertThat(policy.getResponseCache().getAnyTemperature()).isFalse();
    assertThat(PolicyJson.parseRoutingPolicy("team-a", PolicyJson.toJson(policy), CATALOG)).isEqualTo(policy);
    String bad = json.replace("{\"taskTypes\"", "{\"ttlSeconds\": 0, \"taskTypes\"");
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(bad, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .anySatisfy(problem -> assertThat(problem).startsWith("$.responseCache.ttlSeconds")));
  }

  @Test
  void aHybridPolicyWithoutNeverDemoteGetsTheShippedListSoValidationIsNeverDemoted() {
    // Given a team policy that says nothing about neverDemote
    String json = """
        {"profiles": {"frontier": {"model": "claude-opus-4-5"}, "primary": {"model": "claude-sonnet-4-5"},
                      "fast": {"model": "claude-haiku-4-5"}},
         "routing": {"validation": "frontier"},
         "auto": {"strategy": "hybrid"}}
        """;

    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG);

    // Then seed 003's validation and review passes keep the shipped protection
    assertThat(policy.getAuto().getNeverDemote()).containsExactly("validation", "deepAudit", "codeReview", "review");
    assertThat(policy.getAuto().getNeverDemote()).isEqualTo(PolicyJson.DEFAULT_NEVER_DEMOTE);
  }

  @Test
  void anExplicitlyEmptyNeverDemoteIsKept() {
    String json = """
        {"profiles": {"frontier": {"model": "claude-opus-4-5"}, "primary": {"model": "claude-sonnet-4-5"},
                      "fast": {"model": "claude-haiku-4-5"}},
         "routing": {}, "auto": {"strategy": "hybrid", "neverDemote": []}}
        """;
    assertThat(PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG).getAuto().getNeverDemote())
        .isEmpty();
  }

  @Test
  void anAvroPolicyWrittenWithoutNeverDemoteReadsTheShippedList() {
    // The Avro default is what a record from a writer that never set the field gets
    assertThat(AutoRouting.newBuilder().build().getNeverDemote()).isEqualTo(PolicyJson.DEFAULT_NEVER_DEMOTE);
    assertThat(DefaultPolicies.routingPolicy().getAuto().getNeverDemote()).isEqualTo(PolicyJson.DEFAULT_NEVER_DEMOTE);
  }

  @Test
  void aHybridPolicyWithoutPromoteGetsTheShippedFastToPrimaryStep() {
    String json = """
        {"profiles": {"frontier": {"model": "claude-opus-4-5"}, "primary": {"model": "claude-sonnet-4-5"},
                      "fast": {"model": "claude-haiku-4-5"}},
         "routing": {"interactiveChat": "fast"}, "auto": {"strategy": "hybrid"}}
        """;
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG);
    assertThat(policy.getAuto().getPromote()).containsExactly(Map.entry("fast", new PromotionStep(0.40, "primary")));
  }

  @Test
  void promotionStepsMustNameProfilesAndMayNotLoop() {
    String json = """
        {"profiles": {"frontier": {"model": "claude-opus-4-5"}, "primary": {"model": "claude-sonnet-4-5"},
                      "fast": {"model": "claude-haiku-4-5"}},
         "routing": {},
         "auto": {"strategy": "hybrid", "demoteBelow": 0.3,
                  "promote": {"fast": {"above": 0.4, "to": "primary"}, "frontier": {"above": 0.9, "to": "fast"},
                              "turbo": {"above": 0.5, "to": "warp"}, "primary": {"above": 0.2, "to": "primary"}}}}
        """;
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).contains(
            "$.auto.promote.turbo: profile 'turbo' is not defined in $.profiles",
            "$.auto.promote.turbo.to: profile 'warp' is not defined in $.profiles",
            "$.auto.promote.primary.to: promotes primary to itself",
            "$.auto.promote.primary.above: 0.2 is below demoteBelow 0.3"));

    String loop = """
        {"profiles": {"frontier": {"model": "claude-opus-4-5"}, "primary": {"model": "claude-sonnet-4-5"},
                      "fast": {"model": "claude-haiku-4-5"}},
         "routing": {},
         "auto": {"strategy": "hybrid",
                  "promote": {"fast": {"above": 0.4, "to": "primary"}, "frontier": {"above": 0.9, "to": "fast"}}}}
        """;
    // primary has no step of its own, so it goes on to promoteTo (frontier), which leads back to fast
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(loop, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).containsExactly(
            "$.auto.promote: promotions go round in a loop: fast → primary → frontier → fast"));
  }

  @Test
  void aPromotionStepNeedsAThresholdInTheUnitIntervalAndATarget() {
    String json = """
        {"profiles": {"fast": {"model": "claude-haiku-4-5"}}, "routing": {},
         "auto": {"promote": {"fast": {"above": 1.5}}}}
        """;
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
            "$.auto.promote.fast.above: must have a maximum value of 1",
            "$.auto.promote.fast: required property 'to' not found"));
  }

  @Test
  void schemaViolationsNameThePath() {
    String json = "{\"profiles\":{\"fast\":{\"model\":\"claude-haiku-4-5\",\"maxTokens\":0}},\"routing\":{}}";
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .containsExactly("$.profiles.fast.maxTokens: must have a minimum value of 1"));
  }

  @Test
  void unknownFieldsAreRefusedByName() {
    String json = "{\"profiles\":{\"fast\":{\"model\":\"claude-haiku-4-5\"}},\"routing\":{},\"routng\":{}}";
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG))
        .hasMessageContaining("routng");
  }

  @Test
  void referencesToMissingProfilesAndModelsAreRefusedWithTheirPath() {
    String json = """
        {"profiles": {"fast": {"model": "claude-haiku-4-5", "fallbacks": ["no-such-model"]},
                      "primary": {"provider": "bedrock", "model": "claude-sonnet-4-5"}},
         "routing": {"interactiveChat": "turbo"},
         "restrictProfile": "fast",
         "tiers": {"free": {"profiles": ["fast"]}},
         "defaultTier": "gold"}
        """;
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(json, "p"), CATALOG))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).contains(
            "$.routing.interactiveChat: profile 'turbo' is not defined in $.profiles",
            "$.defaultTier: tier 'gold' is not defined in $.tiers",
            "$.profiles.fast.fallbacks[0]: 'no-such-model' is not in the model catalog",
            "$.profiles.primary.provider: 'bedrock' does not serve 'claude-sonnet-4-5' (the catalog says 'anthropic')"));
  }

  @Test
  void aModelPriceOrLimitOutOfRangeIsAProblemNamingItsPathNotAnArithmeticError() {
    String json = """
        {"id": "m-huge", "provider": "openai", "providerModelId": "x", "contextWindow": 99999999999,
         "inputUsdPerMTok": 1e300, "outputUsdPerMTok": 2}
        """;
    assertThatThrownBy(() -> PolicyJson.parseModelSpec(PolicyJson.read(json, "model")))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).anySatisfy(
            p -> assertThat(p).startsWith("$.inputUsdPerMTok")).anySatisfy(
            p -> assertThat(p).startsWith("$.contextWindow")));
  }

  @Test
  void notJsonAtAllIsOneClearProblem() {
    assertThatThrownBy(() -> PolicyJson.read("{profiles:", "routing policy"))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("routing policy is invalid: $: not valid JSON");
  }

  @Test
  void budgetPolicyAcceptsKirosSingleThresholdAndDollarCosts() {
    String json = """
        {"timeZone": "Europe/Berlin",
         "daily": {"inputTokens": 500000, "outputTokens": 200000, "alertThreshold": 0.8, "action": "notify"},
         "monthly": {"inputTokens": 10000000, "costUsd": 250.10, "alertThresholds": [0.9, 0.5],
                     "action": "pause", "escalations": [{"at": 0.9, "action": "restrict"}]}}
        """;
    BudgetPolicy policy = PolicyJson.parseBudgetPolicy("team-a", PolicyJson.read(json, "b"));
    assertThat(policy.getDaily().getAlertThresholds()).containsExactly(0.8, 1.0);
    assertThat(policy.getDaily().getAction()).isEqualTo(BudgetActionType.NOTIFY);
    assertThat(policy.getMonthly().getCostMicros()).isEqualTo(250_100_000L);
    assertThat(policy.getMonthly().getAlertThresholds()).containsExactly(0.5, 0.9);
    assertThat(policy.getMonthly().getEscalations()).singleElement()
        .satisfies(e -> assertThat(e.getAction()).isEqualTo(BudgetActionType.RESTRICT));
    assertThat(PolicyJson.parseBudgetPolicy("team-a", PolicyJson.toJson(policy))).isEqualTo(policy);
  }

  @Test
  void budgetPolicyNeedsALimitAndAKnownZone() {
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t", PolicyJson.read("{\"daily\":{\"action\":\"pause\"}}", "b")))
        .isInstanceOf(PolicyException.class).hasMessageContaining("$.daily");
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t",
        PolicyJson.read("{\"timeZone\":\"Mars/Olympus\",\"daily\":{\"inputTokens\":5}}", "b")))
        .hasMessageContaining("$.timeZone: 'Mars/Olympus' is not an IANA time zone");
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t",
        PolicyJson.read("{\"daily\":{\"inputTokens\":5,\"action\":\"explode\"}}", "b")))
        .hasMessageContaining("$.daily.action");
  }

  @Test
  void tokenLimitsBeyondALongAreProblemsNotWrappedLimits() {
    // 2^64 + 5 would wrap to 5 as a long, and 2^63 to a negative limit that no longer limits anything
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t", PolicyJson.read(
        "{\"daily\":{\"inputTokens\":18446744073709551621,\"outputTokens\":9223372036854775808}}", "b")))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .anySatisfy(p -> assertThat(p).startsWith("$.daily.inputTokens: ").contains("1000000000000000"))
            .anySatisfy(p -> assertThat(p).startsWith("$.daily.outputTokens: ").contains("1000000000000000")));
  }

  @Test
  void aCostLimitTooLargeForMicroDollarsIsAProblemNotAnArithmeticError() {
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t",
        PolicyJson.read("{\"monthly\":{\"costUsd\":1e30}}", "b")))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
            .startsWith("$.monthly.costUsd: ").contains("1000000000"));
  }

  @Test
  void aCostLimitBelowOneMicroDollarIsAProblemNotNoLimit() {
    assertThatThrownBy(() -> PolicyJson.parseBudgetPolicy("t",
        PolicyJson.read("{\"daily\":{\"costUsd\":0.0000001}}", "b")))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems())
            .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
            .startsWith("$.daily.costUsd: ").containsAnyOf("0.000001", "1.0E-6"));
  }

  @Test
  void theLargestAndSmallestLimitsAreAccepted() {
    BudgetPolicy policy = PolicyJson.parseBudgetPolicy("t", PolicyJson.read("{\"daily\":{\"inputTokens\":"
        + "1000000000000000,\"costUsd\":0.000001},\"monthly\":{\"costUsd\":1000000000}}", "b"));

    assertThat(policy.getDaily().getInputTokens()).isEqualTo(1_000_000_000_000_000L);
    assertThat(policy.getDaily().getCostMicros()).isEqualTo(1L);
    assertThat(policy.getMonthly().getCostMicros()).isEqualTo(1_000_000_000_000_000L);
  }

  @Test
  void catalogEntriesAreValidatedWithTheirIndex() {
    String json = "{\"models\":[{\"id\":\"ok\",\"provider\":\"anthropic\",\"providerModelId\":\"x\","
        + "\"inputUsdPerMTok\":1,\"outputUsdPerMTok\":2},{\"id\":\"bad\",\"provider\":\"anthropic\"}]}";
    assertThatThrownBy(() -> PolicyJson.parseCatalog(PolicyJson.read(json, "c")))
        .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
            "$.models[1]: required property 'providerModelId' not found",
            "$.models[1]: required property 'inputUsdPerMTok' not found",
            "$.models[1]: required property 'outputUsdPerMTok' not found"));
  }
}
