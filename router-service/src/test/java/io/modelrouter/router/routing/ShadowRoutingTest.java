package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.ShadowRouting;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import org.junit.jupiter.api.Test;

/**
 * A policy's shadow evaluation on the decision: with the shipped policy, a chat goes to fast (claude-haiku-4-5) and
 * the frontier profile is claude-opus-4-5 (see RouterIT's workload table).
 */
class ShadowRoutingTest {
  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());

  private RoutingDecision route(String id, String taskType, double share) {
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setShadow(new ShadowRouting("frontier", share));
    RouteOutcome outcome = engine.route(request(taskType, "Task 1: update the handler.").setRequestId(id)
        .setTier("power").build(), CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, Requests.NOW);
    return ((RouteOutcome.Routed) outcome).decision();
  }

  @Test
  void theWholeShareIsShadowedByTheShadowProfilesModelAndTheReasonSaysSo() {
    RoutingDecision decision = route("r-1", "interactiveChat", 1.0);
    assertThat(decision.getModel()).isEqualTo("claude-haiku-4-5");
    assertThat(decision.getShadow().getModel()).isEqualTo("claude-opus-4-5");
    assertThat(decision.getShadow().getProvider()).isEqualTo("anthropic");
    assertThat(decision.getReason()).endsWith("; shadow: also sent to claude-opus-4-5 (frontier)");
  }

  @Test
  void noShareNoShadowAndARequestAlreadyOnTheShadowModelIsNotShadowed() {
    assertThat(route("r-1", "interactiveChat", 0.0).getShadow()).isNull();
    // validation goes to frontier by the table: it already is on claude-opus-4-5
    RoutingDecision validation = route("r-2", "validation", 1.0);
    assertThat(validation.getModel()).isEqualTo("claude-opus-4-5");
    assertThat(validation.getShadow()).isNull();
  }

  @Test
  void aShareOfRequestsIsShadowedChosenByRequestId() {
    int shadowed = 0;
    for (int i = 0; i < 400; i++) {
      RoutingDecision decision = route("r-" + i, "interactiveChat", 0.25);
      shadowed += decision.getShadow() == null ? 0 : 1;
      assertThat(route("r-" + i, "interactiveChat", 0.25).getShadow() == null).isEqualTo(decision.getShadow() == null);
    }
    assertThat(shadowed).isBetween(70, 130);
  }
}
