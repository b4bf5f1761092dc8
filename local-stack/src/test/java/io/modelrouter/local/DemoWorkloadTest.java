package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The demo's traffic without Kafka: seed 003's loop, its routing under the default policy, ids and budgets. */
class DemoWorkloadTest {
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  private static final DemoWorkload.Options OPTIONS = DemoWorkload.Options.defaults();

  @Test
  void oneLoopMakesTheCallsOfSeed003InItsOrder() {
    // Given / When: one pass through the loop
    List<DevelopmentLoop.Call> calls = new DevelopmentLoop(3).iteration("team-atlas", 1);

    // Then: the model steps of the seed in order (7 and 15 are automated), chat and hooks where a developer makes them
    assertThat(calls).extracting(c -> c.step().number())
        .containsExactly(1, 2, 2, 3, 4, 5, 6, 8, 8, 8, 9, 10, 11, 12, 13, 14, 14)
        .isSorted()
        .doesNotContain(7, 15);
    assertThat(calls).extracting(c -> c.step().taskType()).containsExactly(
        "research", "planning", "chat", "validation", "validation", "buildPlan", "validation",
        "implementation", "hooks", "chat", "review", "deepAudit", "remediation", "e2eTesting", "remediation",
        "hooks", "documentationUpdate");
  }

  @Test
  void stepsUseTheTierSeed003NamesAndTheProfileOfTheDefaultTable() {
    var routing = DefaultPolicies.routingPolicy().getRouting();
    for (DevelopmentLoop.Step step : DevelopmentLoop.STEPS) {
      assertThat(routing.get(step.taskType())).as(step.toString()).isEqualTo(step.profile());
    }
    // Seed 003: frontier for steps 1, 2, 3, 4, 6, 10; mid tier for 5, 8, 9, 11, 12, 13
    assertThat(stepsOn("frontier")).containsExactly(1, 2, 3, 4, 6, 10);
    assertThat(stepsOn("primary")).containsExactly(5, 8, 9, 11, 12, 13);
  }

  private static Set<Integer> stepsOn(String profile) {
    Set<Integer> numbers = new TreeSet<>();
    DevelopmentLoop.STEPS.stream().filter(s -> s.profile().equals(profile)).forEach(s -> numbers.add(s.number()));
    return numbers;
  }

  @Test
  void underTheTablesStrategyTheRouterSendsEveryCallOfAPowerTeamToTheProfileOfItsStep() {
    // Given: the router's engine with the routing table's strategy (hybrid) and the default catalog, a team on the
    // power tier, no budget pressure
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    CompiledPolicy policy = CompiledPolicy.compile(DefaultPolicies.hybridRoutingPolicy());
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    DemoTraffic traffic = new DemoTraffic(List.of(new DemoWorkload.Team("team-atlas", "power", 1, false)), 11, "r");

    // When: many passes through the loop are routed (complexity must neither promote nor demote them)
    for (int i = 0; i < 40 * DevelopmentLoop.STEPS.size(); i++) {
      InferenceRequest request = traffic.next(NOW);
      RouteOutcome outcome = engine.route(request, policy, catalog, BudgetStatus.NORMAL, NOW);

      // Then: each goes where seed 003 (and the default table) says
      assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
      var decision = ((RouteOutcome.Routed) outcome).decision();
      assertThat(decision.getProfile()).as("%s: %s", request.getTaskType(), decision.getReason())
          .isEqualTo(DefaultPolicies.routingPolicy().getRouting().get(request.getTaskType()));
    }
  }

  @Test
  void theShippedPolicyJudgesEveryCallWithTheLexicalModelAndNeverDemotesTheValidationSteps() {
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    CompiledPolicy policy = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
    DemoTraffic traffic = new DemoTraffic(List.of(new DemoWorkload.Team("team-atlas", "power", 1, false)), 11, "r");
    List<String> cheapestFirst = List.of("fast", "primary", "frontier");
    Set<String> neverDemoted = Set.of("validation", "deepAudit", "codeReview", "review");

    Set<String> profiles = new HashSet<>();
    for (int i = 0; i < 10 * DevelopmentLoop.STEPS.size(); i++) {
      InferenceRequest request = traffic.next(NOW);
      var decision = ((RouteOutcome.Routed) engine.route(request, policy, catalog, BudgetStatus.NORMAL, NOW))
          .decision();
      assertThat(decision.getReason()).as(request.getTaskType()).startsWith("learned lexical-");
      String table = DefaultPolicies.routingPolicy().getRouting().get(request.getTaskType());
      if (neverDemoted.contains(request.getTaskType())) {
        assertThat(cheapestFirst.indexOf(decision.getProfile())).as("%s: %s", request.getTaskType(),
            decision.getReason()).isGreaterThanOrEqualTo(cheapestFirst.indexOf(table));
      }
      profiles.add(decision.getProfile());
    }
    // the validation steps keep the frontier; the model sends the rest where it judges
    assertThat(profiles).contains("frontier");
  }

