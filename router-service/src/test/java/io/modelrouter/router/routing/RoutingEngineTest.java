package io.modelrouter.router.routing;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.PromotionStep;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import static io.modelrouter.router.routing.Requests.NOW;
import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;


class RoutingEngineTest {

  @Test
  void complexityInReasonsIsWrittenWithTwoDecimalsAsPercentFormatWould() {
    java.util.Random random = new java.util.Random(5);
    for (int i = 0; i < 20_000; i++) {
      double value = i < 10_000 ? random.nextDouble() : Math.abs(random.nextInt(101) / 100.0 + (random.nextInt(3) - 1) * 1e-9);
      assertThat(RoutingEngine.twoDecimals(value)).as("%s", value)
          .isEqualTo(String.format(java.util.Locale.ROOT, "%.2f", value));
    }
    assertThat(RoutingEngine.twoDecimals(0.8)).isEqualTo("0.80");
    assertThat(RoutingEngine.twoDecimals(1.0)).isEqualTo("1.00");
    assertThat(RoutingEngine.twoDecimals(0.05)).isEqualTo("0.05");
  }
  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
  private final Map<String, ModelSpec> models = DefaultPolicies.catalogById();
  private final ModelCatalog catalog = ModelCatalog.of(models);

  private RouteOutcome route(InferenceRequest request) {
    return route(request, DefaultPolicies.hybridRoutingPolicy(), BudgetStatus.NORMAL);
  }

  private RouteOutcome route(InferenceRequest request, RoutingPolicy policy, BudgetStatus budget) {
    return engine.route(request, CompiledPolicy.compile(policy), catalog, budget, NOW);
  }

  private RoutingDecision routed(RouteOutcome outcome) {
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return ((RouteOutcome.Routed) outcome).decision();
  }

  private RouteOutcome.Rejected rejected(RouteOutcome outcome) {
    assertThat(outcome).isInstanceOf(RouteOutcome.Rejected.class);
    return (RouteOutcome.Rejected) outcome;
  }

  private static RoutingPolicy withStrategy(AutoStrategy strategy) {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setStrategy(strategy);
    return policy;
  }

  private static RoutingStep.Kind kind(RouteOutcome outcome) {
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return ((RouteOutcome.Routed) outcome).kind();
  }

  @Test
  void theDecisionsKindIsItsLastStepThatChoseTheProfile() {
    BudgetStatus restrict = new BudgetStatus(BudgetState.RESTRICT, "daily inputTokens at 80%");
    assertThat(kind(route(Requests.chat("What does this regex do?")))).isEqualTo(RoutingStep.Kind.TABLE);
    assertThat(kind(route(request("translateSpreadsheet", "Translate column B.").build())))
        .isEqualTo(RoutingStep.Kind.DEFAULT);
    assertThat(kind(route(request("interactiveChat", "hi").setModel("primary").build())))
        .isEqualTo(RoutingStep.Kind.PIN);
    assertThat(kind(route(request("research", "Survey the options").setTier("free").build())))
        .isEqualTo(RoutingStep.Kind.TIER);
    assertThat(kind(route(request("specGeneration", "Write the spec.").setModel("frontier").setTier("power").build(),
        DefaultPolicies.hybridRoutingPolicy(), restrict))).isEqualTo(RoutingStep.Kind.RESTRICT);
    assertThat(kind(route(request("codeReview", complexPrompt()).setTier("power").setMaxTokens(16000).build())))
        .isEqualTo(RoutingStep.Kind.PROMOTED);
    assertThat(kind(route(request("research", "capital of France?").setTier("power").build())))
        .isEqualTo(RoutingStep.Kind.DEMOTED);
    assertThat(kind(route(Requests.chat("hi"), withStrategy(AutoStrategy.COMPLEXITY), BudgetStatus.NORMAL)))
        .isEqualTo(RoutingStep.Kind.COMPLEXITY);
    assertThat(kind(route(request("specGeneration", "word ".repeat(230_000)).build())))
        .isEqualTo(RoutingStep.Kind.CONTEXT);
  }

