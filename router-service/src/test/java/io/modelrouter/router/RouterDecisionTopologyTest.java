package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The routing rules through the whole topology (the engine's own tests are in RoutingEngineTest): what a request
 * produces on {@code llm.requests.routed} or {@code llm.results}, with the shipped policy and catalog.
 */
class RouterDecisionTopologyTest {
  /** About 230,000 tokens: more than the 200,000 of the Claude models, less than kimi-k2's 262,144. */
  private static final String HUGE = "word ".repeat(230_000);

  private RouterDriver router;

  /** Admission as configured by default, but with requests up to 4 MB, as with topics raised to take HUGE. */
  private static final RouterConfig.Admission LARGE_REQUESTS = new RouterConfig.Admission(true, 0.15,
      java.time.Duration.ofMinutes(10), 4_000_000);

  @BeforeEach
  void start() {
    router = new RouterDriver("router-decision", LARGE_REQUESTS);
  }

  @AfterEach
  void stop() {
    router.close();
  }

  private RoutingDecision routedDecision(InferenceRequest request) {
    router.send(request);
    assertThat(router.results.isEmpty()).as("no result for a routed request").isTrue();
    return router.routed.readValue().getDecision();
  }

  private InferenceResult answer(InferenceRequest request) {
    router.send(request);
    assertThat(router.routed.isEmpty()).as("nothing routed for an answered request").isTrue();
    return router.results.readValue();
  }

  @Test
  void anUnknownPinnedModelIsRejectedAsUnknownModel() {
    InferenceResult result = answer(request("interactiveChat", "hi").setModel("gpt-9").build());
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("UNKNOWN_MODEL");
    assertThat(result.getErrorMessage())
        .isEqualTo("model: 'gpt-9' is neither a profile of the policy nor a model of the catalog");
  }

  @Test
  void aPromptOverTheContextWindowMovesToALargerFallback() {
    RoutingDecision decision = routedDecision(request("specGeneration", HUGE).build());
    assertThat(decision.getModel()).isEqualTo("kimi-k2");
    assertThat(decision.getReason()).contains("exceeds claude-sonnet-4-5's 200,000-token context → kimi-k2 (262,144)");
    assertThat(decision.getFallbacks()).extracting(ModelRef::getModel).containsExactly("gpt-4.1-mini");
  }

  @Test
  void aPromptLargerThanEveryModelIsRejectedNamingMessages() {
    InferenceResult result = answer(request("interactiveChat", HUGE).setModel("claude-haiku-4-5").build());
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("CONTEXT_WINDOW_EXCEEDED");
    assertThat(result.getErrorMessage()).startsWith("messages: the prompt is about ")
        .contains("largest: claude-haiku-4-5, 200,000 tokens");
  }

  @Test
  void aRequestOverTheRecordLimitIsRejectedNamingTheSettingAndNeitherRoutedNorRekeyed() {
    try (RouterDriver small = new RouterDriver("router-decision-limit")) { // the default limit: 1,000,000 bytes
      InferenceRequest request = request("specGeneration", HUGE).build();
      byte[] bytes = small.topics.requests().serializeValue(request);
      assertThat(bytes.length).isGreaterThan(1_000_000);
      // keyed by something other than its team: answered at once, not sent through the repartition topic
      small.requests.pipeInput("not-the-team", bytes);
      assertThat(small.routed.isEmpty()).isTrue();
      assertThat(small.dlq.isEmpty()).isTrue();
      var answered = small.results.readRecord();
      assertThat(answered.key()).isEqualTo(request.getTeamId());
      InferenceResult result = answered.value();
      assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
      assertThat(result.getErrorCode()).isEqualTo("REQUEST_TOO_LARGE");
      assertThat(result.getErrorMessage()).isEqualTo(String.format(java.util.Locale.ROOT, "request: the request "
          + "record is %,d bytes, more than the router's limit of 1,000,000 bytes (router.max.request.bytes)",
          bytes.length));
      assertThat(result.getRequestId()).isEqualTo(request.getRequestId());
      // one under the limit routes
      small.send(request("specGeneration", "word ".repeat(150_000)).build());
      assertThat(small.routed.readRecordsToList()).hasSize(1);
    }
  }

  @Test
  void theFreeTierAskingForFrontierGetsFastAndTheReasonSaysTier() {
    RoutingDecision decision = routedDecision(request("interactiveChat", "hi").setTier("free").setModel("frontier")
        .build());
    assertThat(decision.getProfile()).isEqualTo("fast");
    assertThat(decision.getReason()).isEqualTo("pinned profile frontier; tier free: frontier not allowed → fast");
  }

  @Test
  void anUnknownTierIsRejectedAsUnknownTier() {
    InferenceResult result = answer(request("interactiveChat", "hi").setTier("platinum").build());
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("UNKNOWN_TIER");
    assertThat(result.getErrorMessage()).isEqualTo("tier: unknown tier 'platinum'; the policy defines free, power, pro");
  }

  @Test
  void hybridPromotesAComplexChat() {
    RoutingDecision decision = routedDecision(request("interactiveChat", Requests.complexChat()).build());
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).matches("routing table: interactiveChat → fast; complexity 0\\.\\d\\d > 0\\.40: "
        + "promoted fast → primary");
  }

  @Test
  void hybridDemotesATrivialResearchRequest() {
    RoutingDecision decision = routedDecision(request("research", "capital of France?").setTier("power").build());
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).matches("routing table: research → frontier; complexity 0\\.\\d\\d < 0\\.30: "
        + "demoted frontier → primary");
  }

  @Test
  void hybridNeverDemotesValidation() {
    RoutingDecision decision = routedDecision(request("validation", "ok?").setTier("power").build());
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getReason()).matches("routing table: validation → frontier; complexity 0\\.\\d\\d < 0\\.30, "
        + "but validation is never demoted");
  }

  @Test
  void notifyAnnotatesTheReasonAndChangesNothingElse() {
    router.budgetState(BudgetState.NOTIFY, "daily inputTokens at 52%");
    RoutingDecision decision = routedDecision(request("specGeneration", "Write the spec.").build());
    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getBudgetState()).isEqualTo(BudgetState.NOTIFY);
    assertThat(decision.getReason())
        .isEqualTo("routing table: specGeneration → primary; budget NOTIFY: daily inputTokens at 52%");
  }

  @Test
  void messagesOfOnlyWhitespaceAreRejected() {
    InferenceResult result = answer(request("interactiveChat", "x")
        .setMessages(List.of(new Message(Role.USER, " \n\t ", List.of()), new Message(Role.USER, "", List.of()))).build());
    assertThat(result.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(result.getErrorCode()).isEqualTo("INVALID_REQUEST");
    assertThat(result.getErrorMessage()).isEqualTo("messages: every message is empty");
  }

  @Test
  void theDecisionCarriesTheComplexityScoreAndTheEstimatedCost() {
    InferenceRequest request = request("specGeneration", Requests.complexChat()).setMaxTokens(2_000).build();

    RoutingDecision decision = routedDecision(request);

    // Computed apart from the topology: the estimator's score and the catalog's prices of the chosen model
    int inputTokens = new RoutingEngine(new ComplexityEstimator()).inputTokens(request);
    double score = new ComplexityEstimator().score(request, inputTokens, 2_000).value();
    ModelSpec model = DefaultPolicies.catalogById().get(decision.getModel());
    assertThat(decision.getComplexity()).isEqualTo(Math.round(score * 10_000) / 10_000.0).isGreaterThan(0);
    assertThat(decision.getEstimatedInputTokens()).isEqualTo(inputTokens);
    assertThat(decision.getEstimatedOutputTokens()).isEqualTo(2_000);
    assertThat(decision.getEstimatedCostMicros()).isPositive()
        .isEqualTo(Pricing.costMicros(model, inputTokens, 2_000, 0));
  }
}