  @Test
  void theProTierSendsTheFrontierStepsToPrimary() {
    RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
    CompiledPolicy policy = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    DemoTraffic traffic = new DemoTraffic(List.of(new DemoWorkload.Team("team-borealis", "pro", 1, false)), 11, "r");

    // the first validation step: never below the table's frontier (by the model or by never demoting it), which the
    // pro tier may not use
    InferenceRequest validation = traffic.next(NOW);
    while (!validation.getTaskType().equals("validation")) {
      validation = traffic.next(NOW);
    }
    var decision = ((RouteOutcome.Routed) engine.route(validation, policy,
        ModelCatalog.of(DefaultPolicies.catalogById()), BudgetStatus.NORMAL, NOW)).decision();

    assertThat(decision.getProfile()).isEqualTo("primary");
    assertThat(decision.getReason()).contains("tier pro: frontier not allowed → primary");
  }

  @Test
  void theSameSeedGivesTheSamePromptsAndAnotherSeedOtherOnes() {
    List<DevelopmentLoop.Call> first = new DevelopmentLoop(3).iteration("team-atlas", 5);
    List<DevelopmentLoop.Call> again = new DevelopmentLoop(3).iteration("team-atlas", 5);
    assertThat(again).isEqualTo(first);

    List<String> prompts = new ArrayList<>();
    for (long seed = 1; seed <= 5; seed++) {
      prompts.add(new DevelopmentLoop(seed).iteration("team-atlas", 5).getFirst().prompt());
    }
    assertThat(new HashSet<>(prompts)).as("prompts of five seeds").hasSizeGreaterThan(1);
  }

