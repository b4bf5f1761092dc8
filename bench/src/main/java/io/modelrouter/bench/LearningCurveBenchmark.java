package io.modelrouter.bench;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.LearnerDecision;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.router.learning.ModelUpdates;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How routing improves as a team reports outcomes: a pipeline draws prompts from the demo workload
 * ({@code exemplars/demo.jsonl}, labelled, never in the shipped model), the router routes each with the learned
 * strategy and the team's current model, a simulated CI passes the answer when the tier it went to is at least the
 * one its label needs, and the pass or fail is applied to the team's model by the learner's own rules
 * ({@link ModelUpdates}); a new model version every {@code --publish} events, as the learner publishes. Reported after
 * 0, 1k, 5k and 20k feedback events: the held-out test split's right-tier share, under-routing and cost (the test
 * split is never learned from), and the stream's own pass rate and cost over the last 1,000 requests. Offline: the
 * Kafka path is covered by LearnerIT; this measures what is learned.
 *
 * <p>{@code bench/run LearningCurveBenchmark [--events 20000] [--explore 0,0.1] [--target 0.8] [--publish 200]
 * [--model embedding|lexical]}
 */
public final class LearningCurveBenchmark {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private static final int[] CHECKPOINTS = {0, 1_000, 5_000, 20_000};

  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());
  private final RoutingQualityBenchmark quality = new RoutingQualityBenchmark();
  private final LearnedRouter learned = LearnedRouter.shipped();

  public static void main(String[] args) {
    BenchArgs options = new BenchArgs(args, Map.of("events", "20000", "explore", "0,0.1", "target", "0.8",
        "publish", "200", "seed", "7", "model", "embedding"));
    new LearningCurveBenchmark().run(options);
  }

  private void run(BenchArgs options) {
    List<Exemplar> demo = Exemplar.load("/exemplars/demo.jsonl");
    List<Exemplar> test = Exemplar.load(Exemplar.TEST);
    int events = options.integer("events");
    System.out.printf(Locale.ROOT, "LearningCurveBenchmark: %d demo prompts, %d held-out test prompts, %s%n",
        demo.size(), test.size(), options);
    for (String value : options.string("explore").split(",")) {
      double explore = Double.parseDouble(value.trim());
      curve(demo, test, events, explore, options.decimal("target"), options.integer("publish"),
          options.integer("seed"), options.string("model"));
    }
  }

  private void curve(List<Exemplar> demo, List<Exemplar> test, int events, double explore, double target,
      int publish, int seed, String model) {
    RoutingPolicy streamPolicy = DefaultPolicies.hybridRoutingPolicy();
    streamPolicy.getAuto().setStrategy(AutoStrategy.LEARNED);
    streamPolicy.getAuto().setModel(model);
    streamPolicy.getAuto().setQualityTarget(target);
    streamPolicy.getAuto().setExplore(explore);
    RoutingPolicy evaluationPolicy = DefaultPolicies.hybridRoutingPolicy();
    evaluationPolicy.getAuto().setStrategy(AutoStrategy.LEARNED);
    evaluationPolicy.getAuto().setModel(model);
    evaluationPolicy.getAuto().setQualityTarget(target);
    CompiledPolicy stream = CompiledPolicy.compile(streamPolicy);
    CompiledPolicy evaluation = CompiledPolicy.compile(evaluationPolicy);

    // a team per curve: the router keeps the models of the versions it saw, and each curve numbers its own from 1
    String team = "learning-" + explore;
    RouterModel working = ModelUpdates.empty(team, NOW);
    RouterModel published = null;
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, Long> frontierCost = new HashMap<>();
    int passed = 0;
    int right = 0;
    long cost = 0;
    long frontier = 0;
    int window = 0;
    System.out.printf(Locale.ROOT, "%n%s model, explore %.2f, quality target %.2f, a new version every %d events%n",
        model, explore, target, publish);
    System.out.println("| feedback events | stream: right tier, last 1k | stream: CI pass rate, last 1k | stream: "
        + "cost vs all-frontier, last 1k | test: right tier | test: under-routed (frontier to fast) | test: cost vs "
        + "all-frontier | learned exemplars (judgements) |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    int next = 0;
    for (int event = 0; event <= events; event++) {
      if (next < CHECKPOINTS.length && event == CHECKPOINTS[next]) {
        RoutingQualityBenchmark.Result result = evaluate(test, evaluation, published);
        System.out.printf(Locale.ROOT, "| %,d | %s | %s | %s | %.1f%% | %.1f%% (%d) | %.1f%% | %d (%d) |%n", event,
            percent(right, window), percent(passed, window), window == 0 ? "-" : String.format(Locale.ROOT,
                "%.1f%%", 100.0 * cost / frontier), 100 * result.share(result.right()),
            100 * result.share(result.under()), result.frontierToFast(), 100 * result.relativeCost(),
            published == null ? 0 : published.getExemplars().size(), published == null ? 0
                : published.getExemplars().stream().mapToInt(e -> e.getCount()).sum());
        next++;
      }
      if (event == events) {
        break;
      }
      if (window == 1_000) {
        passed = 0;
        right = 0;
        cost = 0;
        frontier = 0;
        window = 0;
      }
      Exemplar prompt = demo.get(random.nextInt(demo.size()));
      InferenceRequest request = RoutingQualityBenchmark.request(prompt, "auto");
      request.setRequestId("lc-" + event);
      request.setTeamId(team);
      RoutingDecision decision = route(request, stream, published);
      Tier tier = Tier.ofProfile(decision.getProfile());
      boolean pass = tier.ordinal() >= prompt.tier().ordinal();
      passed += pass ? 1 : 0;
      right += tier == prompt.tier() ? 1 : 0;
      cost += decision.getEstimatedCostMicros();
      frontier += frontierCost.computeIfAbsent(prompt.id(), id -> route(RoutingQualityBenchmark.request(prompt,
          Tier.FRONTIER.profile()), stream, null).getEstimatedCostMicros());
      window++;
      LearnerDecision held = ModelUpdates.decision(request, decision, NOW);
      FeedbackEvent feedback = new FeedbackEvent("f-" + event, request.getRequestId(), team, null,
          pass ? 1.0 : 0.0, FeedbackSource.TEST, null, null, NOW);
      ModelUpdates.apply(working, held, feedback, learned::embedding, NOW, 500);
      if ((event + 1) % publish == 0) {
        working.setVersion(working.getVersion() + 1);
        published = RouterModel.newBuilder(working).build();
      }
    }
  }

  private static String percent(int count, int of) {
    return of == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * count / of);
  }

  private RoutingQualityBenchmark.Result evaluate(List<Exemplar> test, CompiledPolicy policy, RouterModel model) {
    List<Tier> chosen = new ArrayList<>();
    for (Exemplar exemplar : test) {
      chosen.add(Tier.ofProfile(route(RoutingQualityBenchmark.request(exemplar, "auto"), policy, model).getProfile()));
    }
    return quality.score("learned", test, chosen);
  }

  private RoutingDecision route(InferenceRequest request, CompiledPolicy policy, RouterModel model) {
    RouteOutcome outcome = engine.route(request, null, policy, catalog, BudgetStatus.NORMAL, model, null, NOW);
    if (!(outcome instanceof RouteOutcome.Routed routed)) {
      throw new IllegalStateException(request.getRequestId() + " was not routed: " + outcome);
    }
    return routed.decision();
  }
}
