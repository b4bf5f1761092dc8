package io.modelrouter.router.routing;

import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.ComplexityBand;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.Tool;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.LexicalTierModel;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.schemas.Feedback;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.content.Capabilities;
import io.modelrouter.schemas.prompt.Attachments;
import io.modelrouter.schemas.prompt.PromptScan;
import io.modelrouter.schemas.prompt.PromptText;
import io.modelrouter.schemas.prompt.TokenEstimator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Decides where a request goes. Pure: the same request, policy, catalog and budget status give the same decision.
 *
 * <p>Order (each step that changes the choice appends to the reason): validation, explicit pin (profile or model),
 * task-type table or auto strategy, tier entitlement, budget state (PAUSE answers with a PAUSED outcome whose reason
 * holds the steps before it, RESTRICT sends to the restrict profile within the tier, NOTIFY annotates), then the
 * model's limits (output cap, context window: a prompt too large for the chosen model moves to the first model of the
 * fallback chain that holds it).
 */
public final class RoutingEngine {
  private static final String AUTO = "auto";

  /** {@code auto.model} of a learned policy that judges requests by their words, without embeddings. */
  public static final String LEXICAL = "lexical";

  /** Team versions decoded into the lexical model's space, the last {@value #LEXICAL_TEAMS} used. */
  static final int LEXICAL_TEAMS = 256;
  private final Map<String, LexicalTierModel.Team> lexicalTeams = new java.util.LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, LexicalTierModel.Team> eldest) {
      return size() > LEXICAL_TEAMS;
    }
  };

  private LexicalTierModel.Team lexicalTeam(io.modelrouter.avro.RouterModel model) {
    // the publication time too: a learner whose state was reset numbers its versions from 1 again
    String key = io.modelrouter.schemas.Topics.routerModelKey(model.getTeamId(), model.getVersion()) + "@"
        + model.getCreatedAt().toEpochMilli();
    synchronized (lexicalTeams) {
      LexicalTierModel.Team cached = lexicalTeams.get(key);
      if (cached != null) {
        return cached;
      }
    }
    LexicalTierModel.Team team = LexicalTierModel.Team.of(model);
    synchronized (lexicalTeams) {
      lexicalTeams.put(key, team);
    }
    return team;
  }

  /** Whether the policy judges requests with the embedding model: learned with it, or hybrid with the learned score. */
  public static boolean usesEmbeddingModel(io.modelrouter.avro.RoutingPolicy policy) {
    io.modelrouter.avro.AutoRouting auto = policy.getAuto();
    return auto != null && (auto.getStrategy() == AutoStrategy.LEARNED && !LEXICAL.equals(auto.getModel())
        || auto.getStrategy() == AutoStrategy.HYBRID && "learned".equals(auto.getScore()));
  }

  private final ComplexityEstimator complexity;
  private final LearnedRouter learned;
  private final java.util.function.Supplier<LexicalTierModel> lexical;
  private final RequestChecks checks;

  /** With the shipped learned model, loaded the first time a policy routes a request with it. */
  public RoutingEngine(ComplexityEstimator complexity) {
    this(complexity, LearnedRouter.shipped());
  }

  public RoutingEngine(ComplexityEstimator complexity, LearnedRouter learned) {
    this(complexity, learned, RequestLimits.DEFAULTS);
  }

  public RoutingEngine(ComplexityEstimator complexity, LearnedRouter learned, RequestLimits limits) {
    this(complexity, learned, limits, LexicalTierModel::shipped);
  }

  /** With a lexical model of the caller's (the shipped one is fitted on first use). */
  public RoutingEngine(ComplexityEstimator complexity, LearnedRouter learned, RequestLimits limits,
      java.util.function.Supplier<LexicalTierModel> lexical) {
    this.complexity = Objects.requireNonNull(complexity);
    this.learned = Objects.requireNonNull(learned);
    this.checks = new RequestChecks(Objects.requireNonNull(limits));
    this.lexical = Objects.requireNonNull(lexical);
  }

  public RouteOutcome route(InferenceRequest request, CompiledPolicy policy, ModelCatalog catalog,
      BudgetStatus budget, Instant now) {
    return route(request, null, policy, catalog, budget, now);
  }

  /**
   * As {@link #route(InferenceRequest, CompiledPolicy, ModelCatalog, BudgetStatus, Instant)}, scanning the prompt in
   * the bytes the request arrived as when {@code text} says where it is (else its Strings).
   */
  public RouteOutcome route(InferenceRequest request, PromptText text, CompiledPolicy policy, ModelCatalog catalog,
      BudgetStatus budget, Instant now) {
    return route(request, text, policy, catalog, budget, null, null, now);
  }

  /**
   * As above, with the team's learned model: the version of {@code llm.router.models} the team uses (null: the
   * shipped exemplars only), which only the {@code learned} strategy reads; and the profile the request's session
   * is on for its task type (null: none, or a new session), which only a policy with {@code sessionSticky} reads.
   */
  public RouteOutcome route(InferenceRequest request, PromptText text, CompiledPolicy policy, ModelCatalog catalog,
      BudgetStatus budget, RouterModel learnedModel, String sessionProfile, Instant now) {
    String version = policy.version();
    RouteOutcome.Rejected invalid = validate(request, version);
    if (invalid == null) {
      RequestChecks.Problem problem = checks.check(request);
      invalid = problem == null ? null : invalid(problem.field(), problem.reason(), version);
    }
    if (invalid != null) {
      return invalid;
    }
    String tierName = blank(request.getTier()) ? policy.defaultTier() : request.getTier();
    CompiledPolicy.TierRule tier = policy.tier(tierName);
    if (tier == null) {
      return new RouteOutcome.Rejected("UNKNOWN_TIER", "tier", "unknown tier '" + tierName
          + "'; the policy defines " + String.join(", ", policy.tierNames().stream().sorted().toList()), "", version);
    }

    PromptScan scan = new PromptScan();
    int inputTokens = (text != null && text.bytes() != null ? inputTokens(text, scan) : inputTokens(request, scan))
        + Attachments.tokens(request.getMessages());
    String taskType = request.getTaskType();
    // Only an explicit maxTokens says something about the output; the task type's prior covers the rest.
    ComplexityEstimator.Score score = complexity.score(taskType, scan, inputTokens,
        request.getMaxTokens() != null ? request.getMaxTokens() : 0);
    RoutingSteps reason = new RoutingSteps();

    // Explicit pin, else the table or the auto strategy
    String profileName;
    String learnedVersion = null;
    // the embedding model chose the profile at RESTRICT's lower quality target already
    boolean judgedAtTarget = false;
    ModelSpec pinnedModel = null;
    String pin = pin(request);
    if (pin != null) {
      if (policy.profile(pin) != null) {
        profileName = pin;
        reason.add(RoutingStep.Kind.PIN, "pinned profile " + pin);
      } else if (catalog.get(pin) != null) {
        pinnedModel = catalog.get(pin);
        profileName = null;
        reason.add(RoutingStep.Kind.PIN, "pinned model " + pin);
      } else {
        return new RouteOutcome.Rejected("UNKNOWN_MODEL", "model", "'" + pin
            + "' is neither a profile of the policy nor a model of the catalog", "", version);
      }
    } else if (policy.auto().getStrategy() != AutoStrategy.RULES && policy.fixes(taskType)) {
      profileName = table(policy, taskType, reason);
      reason.note(taskType + " is fixed to its table profile");
    } else if (policy.auto().getStrategy() == AutoStrategy.LEARNED && LEXICAL.equals(policy.auto().getModel())) {
      // no embeddings: the lexical model, with the team's learned exemplars when it has a version; the decision names
      // the version (the model's own, or the team's), so the learner keeps it for feedback; RESTRICT sends it to the
      // restrict profile below
      boolean restricted = budget.state() == BudgetState.RESTRICT;
      String ask = LearnedRouter.ask(request);
      KnnTierModel.Prediction prediction = learnedModel == null
          ? lexical.get().predict(taskType, request.getSystemPrompt(), ask)
          : lexical.get().predict(taskType, request.getSystemPrompt(), ask, lexicalTeam(learnedModel),
              LearnedRouter.judgedText(request));
      learnedVersion = prediction.version();
      profileName = learned(prediction, request, policy, policy.auto().getQualityTarget(),
          restricted ? 0 : policy.auto().getExplore(), reason);
    } else if (policy.auto().getStrategy() == AutoStrategy.LEARNED) {
      boolean restricted = budget.state() == BudgetState.RESTRICT;
      double target = policy.auto().getQualityTarget();
      if (restricted) {
        target = Math.min(target, policy.auto().getRestrictQualityTarget());
      }
      KnnTierModel.Prediction prediction = learned.predict(request, learnedModel);
      learnedVersion = prediction.version();
      judgedAtTarget = true;
      profileName = learned(prediction, request, policy, target, restricted ? 0 : policy.auto().getExplore(), reason);
    } else if (policy.auto().getStrategy() == AutoStrategy.HYBRID && "learned".equals(policy.auto().getScore())) {
      // hybrid with the learned model's difficulty in place of the keyword score: the table, then its thresholds
      KnnTierModel.Prediction prediction = learned.predict(request, learnedModel);
      learnedVersion = prediction.version();
      double difficulty = difficulty(prediction);
      profileName = auto(policy, taskType, difficulty, "learned difficulty", reason);
      reason.note("learned " + prediction.version() + ": p(fast)=" + twoDecimals(prediction.goodEnough().get(Tier.FAST))
          + " p(primary)=" + twoDecimals(prediction.goodEnough().get(Tier.MID)));
    } else {
      profileName = auto(policy, taskType, score, reason);
    }
    // A budget in RESTRICT wins over the session: its requests may go cheaper than where the session started
    if (profileName != null && sessionProfile != null && policy.auto().getSessionSticky()
        && budget.state() != BudgetState.RESTRICT
        && !sessionProfile.equals(profileName) && policy.profile(sessionProfile) != null
        && !(policy.auto().getStrategy() != AutoStrategy.RULES && policy.fixes(taskType))) {
      long chosen = pricePerMillion(policy, catalog, profileName);
      long session = pricePerMillion(policy, catalog, sessionProfile);
      if (chosen <= session) {
        reason.add(RoutingStep.Kind.SESSION, "session " + request.getSessionId() + " stays on " + sessionProfile
            + " (never demoted within a session): " + profileName + " → " + sessionProfile);
        profileName = sessionProfile;
      } else {
        reason.note("session " + request.getSessionId() + " promoted " + sessionProfile + " → " + profileName);
      }
    }

    // Tier entitlement
    if (!allowed(tier, policy, profileName, pinnedModel)) {
      String was = pinnedModel != null ? pinnedModel.getId() : profileName;
      if (tier.fallbackProfile() == null) {
        return new RouteOutcome.Rejected("INVALID_REQUEST", "tier", "tier " + tier.name()
            + " may not use " + was + " and has no profile to fall back to", reason.text(), version);
      }
      profileName = tier.fallbackProfile();
      pinnedModel = null;
      reason.add(RoutingStep.Kind.TIER, "tier " + tier.name() + ": " + was + " not allowed → " + profileName);
    }

    // Budget state: a paused team is answered here, after the steps before it (an unknown pin is still REJECTED)
    if (budget.state() == BudgetState.PAUSE) {
      reason.add(RoutingStep.Kind.PAUSE, "budget PAUSE");
      return new RouteOutcome.Paused(budget.reason(), reason.text(), version);
    }
    // RESTRICT: a request the learned strategy's embedding model judged was judged at the lower target already;
    // everything else (the lexical model's and hybrid's with the learned score too) goes to the restrict profile
    if (budget.state() == BudgetState.RESTRICT && judgedAtTarget) {
      reason.add(RoutingStep.Kind.RESTRICT, "budget RESTRICT: quality target "
          + twoDecimals(policy.auto().getRestrictQualityTarget()));
    } else if (budget.state() == BudgetState.RESTRICT) {
      String was = pinnedModel != null ? pinnedModel.getId() : profileName;
      if (pinnedModel != null || !policy.restrictProfile().equals(profileName)) {
        reason.add(RoutingStep.Kind.RESTRICT, "budget RESTRICT: " + was + " → " + policy.restrictProfile());
      } else {
        reason.add(RoutingStep.Kind.RESTRICT, "budget RESTRICT");
      }
      profileName = policy.restrictProfile();
      pinnedModel = null;
      // The restrict profile is not exempt from the tier: a tier that may not use it gets its own first profile
      if (!tier.allowsProfile(profileName) && tier.fallbackProfile() != null) {
        reason.add(RoutingStep.Kind.TIER,
            "tier " + tier.name() + ": " + profileName + " not allowed → " + tier.fallbackProfile());
        profileName = tier.fallbackProfile();
      }
    } else if (budget.state() == BudgetState.NOTIFY) {
      reason.note("budget NOTIFY" + (blank(budget.reason()) ? "" : ": " + budget.reason()));
    }

    // Resolve the model and its limits
    Profile profile = pinnedModel != null
        ? new Profile(pinnedModel.getProvider(), pinnedModel.getId(), Math.min(4096, pinnedModel.getMaxOutputTokens()),
            null, List.of())
        : policy.profile(profileName);
    if (profile == null) {
      return new RouteOutcome.Rejected("POLICY_ERROR", "model", "policy " + version + " has no profile '"
          + profileName + "'", reason.text(), version);
    }
    ModelSpec model = catalog.get(profile.getModel());
    if (model == null) {
      return new RouteOutcome.Rejected("POLICY_ERROR", "model", "profile " + profileName + " of policy " + version
          + " uses model '" + profile.getModel() + "', which is not in the catalog", reason.text(), version);
    }
    List<ModelSpec> chain = new ArrayList<>();
    for (String id : profile.getFallbacks()) {
      ModelSpec fallback = catalog.get(id);
      if (fallback != null && !fallback.getId().equals(model.getId())) {
        chain.add(fallback);
      }
    }

    if (inputTokens >= model.getContextWindow()) {
      ModelSpec larger = chain.stream().filter(m -> inputTokens < m.getContextWindow()).findFirst().orElse(null);
      if (larger == null) {
        ModelSpec largest = chain.stream().reduce(model, (a, b) -> b.getContextWindow() > a.getContextWindow() ? b : a);
        return new RouteOutcome.Rejected("CONTEXT_WINDOW_EXCEEDED", "messages", String.format(Locale.ROOT,
            "the prompt is about %,d tokens, more than the context window of every model in the chain (largest: %s, "
                + "%,d tokens)", inputTokens, largest.getId(), largest.getContextWindow()),
            reason.text(), version);
      }
      reason.add(RoutingStep.Kind.CONTEXT, String.format(Locale.ROOT,
          "prompt ~%,d tokens exceeds %s's %,d-token context → %s (%,d)",
          inputTokens, model.getId(), model.getContextWindow(), larger.getId(), larger.getContextWindow()));
      chain.remove(larger);
      model = larger;
    }
    chain.removeIf(m -> inputTokens >= m.getContextWindow());

    // Capabilities: tools, images, documents, structured output
    Map<String, String> needed = Capabilities.needed(request);
    if (!needed.isEmpty()) {
      String lacking = Capabilities.missing(model, needed);
      if (lacking != null) {
        ModelSpec able = chain.stream().filter(m -> Capabilities.missing(m, needed) == null).findFirst().orElse(null);
        if (able == null) {
          List<String> tried = new ArrayList<>();
          tried.add(model.getId());
          chain.forEach(m -> tried.add(m.getId()));
          return new RouteOutcome.Rejected("UNSUPPORTED_CAPABILITY", needed.get(lacking), "the request needs "
              + String.join(" and ", needed.keySet()) + "; no model of the chain (" + String.join(", ", tried)
              + ") has " + lacking, reason.text(), version);
        }
        reason.add(RoutingStep.Kind.CAPABILITY, model.getId() + " lacks " + lacking + " (" + needed.get(lacking)
            + ") → " + able.getId());
        chain.remove(able);
        model = able;
      }
      chain.removeIf(m -> Capabilities.missing(m, needed) != null);
    }

    int maxTokens = request.getMaxTokens() != null ? request.getMaxTokens() : profile.getMaxTokens();
    if (maxTokens > model.getMaxOutputTokens()) {
      reason.note(String.format(Locale.ROOT, "maxTokens %,d capped at %s's limit %,d", maxTokens, model.getId(),
          model.getMaxOutputTokens()));
      maxTokens = model.getMaxOutputTokens();
    }
    if ((long) inputTokens + maxTokens > model.getContextWindow()) {
      maxTokens = model.getContextWindow() - inputTokens;
      reason.note(String.format(Locale.ROOT, "maxTokens clamped to %,d to fit the context window", maxTokens));
    }
    Double temperature = request.getTemperature() != null ? request.getTemperature() : profile.getTemperature();

    int estimatedOutput = Math.min(maxTokens, TaskTypes.expectedOutputTokens(taskType));
    RoutingDecision decision = RoutingDecision.newBuilder()
        .setProfile(pinnedModel != null ? "pinned" : profileName)
        .setProvider(model.getProvider())
        .setModel(model.getId())
        .setProviderModelId(model.getProviderModelId())
        .setMaxTokens(maxTokens)
        .setTemperature(temperature)
        .setFallbacks(chain.stream().map(m -> new ModelRef(m.getId(), m.getProvider(), m.getProviderModelId())).toList())
        .setReason(reason.text())
        .setComplexity(round(score.value()))
        .setEstimatedInputTokens(inputTokens)
        .setEstimatedOutputTokens(estimatedOutput)
        .setEstimatedCostMicros(Pricing.costMicros(model, inputTokens, estimatedOutput, 0))
        .setBudgetState(budget.state())
        .setPolicyVersion(version)
        .setReservedTokens(0)
        .setDecidedAt(now)
        .setLearnedModel(learnedVersion)
        .setShadow(shadow(request, policy, catalog, model, reason))
        .setPromptCache(policy.promptCache() == null ? null : policy.promptCache().getTtl())
        .setCacheConversation(policy.promptCache() != null && policy.promptCache().getConversation())
        .build();
    if (policy.promptCache() != null && Capabilities.has(model, Capabilities.PROMPT_CACHING)) {
      reason.note("prompt cache " + policy.promptCache().getTtl());
    }
    if (batchLane(request, policy, model, decision, now)) {
      decision.setBatchApi(true);
      decision.setEstimatedCostMicros(Pricing.batchCostMicros(model, inputTokens, estimatedOutput, 0, 0, 0));
      reason.note(String.format(Locale.ROOT, "batch API at %d%% of the price", model.getBatchPriceMilli() / 10));
    }
    decision.setReason(reason.text());
    return new RouteOutcome.Routed(decision, reason.kind());
  }

  /**
   * The batch lane: the policy has one, the request is BATCH with no deadline or one at least the policy's minimum
   * away, its model has a batch price, and it is not shadowed (a shadow is compared with a direct answer).
   */
  static boolean batchLane(InferenceRequest request, CompiledPolicy policy, ModelSpec model,
      RoutingDecision decision, Instant now) {
    io.modelrouter.avro.BatchApiRouting lane = policy.batchApi();
    if (lane == null || request.getPriority() != io.modelrouter.avro.Priority.BATCH
        || model.getBatchPriceMilli() <= 0 || decision.getShadow() != null) {
      return false;
    }
    Instant deadline = request.getDeadline();
    return deadline == null
        || !deadline.isBefore(now.plusSeconds(Math.round(lane.getMinDeadlineHours() * 3600)));
  }

  /**
   * The policy's shadow model for this request, when its share picks the request (by request id, so a retry is
   * shadowed alike) and the model is another than the one answering; noted in the reason.
   */
  private static ModelRef shadow(InferenceRequest request, CompiledPolicy policy, ModelCatalog catalog, ModelSpec chosen,
      RoutingSteps reason) {
    io.modelrouter.avro.ShadowRouting shadow = policy.shadow();
    if (shadow == null || shadow.getShare() <= 0 || exploreDraw("shadow:" + request.getRequestId()) >= shadow.getShare()) {
      return null;
    }
    Profile profile = policy.profile(shadow.getProfile());
    ModelSpec model = profile == null ? null : catalog.get(profile.getModel());
    if (model == null || model.getId().equals(chosen.getId())) {
      return null;
    }
    reason.note("shadow: also sent to " + model.getId() + " (" + shadow.getProfile() + ")");
    return new ModelRef(model.getId(), model.getProvider(), model.getProviderModelId());
  }

  /** A profile's model's input plus output price per million tokens; unknown models count as free. */
  private static long pricePerMillion(CompiledPolicy policy, ModelCatalog catalog, String profileName) {
    Profile profile = policy.profile(profileName);
    ModelSpec model = profile == null ? null : catalog.get(profile.getModel());
    return model == null ? 0 : model.getInputPricePerMTokMicros() + model.getOutputPricePerMTokMicros();
  }

  /** The profile or catalog model the request pins, trimmed; null for {@code auto}, blank or none. */
  public static String pin(InferenceRequest request) {
    String pin = request.getModel() == null ? AUTO : request.getModel().trim();
    return pin.isEmpty() || pin.equalsIgnoreCase(AUTO) ? null : pin;
  }

  /** Estimated input tokens: system prompt and every message, with the per-message overhead. */
  public int inputTokens(InferenceRequest request) {
    return inputTokens(request, new PromptScan());
  }

  private static int inputTokens(PromptText text, PromptScan scan) {
    int total = 0;
    for (int i = 0; i < text.count(); i++) {
      total += scan.scan(text.bytes(), text.offset(i), text.length(i)) + TokenEstimator.PER_MESSAGE_OVERHEAD;
    }
    return total;
  }

  /** As the codec's fast path counts them: each text of the request (see RequestCodec), with the overhead. */
  private static int inputTokens(InferenceRequest request, PromptScan scan) {
    int total = 0;
    if (request.getSystemPrompt() != null) {
      total += scan.scan(request.getSystemPrompt()) + TokenEstimator.PER_MESSAGE_OVERHEAD;
    }
    for (Message message : request.getMessages()) {
      if (message != null) {
        total += scan.scan(message.getContent()) + TokenEstimator.PER_MESSAGE_OVERHEAD;
        for (ContentBlock block : message.getBlocks() == null ? List.<ContentBlock>of() : message.getBlocks()) {
          total += text(block.getText(), scan) + text(block.getToolArguments(), scan);
        }
      }
    }
    for (Tool tool : request.getTools() == null ? List.<Tool>of() : request.getTools()) {
      total += text(tool.getName(), scan) + text(tool.getDescription(), scan) + text(tool.getInputSchema(), scan);
    }
    if (request.getResponseFormat() != null) {
      total += text(request.getResponseFormat().getJsonSchema(), scan);
    }
    return total;
  }

  private static int text(String text, PromptScan scan) {
    return text == null ? 0 : scan.scan(text) + TokenEstimator.PER_MESSAGE_OVERHEAD;
  }

  /**
   * The cheapest of fast, primary and frontier whose probability of being good enough reaches the quality target;
   * a task type the policy never demotes stays at least on its table profile; {@code explore} of the requests (by
   * request id) go one tier cheaper. The reason names the model version, the probabilities, the target and the
   * nearest exemplars.
   */
  private static String learned(KnnTierModel.Prediction prediction, InferenceRequest request, CompiledPolicy policy,
      double target, double explore, RoutingSteps reason) {
    Tier tier = prediction.cheapest(target);
    StringBuilder text = new StringBuilder("learned ").append(prediction.version()).append(':');
    for (Tier t : Tier.values()) {
      if (t != Tier.FRONTIER) {
        text.append(" p(").append(t.profile()).append(")=").append(twoDecimals(prediction.goodEnough().get(t)));
      }
    }
    text.append(", target ").append(twoDecimals(target)).append(" → ").append(tier.profile());
    if (!prediction.neighbours().isEmpty()) {
      text.append("; nearest");
    }
    for (KnnTierModel.Neighbour n : prediction.neighbours().subList(0, Math.min(3, prediction.neighbours().size()))) {
      text.append(' ').append(n.id()).append(" (").append(n.point().label()).append(", ")
          .append(twoDecimals(Math.max(0, n.similarity()))).append(')');
    }
    reason.add(RoutingStep.Kind.LEARNED, text.toString());
    String taskType = request.getTaskType();
    String table = policy.routeFor(taskType);
    Tier tableTier = table == null ? null : Tier.ofProfile(table);
    if (policy.neverDemotes(taskType) && tableTier != null && tableTier.ordinal() > tier.ordinal()) {
      reason.note(taskType + " is never demoted: stays on " + table);
      return table;
    }
    if (explore > 0 && tier != Tier.FAST && !policy.neverDemotes(taskType)
        && exploreDraw(request.getRequestId()) < explore) {
      Tier cheaper = Tier.values()[tier.ordinal() - 1];
      reason.add(RoutingStep.Kind.LEARNED, "exploring (" + Math.round(explore * 100) + "% of requests): "
          + tier.profile() + " → " + cheaper.profile());
      return cheaper.profile();
    }
    return tier.profile();
  }

  /**
   * The learned model's difficulty of a request, in [0, 1] like the complexity score: the mean of the probabilities
   * that fast and that mid are not good enough (0: fast surely is; 0.5: mid surely is and fast surely not; 1: only
   * frontier).
   */
  static double difficulty(KnnTierModel.Prediction prediction) {
    return ((1 - prediction.goodEnough().get(Tier.FAST)) + (1 - prediction.goodEnough().get(Tier.MID))) / 2;
  }

  /** A number in [0, 1) fixed by the request id: which requests explore does not depend on when they arrive. */
  static double exploreDraw(String requestId) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < requestId.length(); i++) {
      h = (h ^ requestId.charAt(i)) * 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53;
  }

  private static String auto(CompiledPolicy policy, String taskType, ComplexityEstimator.Score score,
      RoutingSteps reason) {
    return auto(policy, taskType, score.value(), "complexity", reason);
  }

  /** @param scoreName what the score is, for the reason: {@code complexity}, or the learned difficulty */
  private static String auto(CompiledPolicy policy, String taskType, double value, String scoreName,
      RoutingSteps reason) {
    AutoRouting auto = policy.auto();
    switch (auto.getStrategy()) {
      case COMPLEXITY -> {
        ComplexityBand band = auto.getBands().stream()
            .filter(b -> value >= b.getMinScore())
            .max((a, b) -> Double.compare(a.getMinScore(), b.getMinScore()))
            .orElse(null);
        if (band == null) {
          reason.add(RoutingStep.Kind.COMPLEXITY,
              "complexity " + twoDecimals(value) + " below every band: default → " + policy.defaultProfile());
          return policy.defaultProfile();
        }
        reason.add(RoutingStep.Kind.COMPLEXITY,
            "complexity " + twoDecimals(value) + " ≥ " + twoDecimals(band.getMinScore()) + " → " + band.getProfile());
        return band.getProfile();
      }
      case HYBRID -> {
        String profile = table(policy, taskType, reason);
        // Climb while the next step's threshold is exceeded; bounded, as a policy that skipped validation could loop.
        String table = profile;
        for (int hops = policy.profiles().size(); hops > 0; hops--) {
          CompiledPolicy.Promotion step = policy.promotion(profile);
          if (step == null || !(value > step.above())) {
            break;
          }
          reason.add(RoutingStep.Kind.PROMOTED, scoreName + " " + twoDecimals(value) + " > " + twoDecimals(step.above())
              + ": promoted " + profile
              + " → " + step.to());
          profile = step.to();
        }
        if (!profile.equals(table)) {
          return profile;
        }
        if (value < auto.getDemoteBelow() && profile.equals(auto.getDemoteFrom())) {
          if (policy.neverDemotes(taskType)) {
            reason.note(scoreName + " " + twoDecimals(value) + " < " + twoDecimals(auto.getDemoteBelow()) + ", but "
                + taskType + " is never demoted");
            return profile;
          }
          reason.add(RoutingStep.Kind.DEMOTED, scoreName + " " + twoDecimals(value) + " < "
              + twoDecimals(auto.getDemoteBelow()) + ": demoted "
              + profile + " → " + auto.getDemoteTo());
          return auto.getDemoteTo();
        }
        return profile;
      }
      default -> {
        return table(policy, taskType, reason);
      }
    }
  }

  private static String table(CompiledPolicy policy, String taskType, RoutingSteps reason) {
    String profile = policy.routeFor(taskType);
    if (profile != null) {
      reason.add(RoutingStep.Kind.TABLE, "routing table: " + taskType + " → " + profile);
      return profile;
    }
    reason.add(RoutingStep.Kind.DEFAULT,
        "task type " + taskType + " not in the routing table: default → " + policy.defaultProfile());
    return policy.defaultProfile();
  }

  private static boolean allowed(CompiledPolicy.TierRule tier, CompiledPolicy policy, String profileName,
      ModelSpec pinnedModel) {
    if (tier.all()) {
      return true;
    }
    if (pinnedModel == null) {
      return tier.allowsProfile(profileName);
    }
    if (tier.models().contains(pinnedModel.getId())) {
      return true;
    }
    return tier.profiles().stream()
        .map(policy::profile)
        .anyMatch(p -> p != null && p.getModel().equals(pinnedModel.getId()));
  }

  private static RouteOutcome.Rejected validate(InferenceRequest request, String version) {
    if (blank(request.getRequestId())) {
      return invalid("requestId", "is required", version);
    }
    if (blank(request.getTeamId())) {
      return invalid("teamId", "is required", version);
    }
    if (!Feedback.TEAM.matcher(request.getTeamId()).matches()) {
      // a team budget-service could never give a budget or a policy: routed, it would spend outside every cap
      return invalid("teamId", "must be 1 to 64 of A-Z a-z 0-9 . _ - (as budget-service's team ids), got '"
          + cutForMessage(request.getTeamId()) + "'", version);
    }
    if (blank(request.getTaskType())) {
      return invalid("taskType", "is required (e.g. interactiveChat, specGeneration, codeReview)", version);
    }
    if (request.getMessages() == null || request.getMessages().isEmpty()) {
      return invalid("messages", "must hold at least one message", version);
    }
    boolean anyContent = false;
    for (Message message : request.getMessages()) {
      anyContent |= message != null && (!blank(message.getContent())
          || message.getBlocks() != null && !message.getBlocks().isEmpty());
    }
    if (!anyContent) {
      return invalid("messages", "every message is empty", version);
    }
    if (request.getMaxTokens() != null && request.getMaxTokens() <= 0) {
      return invalid("maxTokens", "must be positive, got " + request.getMaxTokens(), version);
    }
    Double temperature = request.getTemperature();
    if (temperature != null && (temperature.isNaN() || temperature < 0 || temperature > 2)) {
      return invalid("temperature", "must be between 0 and 2, got " + temperature, version);
    }
    return null;
  }

  private static String cutForMessage(String value) {
    String printable = value.codePoints().mapToObj(c -> Character.isISOControl(c) ? "?" : Character.toString(c))
        .collect(java.util.stream.Collectors.joining());
    return printable.length() > 80 ? printable.substring(0, 80) + "..." : printable;
  }

  private static RouteOutcome.Rejected invalid(String field, String reason, String version) {
    return new RouteOutcome.Rejected("INVALID_REQUEST", field, reason, "", version);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  /**
   * A score or threshold ({@code >= 0}) with two decimals, as {@code %.2f} writes it: complexity reasons are written
   * for most requests, and String.format costs as much as the rest of the decision.
   */
  static String twoDecimals(double value) {
    long hundredths = Math.round(value * 100);
    long cents = hundredths % 100;
    return hundredths / 100 + (cents < 10 ? ".0" : ".") + cents;
  }

  private static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
