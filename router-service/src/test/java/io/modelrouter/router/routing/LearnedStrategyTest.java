package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.PromptEmbedder;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The learned strategy through the routing engine, on the real kNN model over a tiny exemplar set with a
 * deterministic embedder (texts about replication point one way, everything else the other), so that every
 * expected profile can be worked out by hand.
 */
class LearnedStrategyTest {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private final AtomicInteger embedded = new AtomicInteger();

  private final PromptEmbedder embedder = text -> {
    embedded.incrementAndGet();
    return text.contains("replication") ? new float[] {1, 0} : new float[] {0, 1};
  };

  private final LearnedRouter learned = new LearnedRouter(() -> embedder, e -> KnnTierModel.fit(List.of(
      new Exemplar("ex-a", "planning", null, "replication across regions", Tier.FRONTIER),
      new Exemplar("ex-b", "research", null, "replication lag analysis", Tier.FRONTIER),
      new Exemplar("ex-c", "chat", null, "what port does postgres use", Tier.FAST),
      new Exemplar("ex-d", "chat", null, "rename the branch", Tier.FAST)), e, 2, 0.05, "knn-test"));

  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator(), learned);
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());

  private RouteOutcome.Routed route(String taskType, String prompt) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    RouteOutcome outcome = engine.route(request(taskType, prompt).setTier("power").build(),
        CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, NOW);
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return (RouteOutcome.Routed) outcome;
  }

  @Test
  void aHardQuestionUnderAnEasyTaskTypeGoesToTheFrontier() {
    // interactiveChat's table profile is fast; both neighbours of a replication question are frontier exemplars:
    // p(fast) = p(primary) = 0 < 0.80, so frontier
    RouteOutcome.Routed routed = route("interactiveChat", "Design active-active replication with conflict "
        + "resolution");
    RoutingDecision decision = routed.decision();
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(routed.kind()).isEqualTo(RoutingStep.Kind.LEARNED);
    assertThat(decision.getReason()).isEqualTo("learned knn-test: p(fast)=0.00 p(primary)=0.00, target 0.80 → "
        + "frontier; nearest ex-a (frontier, 1.00) ex-b (frontier, 1.00)");
  }

  @Test
  void aChoreUnderAHardTaskTypeGoesToFast() {
    // research's table profile is frontier; both neighbours are fast exemplars: p(fast) = 1 ≥ 0.80
    RouteOutcome.Routed routed = route("research", "bump the version in package.json");
    assertThat(routed.decision().getProfile()).isEqualTo("fast");
    assertThat(routed.reasonLabel()).isEqualTo("learned");
  }

  @Test
  void aTaskTypeThePolicyNeverDemotesStaysOnItsTableProfile() {
    // validation is never demoted: the model says fast, the table says frontier
    RouteOutcome.Routed routed = route("validation", "does this JSON parse");
    assertThat(routed.decision().getProfile()).isEqualTo("frontier");
    assertThat(routed.decision().getReason()).endsWith("; validation is never demoted: stays on frontier");
  }

  @Test
  void aPromptSeenAgainIsNotEmbeddedAgain() {
    route("research", "bump the version in package.json");
    int afterFirst = embedded.get();
    route("research", "bump the version in package.json");
    assertThat(embedded.get()).isEqualTo(afterFirst);
  }
}