  @Test
  void theBatchLaneTakesBatchRequestsWithRoomInTheirDeadlineAtTheBatchPrice() {
    // The table's policy (hybrid), requests pinned to Sonnet 4.5, with a batch lane for deadlines 12 h away
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setBatchApi(new io.modelrouter.avro.BatchApiRouting(12.0));
    // A BATCH request without a deadline: the batch lane, estimated at Sonnet 4.5's batch price ($1.50/M input,
    // $7.50/M output: half of $3/$15)
    RoutingDecision batch = routed(route(request("codeReview", "Review the attached diff.").setModel("claude-sonnet-4-5")
        .setPriority(io.modelrouter.avro.Priority.BATCH).build(), policy, BudgetStatus.NORMAL));
    assertThat(batch.getBatchApi()).isTrue();
    assertThat(batch.getModel()).isEqualTo("claude-sonnet-4-5");
    assertThat(batch.getEstimatedCostMicros()).isEqualTo((batch.getEstimatedInputTokens() * 1_500_000L
        + batch.getEstimatedOutputTokens() * 7_500_000L + 500_000) / 1_000_000);
    assertThat(batch.getReason()).contains("batch API at 50% of the price");
    // due in 13 h: still room; due in 11 h: the normal path
    assertThat(routed(route(request("codeReview", "Review it.").setModel("claude-sonnet-4-5").setPriority(io.modelrouter.avro.Priority.BATCH)
        .setDeadline(NOW.plusSeconds(13 * 3600)).build(), policy, BudgetStatus.NORMAL)).getBatchApi()).isTrue();
    RoutingDecision soon = routed(route(request("codeReview", "Review it.").setModel("claude-sonnet-4-5").setPriority(io.modelrouter.avro.Priority.BATCH)
        .setDeadline(NOW.plusSeconds(11 * 3600)).build(), policy, BudgetStatus.NORMAL));
    assertThat(soon.getBatchApi()).isFalse();
    assertThat(soon.getEstimatedCostMicros()).isEqualTo((soon.getEstimatedInputTokens() * 3_000_000L
        + soon.getEstimatedOutputTokens() * 15_000_000L + 500_000) / 1_000_000);
    // INTERACTIVE, a model without a batch price (Moonshot's), or a policy without the lane: never
    assertThat(routed(route(request("codeReview", "Review it.").build(), policy, BudgetStatus.NORMAL)).getBatchApi())
        .isFalse();
    RoutingDecision kimi = routed(route(request("codeReview", "Review it.")
        .setPriority(io.modelrouter.avro.Priority.BATCH).setModel("kimi-k2").setTier("power").build(),
        policy,
        BudgetStatus.NORMAL));
    assertThat(kimi.getModel()).isEqualTo("kimi-k2");
    assertThat(kimi.getBatchApi()).isFalse();
    // Bedrock's Claude models have a batch price (batch inference at half price): in the lane
    RoutingDecision bedrock = routed(route(request("codeReview", "Review it.")
        .setPriority(io.modelrouter.avro.Priority.BATCH).setModel("bedrock-claude-sonnet-4-5").setTier("power").build(),
        policy,
        BudgetStatus.NORMAL));
    assertThat(bedrock.getModel()).isEqualTo("bedrock-claude-sonnet-4-5");
    assertThat(bedrock.getBatchApi()).isTrue();
    assertThat(routed(route(request("codeReview", "Review it.").setModel("claude-sonnet-4-5").setPriority(io.modelrouter.avro.Priority.BATCH)
        .build())).getBatchApi()).isFalse();
  }

  @Test
  void annotationsDoNotChangeTheDecisionsKind() {
    BudgetStatus notify = new BudgetStatus(BudgetState.NOTIFY, "daily inputTokens at 52%");
    RouteOutcome notified = route(request("specGeneration", "Write the spec.").build(), DefaultPolicies.hybridRoutingPolicy(),
        notify);
    assertThat(routed(notified).getReason()).endsWith("budget NOTIFY: daily inputTokens at 52%");
    assertThat(kind(notified)).isEqualTo(RoutingStep.Kind.TABLE);
    RouteOutcome neverDemoted = route(request("validation", "ok?").setTier("power").build());
    assertThat(routed(neverDemoted).getReason()).contains("never demoted");
    assertThat(kind(neverDemoted)).isEqualTo(RoutingStep.Kind.TABLE);
    RouteOutcome capped = route(request("interactiveChat", "hi").setMaxTokens(100_000).build());
    assertThat(routed(capped).getReason()).contains("capped at");
    assertThat(kind(capped)).isEqualTo(RoutingStep.Kind.TABLE);
    assertThat(((RouteOutcome.Routed) capped).reasonLabel()).isEqualTo("table");
  }

