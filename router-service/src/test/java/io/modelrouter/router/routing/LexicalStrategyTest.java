package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.LexicalTierModel;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The learned strategy with {@code auto.model: lexical} through the routing engine: a small lexical model of the
 * test's own (a deadlock is frontier, a rename fast) and a learned router that fails if anything asks it, so that the
 * embedding model is never used.
 */
class LexicalStrategyTest {
  private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  private static final LexicalTierModel MODEL = model();

  private final LearnedRouter embeddings = new LearnedRouter(() -> {
    throw new AssertionError("the lexical model needs no embedder");
  }, e -> {
    throw new AssertionError("the lexical model needs no embedding model");
  });
  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator(), embeddings, RequestLimits.DEFAULTS,
      () -> MODEL);
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());

  private static LexicalTierModel model() {
    List<Exemplar> exemplars = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      exemplars.add(new Exemplar("hard-" + i, "chat", null, "find the deadlock in worker " + i, Tier.FRONTIER));
      exemplars.add(new Exemplar("easy-" + i, "chat", null, "rename the variable in worker " + i, Tier.FAST));
    }
    return LexicalTierModel.fit(exemplars, 256, 0.01, "lexical-test");
  }

  private RouteOutcome.Routed route(String taskType, String prompt, BudgetStatus budget) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    policy.getAuto().setModel(RoutingEngine.LEXICAL);
    policy.getAuto().setQualityTarget(0.5);
    RouteOutcome outcome = engine.route(request(taskType, prompt).setTier("power").build(), null,
        CompiledPolicy.compile(policy), catalog, budget, null, null, NOW);
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return (RouteOutcome.Routed) outcome;
  }

  @Test
  void aHardRequestUnderAnEasyTaskTypeGoesToTheFrontierAndTheReasonSaysWhy() {
    // interactiveChat's table profile is fast; the model has not seen the task type (no one-hot feature), and its
    // words say deadlock
    RouteOutcome.Routed routed = route("interactiveChat", "find the deadlock in worker 7", BudgetStatus.NORMAL);

    KnnTierModel.Prediction p = MODEL.predict("interactiveChat", null, "find the deadlock in worker 7");
    assertThat(p.goodEnough().get(Tier.MID)).isLessThan(0.5);
    assertThat(routed.decision().getProfile()).isEqualTo("frontier");
    assertThat(routed.decision().getReason()).startsWith("learned lexical-test: p(fast)=")
        .contains(", target 0.50 → frontier").doesNotContain("nearest");
    // the model's version, under which the learner keeps the decision once the team judges results
    assertThat(routed.decision().getLearnedModel()).isEqualTo("lexical-test");
  }

  @Test
  void aTeamsLearnedExemplarsOverruleTheModelAndTheDecisionNamesTheTeamsVersion() {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.getAuto().setQualityTarget(0.5);
    io.modelrouter.avro.InferenceRequest request = request("interactiveChat", "rename the variable in worker 7")
        .setTier("power").build();
    // alone, the model sends the rename to fast
    RouteOutcome.Routed alone = (RouteOutcome.Routed) engine.route(request, null, CompiledPolicy.compile(policy),
        catalog, BudgetStatus.NORMAL, null, null, NOW);
    assertThat(alone.decision().getProfile()).isEqualTo("fast");

    // the team judged the same text 20 times as needing the frontier
    io.modelrouter.avro.RouterModel team = io.modelrouter.avro.RouterModel.newBuilder().setTeamId("team-a")
        .setVersion(3).setBase("shipped-437").setFeedbackApplied(20).setCreatedAt(NOW)
        .setExemplars(List.of(io.modelrouter.avro.LearnedExemplar.newBuilder().setId("fb:req-1")
            .setTaskType("interactiveChat").setExcerpt("rename the variable")
            .setAtLeast(io.modelrouter.avro.LearnedTier.FRONTIER).setAtMost(io.modelrouter.avro.LearnedTier.FRONTIER)
            .setEmbedding(java.nio.ByteBuffer.wrap(new byte[384]))
            .setLexical(LexicalTierModel.encode(MODEL.vector(LearnedRouter.judgedText(request))))
            .setSource(io.modelrouter.avro.FeedbackSource.TEST).setLearnedAt(NOW).setCount(20).build()))
        .build();
    RouteOutcome.Routed learned = (RouteOutcome.Routed) engine.route(request, null, CompiledPolicy.compile(policy),
        catalog, BudgetStatus.NORMAL, team, null, NOW);

    assertThat(learned.decision().getProfile()).isEqualTo("frontier");
    assertThat(learned.decision().getLearnedModel()).isEqualTo("team-a@3");
    assertThat(learned.decision().getReason()).startsWith("learned team-a@3: p(fast)=").contains("nearest fb:req-1");

    // another request, far from what the team taught, keeps the model's own judgement
    io.modelrouter.avro.InferenceRequest other = request("interactiveChat", "find the deadlock in worker 7")
        .setTier("power").build();
    RouteOutcome.Routed far = (RouteOutcome.Routed) engine.route(other, null, CompiledPolicy.compile(policy), catalog,
        BudgetStatus.NORMAL, team, null, NOW);
    assertThat(far.decision().getProfile()).isEqualTo("frontier");
  }

  @Test
  void aChoreUnderAHardTaskTypeGoesToFast() {
    // research's table profile is frontier
    RouteOutcome.Routed routed = route("research", "rename the variable in worker 7", BudgetStatus.NORMAL);

    assertThat(routed.decision().getProfile()).isEqualTo("fast");
  }

  @Test
  void aTaskTypeNeverDemotedStaysOnItsTableProfile() {
    // codeReview is never demoted in the shipped policy: its table profile is primary
    RouteOutcome.Routed routed = route("codeReview", "rename the variable in worker 7", BudgetStatus.NORMAL);

    assertThat(routed.decision().getProfile()).isEqualTo("primary");
    assertThat(routed.decision().getReason()).contains("codeReview is never demoted: stays on primary");
  }

  @Test
  void exploringSendsTheChosenShareOneTierCheaperWithTheLexicalModelToo() {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.getAuto().setQualityTarget(0.5);
    policy.getAuto().setExplore(0.5);
    java.util.Map<String, Integer> profiles = new java.util.TreeMap<>();
    for (int i = 0; i < 50; i++) {
      RouteOutcome outcome = engine.route(request("interactiveChat", "find the deadlock in worker 7")
          .setRequestId("explore-" + i).setTier("power").build(), null, CompiledPolicy.compile(policy), catalog,
          BudgetStatus.NORMAL, null, null, NOW);
      var decision = ((RouteOutcome.Routed) outcome).decision();
      profiles.merge(decision.getProfile(), 1, Integer::sum);
      if (decision.getProfile().equals("primary")) {
        assertThat(decision.getReason()).contains("exploring (50% of requests)");
      }
    }
    assertThat(profiles.keySet()).containsExactly("frontier", "primary");
  }

  @Test
  void underRestrictARequestGoesToTheRestrictProfileAsWithTheRules() {
    RouteOutcome.Routed routed = route("interactiveChat", "find the deadlock in worker 7",
        new BudgetStatus(BudgetState.RESTRICT, "daily cost 85%"));

    assertThat(routed.decision().getProfile()).isEqualTo("fast");
    assertThat(routed.decision().getReason()).contains("budget RESTRICT: frontier → fast");
  }
}