  @Test
  void promptsNameFilesAndSomeCarryACodeBlock() {
    List<DevelopmentLoop.Call> calls = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      calls.addAll(new DevelopmentLoop(3).iteration("team-cosmos", i));
    }
    assertThat(calls).filteredOn(c -> c.step().taskType().equals("implementation"))
        .allSatisfy(c -> assertThat(c.prompt()).containsPattern("[\\w/]+\\.(java|kt|py|go|ts|tsx)"));
    assertThat(calls).anySatisfy(c -> assertThat(c.prompt()).contains("```"));
    assertThat(calls).filteredOn(c -> c.step().profile().equals("fast"))
        .allSatisfy(c -> assertThat(c.priority()).isEqualTo(Priority.INTERACTIVE));
    assertThat(calls).filteredOn(c -> !c.step().profile().equals("fast"))
        .allSatisfy(c -> assertThat(c.priority()).isEqualTo(Priority.BATCH));
  }

  @Test
  void requestsGoRoundRobinOverTheTeamsWithOneSessionPerPassAndUniqueIds() {
    // Given: the default four teams
    List<DemoWorkload.Team> teams = DemoWorkload.teams(OPTIONS);
    DemoTraffic traffic = new DemoTraffic(teams, 3, "run1");

    // When: two passes of every team are sent
    List<InferenceRequest> sent = new ArrayList<>();
    for (int i = 0; i < 2 * DevelopmentLoop.STEPS.size() * teams.size(); i++) {
      sent.add(traffic.next(NOW));
    }

    // Then
    assertThat(sent.subList(0, 4)).extracting(InferenceRequest::getTeamId)
        .containsExactly("team-atlas", "team-borealis", "team-cosmos", "team-tiny");
    assertThat(sent).extracting(InferenceRequest::getRequestId).doesNotHaveDuplicates()
        .allSatisfy(id -> assertThat(id).matches("demo-team-[a-z]+-run1-\\d+"));
    assertThat(sent.getFirst().getRequestId()).isEqualTo("demo-team-atlas-run1-1");
    List<InferenceRequest> atlas = sent.stream().filter(r -> r.getTeamId().equals("team-atlas")).toList();
    assertThat(atlas.subList(0, DevelopmentLoop.STEPS.size())).extracting(InferenceRequest::getSessionId)
        .containsOnly("demo-team-atlas-run1-loop1");
    assertThat(atlas.getLast().getSessionId()).isEqualTo("demo-team-atlas-run1-loop2");
    assertThat(sent).allSatisfy(r -> {
      assertThat(r.getTier()).isIn("pro", "power");
      assertThat(r.getMessages()).hasSize(1);
      assertThat(r.getCreatedAt()).isEqualTo(NOW);
      assertThat(r.getMetadata()).containsKeys("step", "loop");
    });
  }

  @Test
  void theDefaultTeamsAreThreeGenerousOnesAndTheSmallBudgetTeam() {
    assertThat(DemoWorkload.teams(OPTIONS)).containsExactly(
        new DemoWorkload.Team("team-atlas", "power", DemoWorkload.GENEROUS_DAILY_OUTPUT, false),
        new DemoWorkload.Team("team-borealis", "pro", DemoWorkload.GENEROUS_DAILY_OUTPUT, false),
        new DemoWorkload.Team("team-cosmos", "power", DemoWorkload.GENEROUS_DAILY_OUTPUT, false),
        new DemoWorkload.Team("team-tiny", "power", 158_000, true));
  }

  @Test
  void theSmallBudgetLastsAboutNinetySecondsAtTheDemoRate() {
    // 20 requests/s over 4 teams, 350 output tokens a call: 1,750 tokens/s for the small team
    assertThat(OPTIONS.smallBudget()).isEqualTo(158_000);
    assertThat(OPTIONS.withRequestsPerSecond(40).smallBudget()).isEqualTo(315_000);
    assertThat(OPTIONS.withSmallBudgetOutputTokens(12_345).smallBudget()).isEqualTo(12_345);
    // A simulator configured for shorter answers gets a smaller budget: the same 90 s, not 3.5 times longer
    assertThat(OPTIONS.withMeanOutputTokens(100).smallBudget()).isEqualTo(45_000);
    double secondsToPause = OPTIONS.smallBudget() / (20.0 / 4 * 350);
    assertThat(secondsToPause).isBetween(60.0, 120.0);
  }

  @Test
  void theSmallTeamsBudgetNotifiesAtHalfRestrictsAt80PercentAndPausesAtTheLimit() {
    DemoWorkload.Team tiny = DemoWorkload.teams(OPTIONS).getLast();
    BudgetPolicy policy = PolicyJson.parseBudgetPolicy(tiny.id(),
        PolicyJson.read(DemoWorkload.budgetJson(tiny), "demo budget"));
    WindowBudget daily = BudgetMath.budget(policy, WindowKind.DAILY);

    assertThat(daily.getOutputTokens()).isEqualTo(158_000L);
    assertThat(BudgetMath.state(daily, 0.4, false)).isEqualTo(BudgetState.NORMAL);
    assertThat(BudgetMath.state(daily, 0.5, false)).isEqualTo(BudgetState.NOTIFY);
    assertThat(BudgetMath.state(daily, 0.8, false)).isEqualTo(BudgetState.RESTRICT);
    assertThat(BudgetMath.state(daily, 1.0, false)).isEqualTo(BudgetState.PAUSE);

    DemoWorkload.Team generous = DemoWorkload.teams(OPTIONS).getFirst();
    WindowBudget theirs = BudgetMath.budget(PolicyJson.parseBudgetPolicy(generous.id(),
        PolicyJson.read(DemoWorkload.budgetJson(generous), "demo budget")), WindowKind.DAILY);
    assertThat(BudgetMath.state(theirs, 0.9, false)).isEqualTo(BudgetState.NOTIFY);
  }

  @Test
  void optionsSayWhatWasWrong() {
    assertThatThrownBy(() -> OPTIONS.withRequestsPerSecond(0)).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> OPTIONS.withTeams(0)).hasMessageContaining("demo teams must be 1 to 9, got 0");
    assertThatThrownBy(() -> OPTIONS.withMeanOutputTokens(0)).hasMessage("mean output tokens must be >= 1, got 0");
    assertThatThrownBy(() -> OPTIONS.withSmallBudgetTeam("team atlas")).hasMessageContaining("'team atlas'");
    assertThatThrownBy(() -> OPTIONS.withSmallBudgetTeam("team-atlas")).hasMessageContaining("not one of");
    assertThat(DemoWorkload.teams(OPTIONS.withTeams(1))).extracting(DemoWorkload.Team::id).containsExactly("team-tiny");
  }
}