  @Test
  void routesChatToFastProfileByTheTable() {
    RoutingDecision decision = routed(route(Requests.chat("What does this regex do?")));
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getModel()).isEqualTo("claude-haiku-4-5");
    assertThat(decision.getProvider()).isEqualTo("anthropic");
    assertThat(decision.getReason()).isEqualTo("routing table: interactiveChat → fast");
  }

  @Test
  void routesSpecGenerationToPrimary() {
    RoutingDecision decision = routed(route(request("specGeneration", "Write the design for the export feature.").build()));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getModel()).isEqualTo("claude-sonnet-4-5");
  }

  @Test
  void unknownTaskTypeGoesToTheDefaultProfileAndSaysSo() {
    RoutingDecision decision = routed(route(request("translateSpreadsheet", "Translate column B.").build()));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).isEqualTo("task type translateSpreadsheet not in the routing table: default → primary");
  }

  @Test
  void pinnedProfileWinsOverTheTable() {
    RoutingDecision decision = routed(route(request("interactiveChat", "hi").setModel("primary").build()));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).isEqualTo("pinned profile primary");
  }

  @Test
  void pinnedModelWinsAndHasNoFallbacks() {
    RoutingDecision decision = routed(route(request("interactiveChat", "hi").setModel("claude-sonnet-4-0")
        .setTier("power").build()));
    assertThat(decision.getModel()).isEqualTo("claude-sonnet-4-0");
    assertThat(decision.getProfile()).isEqualTo("pinned");
    assertThat(decision.getFallbacks()).isEmpty();
    assertThat(decision.getReason()).isEqualTo("pinned model claude-sonnet-4-0");
  }

  @Test
  void unknownPinIsRejectedNamingTheModelField() {
    RouteOutcome.Rejected rejected = rejected(route(request("interactiveChat", "hi").setModel("gpt-9").build()));
    assertThat(rejected.field()).isEqualTo("model");
    assertThat(rejected.code()).isEqualTo("UNKNOWN_MODEL");
    assertThat(rejected.message()).isEqualTo("model: 'gpt-9' is neither a profile of the policy nor a model of the catalog");
  }

  @Test
  void freeTierCannotUseFrontierAndGoesToItsFirstProfile() {
    RoutingDecision decision = routed(route(request("research", "Survey the options for a new queueing design and "
        + "analyze the trade-off between architecture A and B").setTier("free").build()));
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getReason()).endsWith("tier free: frontier not allowed → fast");
  }

  @Test
  void proTierGetsEverythingButFrontier() {
    RoutingDecision decision = routed(route(request("research", "Investigate the root cause of the deadlock in the "
        + "payment queue and compare designs").setTier("pro").build()));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).contains("tier pro: frontier not allowed → primary");
  }

  @Test
  void powerTierMayUseFrontier() {
    RoutingDecision decision = routed(route(request("research", "Investigate the root cause of the deadlock in the "
        + "payment queue and compare designs").setTier("power").build()));
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getModel()).isEqualTo("claude-opus-4-5");
  }

  @Test
  void tierForbidsAPinnedModelItsProfilesDoNotUse() {
    RoutingDecision decision = routed(route(request("interactiveChat", "hi").setTier("free")
        .setModel("claude-opus-4-5").build()));
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getReason()).isEqualTo("pinned model claude-opus-4-5; tier free: claude-opus-4-5 not allowed → fast");
  }

  @Test
  void tierAllowsAPinnedModelThatOneOfItsProfilesUses() {
    RoutingDecision decision = routed(route(request("interactiveChat", "hi").setTier("free")
        .setModel("claude-haiku-4-5").build()));
    assertThat(decision.getModel()).isEqualTo("claude-haiku-4-5");
    assertThat(decision.getProfile()).isEqualTo("pinned");
  }

  @Test
  void unknownTierIsRejectedNamingTheTierField() {
    RouteOutcome.Rejected rejected = rejected(route(request("interactiveChat", "hi").setTier("platinum").build()));
    assertThat(rejected.field()).isEqualTo("tier");
    assertThat(rejected.reason()).isEqualTo("unknown tier 'platinum'; the policy defines free, power, pro");
  }

  @Test
  void restrictSendsEveryRequestToTheFastProfileEvenWhenPinned() {
    BudgetStatus restrict = new BudgetStatus(BudgetState.RESTRICT, "daily inputTokens at 80%");
    RoutingDecision decision = routed(route(request("specGeneration", "Write the spec.").setModel("frontier")
        .setTier("power").build(), DefaultPolicies.hybridRoutingPolicy(), restrict));
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getBudgetState()).isEqualTo(BudgetState.RESTRICT);
    assertThat(decision.getReason()).isEqualTo("pinned profile frontier; budget RESTRICT: frontier → fast");
  }

  @Test
  void restrictToAProfileTheTierMayNotUseAppliesTheTierRuleAfter() {
    // Given a policy that restricts to the local model, which the free tier may not use
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setRestrictProfile("local");
    policy.getTiers().get("free").setProfiles(List.of("fast"));
    BudgetStatus restrict = new BudgetStatus(BudgetState.RESTRICT, "daily inputTokens at 80%");

    RoutingDecision decision = routed(route(request("specGeneration", "Write the spec.").setTier("free").build(),
        policy, restrict));

    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getReason()).isEqualTo("routing table: specGeneration → primary; tier free: primary not allowed "
        + "→ fast; budget RESTRICT: fast → local; tier free: local not allowed → fast");
  }

  @Test
  void notifyOnlyAnnotates() {
    BudgetStatus notify = new BudgetStatus(BudgetState.NOTIFY, "daily inputTokens at 52%");
    RoutingDecision decision = routed(route(request("specGeneration", "Write the spec.").build(),
        DefaultPolicies.hybridRoutingPolicy(), notify));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).isEqualTo("routing table: specGeneration → primary; budget NOTIFY: daily inputTokens at 52%");
  }

  @Test
  void pauseAnswersAfterThePolicyStepsWithTheirReason() {
    BudgetStatus pause = new BudgetStatus(BudgetState.PAUSE, "daily inputTokens at 100%");
    RouteOutcome outcome = route(request("research", "Survey queue designs").setTier("free").build(),
        DefaultPolicies.hybridRoutingPolicy(), pause);
    assertThat(outcome).isInstanceOfSatisfying(RouteOutcome.Paused.class, paused -> {
      assertThat(paused.reason()).isEqualTo("daily inputTokens at 100%");
      assertThat(paused.policyVersion()).isEqualTo("*@0");
      assertThat(paused.routingReason()).matches("routing table: research → frontier; .*"
          + "tier free: \\w+ not allowed → fast; budget PAUSE");
    });
  }

  @Test
  void anUnknownPinIsRejectedEvenWhenTheTeamIsPaused() {
    BudgetStatus pause = new BudgetStatus(BudgetState.PAUSE, "daily inputTokens at 100%");
    RouteOutcome.Rejected rejected = rejected(route(request("interactiveChat", "hi").setModel("gpt-9").build(),
        DefaultPolicies.hybridRoutingPolicy(), pause));
    assertThat(rejected.code()).isEqualTo("UNKNOWN_MODEL");
    assertThat(rejected.field()).isEqualTo("model");
  }

  @Test
  void hybridPromotesAComplexRequestAboveTheThreshold() {
    String prompt = complexPrompt();
    RoutingDecision decision = routed(route(request("codeReview", prompt).setTier("power").setMaxTokens(16000).build()));
    assertThat(decision.getComplexity()).isGreaterThan(0.8);
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getReason()).matches("routing table: codeReview → primary; complexity 0\\.\\d\\d > 0\\.80: "
        + "promoted primary → frontier");
  }

  @Test
  void hybridPromotesAComplexChatFromFastToPrimary() {
    RoutingDecision decision = routed(route(request("interactiveChat", Requests.complexChat()).build()));
    assertThat(decision.getComplexity()).isGreaterThan(0.40).isLessThan(0.80);
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).matches("routing table: interactiveChat → fast; complexity 0\\.\\d\\d > 0\\.40: "
        + "promoted fast → primary");
  }

  @Test
  void hybridDoesNotPromoteASimpleChat() {
    RoutingDecision decision = routed(route(Requests.chat("What does this stack trace mean?")));
    assertThat(decision.getComplexity()).isLessThan(0.40);
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getReason()).isEqualTo("routing table: interactiveChat → fast");
  }

  @Test
  void hybridPromotionClimbsEveryStepWhoseThresholdTheScoreExceeds() {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().getPromote().put("primary", new PromotionStep(0.45, "frontier"));
    RoutingDecision decision = routed(route(request("interactiveChat", Requests.complexChat()).setTier("power").build(), policy,
        BudgetStatus.NORMAL));
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getReason()).matches("routing table: interactiveChat → fast; "
        + "complexity 0\\.\\d\\d > 0\\.40: promoted fast → primary; complexity 0\\.\\d\\d > 0\\.45: promoted primary → frontier");
  }

  @Test
  void hybridDemotesATrivialFrontierRequestBelowTheThreshold() {
    RoutingDecision decision = routed(route(request("research", "capital of France?").setTier("power").build()));
    assertThat(decision.getComplexity()).isLessThan(0.3);
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).matches("routing table: research → frontier; complexity 0\\.\\d\\d < 0\\.30: "
        + "demoted frontier → primary");
  }

  @Test
  void hybridNeverDemotesValidation() {
    RoutingDecision decision = routed(route(request("validation", "ok?").setTier("power").build()));
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getReason()).contains("but validation is never demoted");
  }

  @Test
  void hybridNeverDemotesValidationForATeamPolicyThatOmitsNeverDemote() {
    // Given a team's copy of the hybrid policy without the neverDemote field
    com.fasterxml.jackson.databind.node.ObjectNode json = PolicyJson.toJson(DefaultPolicies.hybridRoutingPolicy());
    ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("auto")).remove("neverDemote");
    RoutingPolicy team = PolicyJson.parseRoutingPolicy("team-a", json, models);

    RoutingDecision decision = routed(route(request("validation", "ok?").setTier("power").build(), team,
        BudgetStatus.NORMAL));

    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getReason()).contains("but validation is never demoted");
  }

  @Test
  void rulesStrategyIgnoresComplexityButRecordsIt() {
    RoutingDecision decision = routed(route(request("codeReview", complexPrompt()).setTier("power")
        .setMaxTokens(16000).build(), withStrategy(AutoStrategy.RULES), BudgetStatus.NORMAL));
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getComplexity()).isGreaterThan(0.8);
  }

  @Test
  void complexityStrategyUsesTheHighestMatchingBand() {
    RoutingPolicy policy = withStrategy(AutoStrategy.COMPLEXITY);
    RoutingDecision simple = routed(route(Requests.chat("hi"), policy, BudgetStatus.NORMAL));
    RoutingDecision hard = routed(route(request("taskExecution", complexPrompt()).setTier("power")
        .setMaxTokens(16000).build(), policy, BudgetStatus.NORMAL));
    assertThat(simple.getProfile()).isEqualTo("fast");
    assertThat(simple.getReason()).matches("complexity 0\\.\\d\\d ≥ 0\\.00 → fast");
    assertThat(hard.getProfile()).isEqualTo("frontier");
  }

  @Test
  void aPromptTooLargeForTheModelMovesToALargerFallback() {
    String huge = "word ".repeat(230_000);
    RoutingDecision decision = routed(route(request("specGeneration", huge).build()));
    assertThat(decision.getEstimatedInputTokens()).isGreaterThan(200_000);
    assertThat(decision.getModel()).isEqualTo("kimi-k2");
    assertThat(decision.getReason()).contains("exceeds claude-sonnet-4-5's 200,000-token context → kimi-k2 (262,144)");
    assertThat(decision.getFallbacks()).extracting(f -> f.getModel()).containsExactly("gpt-4.1-mini");
  }

  @Test
  void aPromptTooLargeForEveryModelIsRejectedNamingMessages() {
    String huge = "word ".repeat(230_000);
    RouteOutcome.Rejected rejected = rejected(route(request("interactiveChat", huge).setModel("claude-haiku-4-5").build()));
    assertThat(rejected.code()).isEqualTo("CONTEXT_WINDOW_EXCEEDED");
    assertThat(rejected.field()).isEqualTo("messages");
    assertThat(rejected.reason()).contains("largest: claude-haiku-4-5, 200,000 tokens");
  }

  @Test
  void maxTokensAreCappedAtTheModelsLimit() {
    RoutingDecision decision = routed(route(request("interactiveChat", "hi").setMaxTokens(100_000).build()));
    assertThat(decision.getMaxTokens()).isEqualTo(64_000);
    assertThat(decision.getReason()).contains("maxTokens 100,000 capped at claude-haiku-4-5's limit 64,000");
  }

  @Test
  void decisionRecordsPolicyVersionEstimatesAndCost() {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("team-a");
    policy.setVersion(7);
    RoutingDecision decision = routed(route(request("specGeneration", "Write the spec for exports.")
        .setSystemPrompt("You write specs.").build(), policy, BudgetStatus.NORMAL));
    assertThat(decision.getPolicyVersion()).isEqualTo("team-a@7");
    assertThat(decision.getEstimatedInputTokens()).isBetween(10, 30);
    assertThat(decision.getEstimatedOutputTokens()).isEqualTo(4000);
    assertThat(decision.getEstimatedCostMicros()).isEqualTo(
        io.modelrouter.schemas.Pricing.costMicros(models.get("claude-sonnet-4-5"), decision.getEstimatedInputTokens(),
            4000, 0));
    assertThat(decision.getMaxTokens()).isEqualTo(8192);
    assertThat(decision.getTemperature()).isEqualTo(0.1);
    assertThat(decision.getFallbacks()).extracting(f -> f.getModel())
        .containsExactly("bedrock-claude-sonnet-4-5", "kimi-k2", "gpt-4.1-mini");
    assertThat(decision.getDecidedAt()).isEqualTo(NOW);
  }

  @Test
  void aProfileWhoseModelLeftTheCatalogIsAPolicyError() {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getProfiles().get("fast").setModel("retired-model");
    RouteOutcome.Rejected rejected = rejected(route(Requests.chat("hi"), policy, BudgetStatus.NORMAL));
    assertThat(rejected.code()).isEqualTo("POLICY_ERROR");
    assertThat(rejected.reason()).contains("uses model 'retired-model', which is not in the catalog");
  }

  static Stream<Arguments> invalidRequests() {
    return Stream.of(
        Arguments.of(request("interactiveChat", "hi").setRequestId(null).build(), "requestId", "is required"),
        Arguments.of(request("interactiveChat", "hi").setTeamId(" ").build(), "teamId", "is required"),
        // found by FuzzBenchmark: a request whose team no budget can ever name was routed (and spent outside every cap)
        Arguments.of(request("interactiveChat", "hi").setTeamId("team\u0001a").build(), "teamId",
            "must be 1 to 64 of A-Z a-z 0-9 . _ - (as budget-service's team ids), got 'team?a'"),
        Arguments.of(request("interactiveChat", "hi").setTeamId("t".repeat(65)).build(), "teamId", "must be 1 to 64"),
        Arguments.of(request("interactiveChat", "hi").setTaskType(null).build(), "taskType", "is required"),
        Arguments.of(request("interactiveChat", "hi").setMessages(List.of()).build(), "messages",
            "must hold at least one message"),
        Arguments.of(request("interactiveChat", "hi").setMessages(List.of(new Message(Role.USER, "  ", List.of()))).build(),
            "messages", "every message is empty"),
        Arguments.of(request("interactiveChat", "hi").setMaxTokens(0).build(), "maxTokens", "must be positive, got 0"),
        Arguments.of(request("interactiveChat", "hi").setTemperature(3.5).build(), "temperature",
            "must be between 0 and 2, got 3.5"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalidRequests")
  void invalidRequestsAreRejectedNamingTheField(InferenceRequest request, String field, String reason) {
    RouteOutcome.Rejected rejected = rejected(route(request));
    assertThat(rejected.code()).isEqualTo("INVALID_REQUEST");
    assertThat(rejected.field()).isEqualTo(field);
    assertThat(rejected.reason()).startsWith(reason);
  }

  /** A large review touching many files, APIs, migrations and design questions. */
  static String complexPrompt() {
    StringBuilder prompt = new StringBuilder("Review this change for security and concurrency. Analyze the "
        + "architecture trade-off, find the root cause of the race condition and every edge case.\n"
        + "It touches the payments API, the database migration, the OAuth endpoint and the Kafka queue.\n");
    for (String file : List.of("src/main/java/pay/Ledger.java", "src/main/java/pay/Api.java", "db/V12__ledger.sql",
        "src/main/java/pay/Queue.java", "config/app.yaml", "src/test/java/pay/LedgerTest.java", "docs/design.md")) {
      prompt.append("File ").append(file).append(":\n```java\n");
      prompt.append("class X { void run() { /* ... */ } }\n".repeat(120));
      prompt.append("```\n");
    }
    return prompt.toString();
  }
}
