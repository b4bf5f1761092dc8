package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.LearnedExemplar;
import io.modelrouter.avro.LearnedTier;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LearnedPoints;
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
    if (text.contains("quorum")) {
      return at(10);
    }
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
    return route(taskType, prompt, DefaultPolicies.hybridRoutingPolicy(), BudgetStatus.NORMAL, null);
  }

  private RouteOutcome.Routed route(String taskType, String prompt, RoutingPolicy policy, BudgetStatus budget,
      RouterModel teamModel) {
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    RouteOutcome outcome = engine.route(request(taskType, prompt).setTier("power").build(), null,
        CompiledPolicy.compile(policy), catalog, budget, teamModel, null, NOW);
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return (RouteOutcome.Routed) outcome;
  }

  private static float[] at(double degrees) {
    return new float[] {(float) Math.cos(Math.toRadians(degrees)), (float) Math.sin(Math.toRadians(degrees))};
  }

  /** A team model version whose exemplars sit at 10 degrees (where "quorum" prompts embed), each fast. */
  private static RouterModel teamModel(int version, int fastExemplars) {
    List<LearnedExemplar> exemplars = new java.util.ArrayList<>();
    for (int i = 0; i < fastExemplars; i++) {
      exemplars.add(LearnedExemplar.newBuilder().setId("fb:q-" + i).setTaskType("interactiveChat")
          .setExcerpt("quorum").setAtLeast(LearnedTier.FAST).setAtMost(LearnedTier.FAST)
          .setEmbedding(LearnedPoints.quantize(at(10))).setSource(FeedbackSource.TEST).setLearnedAt(NOW).build());
    }
    return new RouterModel("team-a", (long) version, "knn-test", (long) fastExemplars, NOW, exemplars);
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
  void aTeamsLearnedExemplarsOverruleTheShippedOnesAndTheDecisionNamesTheVersion() {
    // A "quorum" prompt embeds at 10 degrees: shipped only, its neighbours are ex-a and ex-b (frontier, cos 10°):
    // frontier. With two learned fast exemplars at 10 degrees (similarity ~1) and k = 2, both neighbours are
    // learned: p(fast) = 1, so fast, and the decision names team-a@3.
    assertThat(route("interactiveChat", "quorum reads during a partition").decision().getProfile())
        .isEqualTo("frontier");
    RouteOutcome.Routed learnedRoute = route("interactiveChat", "quorum reads during a partition",
        DefaultPolicies.hybridRoutingPolicy(), BudgetStatus.NORMAL, teamModel(3, 2));
    assertThat(learnedRoute.decision().getProfile()).isEqualTo("fast");
    assertThat(learnedRoute.decision().getLearnedModel()).isEqualTo("team-a@3");
    assertThat(learnedRoute.decision().getReason()).startsWith("learned team-a@3: p(fast)=1.00 p(primary)=1.00")
        .contains("nearest fb:q-0 (fast, 1.00) fb:q-1 (fast, 1.00)");
  }

  @Test
  void restrictLowersTheQualityTarget() {
    // One learned fast exemplar at 10 degrees and ex-a (frontier, cos 10° = 0.98481, weight exp(-0.30385) =
    // 0.73796): p(fast) = p(primary) = 1 / 1.73796 = 0.58. Below the target 0.80: frontier; under RESTRICT the
    // target is restrictQualityTarget 0.50: fast.
    assertThat(route("interactiveChat", "quorum reads", DefaultPolicies.hybridRoutingPolicy(), BudgetStatus.NORMAL,
        teamModel(1, 1)).decision().getProfile()).isEqualTo("frontier");
    RouteOutcome.Routed restricted = route("interactiveChat", "quorum reads", DefaultPolicies.hybridRoutingPolicy(),
        new BudgetStatus(BudgetState.RESTRICT, "80% of the daily budget"), teamModel(1, 1));
    assertThat(restricted.decision().getProfile()).isEqualTo("fast");
    assertThat(restricted.decision().getReason()).contains("p(fast)=0.58", "target 0.50 → fast",
        "budget RESTRICT: quality target 0.50");
  }

  @Test
  void aFixedTaskTypeStaysOnItsTableProfile() {
    // research's table profile is frontier; the model says fast (see aChoreUnderAHardTaskTypeGoesToFast)
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setFixed(List.of("research"));
    RouteOutcome.Routed routed = route("research", "bump the version in package.json", policy, BudgetStatus.NORMAL,
        null);
    assertThat(routed.decision().getProfile()).isEqualTo("frontier");
    assertThat(routed.decision().getLearnedModel()).isNull();
    assertThat(routed.decision().getReason())
        .isEqualTo("routing table: research → frontier; research is fixed to its table profile");
  }

  @Test
  void exploringSendsTheChosenShareOneTierCheaperTheSameWayEachTimeAndNeverForValidation() {
    // A replication question under planning: the model says frontier (see the first test); with explore 0.3 about
    // 30% of requests go to primary instead, chosen by request id
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setExplore(0.3);
    int explored = 0;
    for (int i = 0; i < 400; i++) {
      RouteOutcome.Routed routed = routeWithId("planning", "replication across regions, please", "explore-" + i,
          policy);
      if (routed.decision().getProfile().equals("primary")) {
        explored++;
        assertThat(routed.decision().getReason()).endsWith("; exploring (30% of requests): frontier → primary");
      } else {
        assertThat(routed.decision().getProfile()).isEqualTo("frontier");
      }
      // the same request id is routed alike when it comes again (a retry)
      assertThat(routeWithId("planning", "replication across regions, please", "explore-" + i, policy).decision()
          .getProfile()).isEqualTo(routed.decision().getProfile());
    }
    assertThat(explored).isBetween(90, 150);
    // validation is never demoted, so never explored
    for (int i = 0; i < 50; i++) {
      assertThat(routeWithId("validation", "replication across regions, please", "v-" + i, policy).decision()
          .getProfile()).isEqualTo("frontier");
    }
  }

  private RouteOutcome.Routed routeWithId(String taskType, String prompt, String id, RoutingPolicy policy) {
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    RouteOutcome outcome = engine.route(request(taskType, prompt).setRequestId(id).setTier("power").build(), null,
        CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, null, null, NOW);
    return (RouteOutcome.Routed) outcome;
  }

  @Test
  void hybridWithTheLearnedScorePromotesAndDemotesOnTheModelsDifficulty() {
    // A replication question under interactiveChat (table: fast): both neighbours frontier, p(fast) = p(mid) = 0,
    // difficulty (1 + 1) / 2 = 1.00: above 0.40 (fast → primary), then above 0.80 (primary → frontier)
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setScore("learned");
    RouteOutcome hard = engine.route(request("interactiveChat", "Design active-active replication").setTier("power")
        .build(), null, CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, null, null, NOW);
    RoutingDecision decision = ((RouteOutcome.Routed) hard).decision();
    assertThat(decision.getProfile()).isEqualTo("frontier");
    assertThat(decision.getLearnedModel()).isEqualTo("knn-test");
    assertThat(decision.getReason()).isEqualTo("routing table: interactiveChat → fast; learned difficulty 1.00 > "
        + "0.40: promoted fast → primary; learned difficulty 1.00 > 0.80: promoted primary → frontier; learned "
        + "knn-test: p(fast)=0.00 p(primary)=0.00");
    // A chore under research (table: frontier): both neighbours fast, difficulty 0.00 < 0.30: demoted to primary
    RouteOutcome chore = engine.route(request("research", "bump the version in package.json").setTier("power")
        .build(), null, CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, null, null, NOW);
    assertThat(((RouteOutcome.Routed) chore).decision().getProfile()).isEqualTo("primary");
    assertThat(((RouteOutcome.Routed) chore).decision().getReason()).startsWith("routing table: research → frontier; "
        + "learned difficulty 0.00 < 0.30: demoted frontier → primary");
  }

  @Test
  void hybridWithTheLearnedScoreGoesToTheRestrictProfileUnderRestrict() {
    // the same replication question as above, promoted to frontier when NORMAL; RESTRICT sends it to fast, as for
    // hybrid with the keyword score (there is no quality target to lower)
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getAuto().setScore("learned");
    RouteOutcome restricted = engine.route(request("interactiveChat", "Design active-active replication")
        .setTier("power").build(), null, CompiledPolicy.compile(policy), catalog,
        new BudgetStatus(BudgetState.RESTRICT, "daily cost 85%"), null, null, NOW);
    assertThat(((RouteOutcome.Routed) restricted).decision().getProfile()).isEqualTo("fast");
    assertThat(((RouteOutcome.Routed) restricted).decision().getReason()).contains("budget RESTRICT: frontier → fast");
  }

  @Test
  void aPromptSeenAgainIsNotEmbeddedAgain() {
    route("research", "bump the version in package.json");
    int afterFirst = embedded.get();
    route("research", "bump the version in package.json");
    assertThat(embedded.get()).isEqualTo(afterFirst);
  }
}
