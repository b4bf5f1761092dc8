package io.modelrouter.bench;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.local.DevelopmentLoop;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.LexicalTierModel;
import io.modelrouter.router.learned.MiniLmEmbedder;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How often each strategy sends a request to the tier it needs, on the held-out exemplar split
 * ({@code exemplars/test.jsonl}, never fitted or tuned on): rules (the routing table), complexity, hybrid (the default
 * until 2026-12-07), the embedding model and the lexical model (fitted on {@code exemplars/train.jsonl}, at several
 * quality targets) and the shipped policy (the lexical model through its other rules). For each:
 * the share routed to exactly the needed tier (by label), under-routing (a cheaper tier than needed; frontier-labelled
 * prompts sent to fast counted apart), over-routing, and the estimated cost against sending everything to the
 * frontier profile. Writes the quality/cost curve as an SVG with {@code --svg}.
 *
 * <p>{@code bench/run RoutingQualityBenchmark [--k 9] [--temperature 0.05] [--svg docs/routing-quality.svg]
 * [--through ex-0455]}; {@code --through} keeps only the held-out exemplars up to that id (the split as it was).
 */
public final class RoutingQualityBenchmark {
  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
  private static final double[] TARGETS = {0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95};

  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator());
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());

  /** One strategy's results on the test split. */
  record Result(String name, int n, int right, int under, int frontierToFast, int over, long costMicros,
      long frontierCostMicros, Map<Tier, int[]> byLabel) {
    double share(int count) {
      return count / (double) n;
    }

    /** Share answered by a tier at least as capable as needed (right or over-routed). */
    double quality() {
      return share(n - under);
    }

    double relativeCost() {
      return costMicros / (double) frontierCostMicros;
    }

    String line() {
      StringBuilder perLabel = new StringBuilder();
      byLabel.forEach((tier, counts) -> perLabel.append(String.format(Locale.ROOT, " %s %d/%d", tier.name()
          .toLowerCase(Locale.ROOT), counts[0], counts[1])));
      return String.format(Locale.ROOT, "%-22s right tier %5.1f%% (%s) | under %5.1f%% (frontier->fast %d) | over "
              + "%5.1f%% | cost %5.1f%% of all-frontier (saved %4.1f%%)", name, 100 * share(right),
          perLabel.toString().trim(), 100 * share(under), frontierToFast, 100 * share(over), 100 * relativeCost(),
          100 * (1 - relativeCost()));
    }
  }

  public static void main(String[] args) throws IOException {
    BenchArgs options = new BenchArgs(args, Map.of("k", String.valueOf(KnnTierModel.DEFAULT_K), "temperature",
        String.valueOf(KnnTierModel.DEFAULT_TEMPERATURE), "svg", "", "through", "", "loops", "40"));
    new RoutingQualityBenchmark().run(options);
  }

  private void run(BenchArgs options) throws IOException {
    List<Exemplar> train = Exemplar.load(Exemplar.TRAIN);
    // --through ex-0455: only the held-out exemplars up to that id (an earlier, smaller test split)
    String through = options.string("through");
    List<Exemplar> test = Exemplar.load(Exemplar.TEST).stream()
        .filter(e -> through.isBlank() || e.id().compareTo(through) <= 0).toList();
    System.out.printf(Locale.ROOT, "RoutingQualityBenchmark: %d training exemplars, %d held-out test exemplars "
        + "(%s)%n", train.size(), test.size(), options);

    List<Result> results = new ArrayList<>();
    for (AutoStrategy strategy : List.of(AutoStrategy.RULES, AutoStrategy.COMPLEXITY, AutoStrategy.HYBRID)) {
      RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
      policy.getAuto().setStrategy(strategy);
      CompiledPolicy compiled = CompiledPolicy.compile(policy);
      List<Tier> chosen = new ArrayList<>();
      for (Exemplar exemplar : test) {
        chosen.add(Tier.ofProfile(routed(request(exemplar, "auto"), compiled).getProfile()));
      }
      results.add(score(strategy.name().toLowerCase(Locale.ROOT), test, chosen));
    }

    MiniLmEmbedder embedder = new MiniLmEmbedder();
    long started = System.nanoTime();
    KnnTierModel model = KnnTierModel.fit(train, embedder, options.integer("k"), options.decimal("temperature"),
        "shipped-" + train.size());
    List<float[]> queries = new ArrayList<>();
    for (Exemplar exemplar : test) {
      queries.add(embedder.embed(exemplar.text()));
    }
    double msPerText = (System.nanoTime() - started) / 1e6 / (train.size() + test.size());
    results.addAll(curve("kNN only", predictions(model, test, queries), test));
    // hybrid with the learned model's difficulty as its score (auto.score: learned), through the engine
    RoutingPolicy hybridLearned = DefaultPolicies.hybridRoutingPolicy();
    hybridLearned.getAuto().setScore("learned");
    CompiledPolicy compiledHybridLearned = CompiledPolicy.compile(hybridLearned);
    List<Tier> hybridChosen = new ArrayList<>();
    for (Exemplar exemplar : test) {
      hybridChosen.add(Tier.ofProfile(routed(request(exemplar, "auto"), compiledHybridLearned).getProfile()));
    }
    results.add(score("hybrid, learned score", test, hybridChosen));
    // The shipped model: the kNN vote with the ordinal logistic prior (LearnedRouter.shippedModel)
    results.addAll(curve("learned", predictions(LearnedRouter.shippedModel(embedder), test, queries), test));
    // No embeddings (auto.model: lexical): the ordinal logistic model over hashed word n-grams, the prompt's shape
    // and the task type, chosen by cross-validation on the training split (RoutingModelSelection)
    long lexicalStarted = System.nanoTime();
    LexicalTierModel lexical = LexicalTierModel.shipped();
    double lexicalFitMs = (System.nanoTime() - lexicalStarted) / 1e6;
    results.addAll(curve("lexical", test.stream().map(e -> lexical.predict(e.taskType(), e.system(), e.prompt()))
        .toList(), test));
    // and through the engine: the shipped policy (the lexical model at its target and the policy's other rules, never
    // demoted task types among them)
    CompiledPolicy compiledLexical = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    List<Tier> lexicalRouted = new ArrayList<>();
    for (Exemplar exemplar : test) {
      lexicalRouted.add(Tier.ofProfile(routed(request(exemplar, "auto"), compiledLexical).getProfile()));
    }
    results.add(score(String.format(Locale.ROOT, "shipped policy (lexical @%.2f)",
        DefaultPolicies.routingPolicy().getAuto().getQualityTarget()), test, lexicalRouted));
    System.out.printf(Locale.ROOT, "lexical model fitted in %.0f ms%n", lexicalFitMs);
    System.out.printf(Locale.ROOT, "embedding: %.1f ms per text, one at a time on one thread%n", msPerText);
    results.forEach(r -> System.out.println(r.line()));
    developmentLoop(options.integer("loops"));
    String svg = options.string("svg");
    if (!svg.isBlank()) {
      Files.writeString(Path.of(svg), svg(results));
      System.out.println("wrote " + svg);
    }
  }

  /**
   * Seed 003's development loop as the local stack's demo sends it ({@link DevelopmentLoop}, seed 3, one power team):
   * where rules, hybrid, the shipped policy and the embedding model at the same target send each step, and the
   * estimated cost against sending every call to
   * the frontier profile. Its prompts have no labels, so this measures cost and mix, not right tiers.
   */
  private void developmentLoop(int loops) {
    List<InferenceRequest> calls = new ArrayList<>();
    DevelopmentLoop loop = new DevelopmentLoop(3);
    for (int i = 1; i <= loops; i++) {
      for (DevelopmentLoop.Call call : loop.iteration("team-atlas", i)) {
        calls.add(InferenceRequest.newBuilder().setRequestId("loop-" + i + "-" + calls.size()).setTeamId("quality")
            .setPipelineId(null).setSessionId(null).setTaskType(call.step().taskType()).setTier("power")
            .setMessages(List.of(new Message(Role.USER, call.prompt(), List.of())))
            .setSystemPrompt(call.systemPrompt()).setMaxTokens(null).setTemperature(null).setModel("auto")
            .setPriority(Priority.INTERACTIVE).setDeadline(null).setMetadata(Map.of()).setCreatedAt(NOW).build());
      }
    }
    RoutingPolicy rules = DefaultPolicies.hybridRoutingPolicy();
    rules.getAuto().setStrategy(AutoStrategy.RULES);
    Map<String, CompiledPolicy> policies = new LinkedHashMap<>();
    policies.put("rules", CompiledPolicy.compile(rules));
    policies.put("hybrid", CompiledPolicy.compile(DefaultPolicies.hybridRoutingPolicy()));
    RoutingPolicy shipped = DefaultPolicies.routingPolicy();
    policies.put(String.format(Locale.ROOT, "shipped (lexical @%.2f)", shipped.getAuto().getQualityTarget()),
        CompiledPolicy.compile(shipped));
    RoutingPolicy embedding = DefaultPolicies.routingPolicy();
    embedding.getAuto().setModel("embedding");
    embedding.getAuto().setQualityTarget(0.5);
    policies.put("embedding @0.50", CompiledPolicy.compile(embedding));
    CompiledPolicy pinning = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    long frontier = 0;
    for (InferenceRequest call : calls) {
      InferenceRequest pinned = InferenceRequest.newBuilder(call).setModel(Tier.FRONTIER.profile()).build();
      frontier += routed(pinned, pinning).getEstimatedCostMicros();
    }
    System.out.printf(Locale.ROOT, "seed 003's development loop: %d passes, %d calls (the demo's prompts, no labels)%n",
        loops, calls.size());
    for (Map.Entry<String, CompiledPolicy> policy : policies.entrySet()) {
      long cost = 0;
      Map<String, Map<String, Integer>> byStep = new LinkedHashMap<>();
      DevelopmentLoop.STEPS.forEach(step -> byStep.putIfAbsent(step.taskType(), new java.util.TreeMap<>()));
      for (InferenceRequest call : calls) {
        io.modelrouter.avro.RoutingDecision decision = routed(call, policy.getValue());
        cost += decision.getEstimatedCostMicros();
        byStep.get(call.getTaskType()).merge(decision.getProfile(), 1, Integer::sum);
      }
      System.out.printf(Locale.ROOT, "  %-24s cost %5.1f%% of all-frontier (saved %4.1f%%); by step: %s%n",
          policy.getKey(), 100.0 * cost / frontier, 100 - 100.0 * cost / frontier, byStep);
    }
  }

  /** The kNN model's prediction of each held-out exemplar, from its embedding. */
  private static List<KnnTierModel.Prediction> predictions(KnnTierModel model, List<Exemplar> test,
      List<float[]> queries) {
    List<KnnTierModel.Prediction> out = new ArrayList<>();
    for (int i = 0; i < test.size(); i++) {
      out.add(model.predict(queries.get(i), test.get(i).taskType(), test.get(i).prompt()));
    }
    return out;
  }

  /** The choices of a model's predictions (one per held-out exemplar) at every target, {@code <name> @<target>}. */
  private List<Result> curve(String name, List<KnnTierModel.Prediction> predictions, List<Exemplar> test) {
    List<Result> out = new ArrayList<>();
    for (double target : TARGETS) {
      out.add(score(String.format(Locale.ROOT, "%s @%.2f", name, target), test,
          predictions.stream().map(p -> p.cheapest(target)).toList()));
    }
    return out;
  }

  Result score(String name, List<Exemplar> test, List<Tier> chosen) {
    CompiledPolicy pinning = CompiledPolicy.compile(DefaultPolicies.routingPolicy());
    int right = 0;
    int under = 0;
    int over = 0;
    int frontierToFast = 0;
    long cost = 0;
    long frontierCost = 0;
    Map<Tier, int[]> byLabel = new LinkedHashMap<>();
    for (Tier tier : Tier.values()) {
      byLabel.put(tier, new int[2]);
    }
    for (int i = 0; i < test.size(); i++) {
      Exemplar exemplar = test.get(i);
      Tier tier = chosen.get(i);
      int[] counts = byLabel.get(exemplar.tier());
      counts[1]++;
      if (tier == exemplar.tier()) {
        right++;
        counts[0]++;
      } else if (tier.ordinal() < exemplar.tier().ordinal()) {
        under++;
        if (exemplar.tier() == Tier.FRONTIER && tier == Tier.FAST) {
          frontierToFast++;
        }
      } else {
        over++;
      }
      cost += routed(request(exemplar, tier.profile()), pinning).getEstimatedCostMicros();
      frontierCost += routed(request(exemplar, Tier.FRONTIER.profile()), pinning).getEstimatedCostMicros();
    }
    return new Result(name, test.size(), right, under, frontierToFast, over, cost, frontierCost, byLabel);
  }

  private io.modelrouter.avro.RoutingDecision routed(InferenceRequest request, CompiledPolicy policy) {
    RouteOutcome outcome = engine.route(request, policy, catalog, BudgetStatus.NORMAL, NOW);
    if (!(outcome instanceof RouteOutcome.Routed routed)) {
      throw new IllegalStateException("exemplar " + request.getRequestId() + " was not routed: " + outcome);
    }
    return routed.decision();
  }

  static InferenceRequest request(Exemplar exemplar, String model) {
    return InferenceRequest.newBuilder().setRequestId(exemplar.id()).setTeamId("quality").setPipelineId(null)
        .setSessionId(null).setTaskType(exemplar.taskType()).setTier("power")
        .setMessages(List.of(new Message(Role.USER, exemplar.prompt(), List.of()))).setSystemPrompt(exemplar.system())
        .setMaxTokens(null).setTemperature(null).setModel(model).setPriority(Priority.INTERACTIVE)
        .setDeadline(null).setMetadata(Map.of()).setCreatedAt(NOW).build();
  }

  /** Quality (share not under-routed) against cost relative to all-frontier: the learned curve and the others. */
  static String svg(List<Result> results) {
    int w = 640;
    int h = 420;
    int left = 70;
    int bottom = 60;
    int top = 30;
    int right = 30;
    double plotW = w - left - right;
    double plotH = h - top - bottom;
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
    out.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\">Routing quality against cost on the held-out "
        + "exemplars</text>%n", left));
    for (int i = 0; i <= 10; i += 2) {
      double x = left + plotW * i / 10.0;
      double y = top + plotH * (1 - i / 10.0);
      out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d%%</text>%n", x, top, x, top + plotH, x,
          h - bottom + 18, i * 10));
      out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>%n", left, y, left + plotW, y, left - 6, y + 4,
          i * 10));
    }
    out.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">cost, %% of sending "
        + "everything to frontier</text>%n", left + plotW / 2, h - 15));
    out.append(String.format(Locale.ROOT, "<text transform=\"rotate(-90)\" x=\"%.1f\" y=\"16\" "
        + "text-anchor=\"middle\">answered by a capable enough tier</text>%n", -(top + plotH / 2)));
    StringBuilder curve = new StringBuilder();
    StringBuilder knnCurve = new StringBuilder();
    StringBuilder lexicalCurve = new StringBuilder();
    int learnedPoints = 0;
    for (Result r : results) {
      double x = left + plotW * Math.min(1, r.relativeCost());
      double y = top + plotH * (1 - r.quality());
      if (r.name().startsWith("kNN only")) {
        knnCurve.append(knnCurve.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
        out.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#999\"/>%n", x, y));
        continue;
      }
      if (r.name().startsWith("lexical @")) {
        lexicalCurve.append(lexicalCurve.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
        out.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#2ca02c\"/>%n", x,
            y));
        continue;
      }
      boolean learned = r.name().startsWith("learned");
      if (learned) {
        learnedPoints++;
        curve.append(curve.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
      }
      // learned points are labelled by their quality target only, alternately above and below the curve
      String label = learned ? r.name().substring(r.name().indexOf('@') + 1) : r.name();
      double labelY = learned && learnedPoints % 2 == 0 ? y + 16 : y - 6;
      out.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>"
          + "<text x=\"%.1f\" y=\"%.1f\">%s</text>%n", x, y, learned ? "#1f77b4" : "#d62728", x + 4, labelY,
          label));
    }
    out.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#999\" "
        + "stroke-dasharray=\"4 3\"/>%n", knnCurve));
    out.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#2ca02c\"/>%n",
        lexicalCurve));
    out.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#1f77b4\"/>%n", curve));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#1f77b4\">blue: the embedding model "
        + "(kNN with the logistic prior) at quality targets 0.50 to 0.95</text>%n", left + 10, h - bottom - 42));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#2ca02c\">green: the lexical model "
        + "alone at the same targets</text>%n", left + 10, h - bottom - 26));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#777\">grey, dashed: kNN alone at the "
        + "same targets</text>%n", left + 10, h - bottom - 10));
    return out.append("</svg>\n").toString();
  }
}
