package io.modelrouter.schemas.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated hostile policies, budgets and catalog entries (see {@link HostileJson}): each is either accepted or
 * refused with a {@link PolicyException} whose every problem names a JSON path; nothing else is ever thrown. A fixed
 * seed and a few hundred tries, so that {@code ./mvnw verify} stays fast and a failure can be replayed.
 */
class PolicyFuzzTest {
  private static final String BUDGET = """
      {"timeZone": "Europe/Berlin",
       "daily": {"inputTokens": 500000, "outputTokens": 100000, "costUsd": 12.5, "alertThresholds": [0.5, 0.8],
                 "action": "pause", "escalations": [{"at": 0.8, "action": "restrict"}]},
       "monthly": {"costUsd": 300, "alertThresholds": [0.9], "action": "restrict"}}""";
  private static final String MODEL = """
      {"id": "qwen3-8b", "provider": "ollama", "providerModelId": "qwen3:8b", "contextWindow": 40960,
       "maxOutputTokens": 8192, "inputPricePerMTokUsd": 0, "outputPricePerMTokUsd": 0}""";

  @Provide
  Arbitrary<String> routingPolicies() {
    return HostileJson.mutationsOf(PolicyJson.toJson(DefaultPolicies.routingPolicy()).toString());
  }

  @Provide
  Arbitrary<String> budgets() {
    return HostileJson.mutationsOf(BUDGET);
  }

  @Provide
  Arbitrary<String> models() {
    return HostileJson.mutationsOf(MODEL);
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileRoutingPolicyIsAcceptedOrRefusedNamingPaths(@ForAll("routingPolicies") String text) {
    acceptedOrRefused(() -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(text, "routing policy"),
        DefaultPolicies.catalogById()));
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileBudgetIsAcceptedOrRefusedNamingPaths(@ForAll("budgets") String text) {
    acceptedOrRefused(() -> PolicyJson.parseBudgetPolicy("team-a", PolicyJson.read(text, "budget")));
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileCatalogEntryIsAcceptedOrRefusedNamingPaths(@ForAll("models") String text) {
    acceptedOrRefused(() -> {
      JsonNode json = PolicyJson.read(text, "model");
      return PolicyJson.parseModelSpec(json);
    });
  }

  private static void acceptedOrRefused(java.util.concurrent.Callable<?> parse) {
    try {
      assertThat(parse.call()).isNotNull();
    } catch (PolicyException e) {
      assertThat(e.problems()).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith("$"));
    } catch (Exception e) {
      throw new AssertionError("neither accepted nor refused with the paths: " + e, e);
    }
  }
}
