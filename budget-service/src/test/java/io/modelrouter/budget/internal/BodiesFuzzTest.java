package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.fuzz.HostileJson;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.util.concurrent.Callable;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated hostile request bodies for every endpoint that takes one (see {@link HostileJson}): each is accepted, or
 * refused with a 4xx {@link ApiException} that says what is wrong, which HttpApi answers as JSON; nothing else is
 * ever thrown (it would be a 500).
 */
class BodiesFuzzTest {
  private static final String BUDGET = """
      {"daily": {"outputTokens": 400000, "alertThresholds": [0.5, 0.8], "action": "pause",
                 "escalations": [{"at": 0.8, "action": "restrict"}]},
       "monthly": {"costUsd": 20, "action": "restrict"}}""";
  private static final String FEEDBACK = """
      {"requestId": "req-1", "score": 0.25, "source": "TEST", "sessionId": "s-1", "neededProfile": "frontier",
       "comment": "the migration did not compile", "feedbackId": "fb-1"}""";
  private static final String MODEL = """
      {"provider": "ollama", "providerModelId": "qwen3:8b", "contextWindow": 40960, "maxOutputTokens": 8192,
       "inputPricePerMTokUsd": 0, "outputPricePerMTokUsd": 0}""";

  @Provide
  Arbitrary<String> budgets() {
    return HostileJson.mutationsOf(BUDGET);
  }

  @Provide
  Arbitrary<String> policies() {
    return HostileJson.mutationsOf(PolicyJson.toJson(DefaultPolicies.routingPolicy()).toString());
  }

  @Provide
  Arbitrary<String> feedback() {
    return HostileJson.mutationsOf(FEEDBACK);
  }

  @Provide
  Arbitrary<String> models() {
    return HostileJson.mutationsOf(MODEL);
  }

  @Property(tries = 300, seed = "20261206")
  void aHostileBudgetBodyIsAcceptedOrA4xx(@ForAll("budgets") String body) {
    acceptedOr4xx(() -> Bodies.budget("alpha", body));
  }

  @Property(tries = 300, seed = "20261206")
  void aHostilePolicyBodyIsAcceptedOrA4xx(@ForAll("policies") String body) {
    acceptedOr4xx(() -> Bodies.routingPolicy("alpha", body, DefaultPolicies.catalogById()));
  }

  @Property(tries = 300, seed = "20261206")
  void aHostileFeedbackBodyIsAcceptedOrA4xx(@ForAll("feedback") String body) {
    acceptedOr4xx(() -> Bodies.feedback("alpha", body, Instant.parse("2026-12-06T12:00:00Z")));
  }

  @Property(tries = 300, seed = "20261206")
  void aHostileModelBodyIsAcceptedOrA4xx(@ForAll("models") String body) {
    acceptedOr4xx(() -> Bodies.model("qwen3-8b", body));
  }

  private static void acceptedOr4xx(Callable<?> parse) {
    try {
      assertThat(parse.call()).isNotNull();
    } catch (ApiException e) {
      assertThat(e.status()).isBetween(400, 499);
      assertThat(e.getMessage()).isNotBlank();
    } catch (Exception e) {
      throw new AssertionError("neither accepted nor a 4xx: " + e, e);
    }
  }
}
