package io.modelrouter.schemas.policy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.ComplexityBand;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.PromotionStep;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.ShadowRouting;
import io.modelrouter.avro.TierEntitlement;
import io.modelrouter.avro.WindowBudget;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The JSON forms users write (through budget-service, or the bundled defaults) and the Avro records on the
 * policy topics. Parsing validates against the shipped JSON Schema first, then checks what a schema cannot
 * (references between profiles, tiers and the catalog). Money in JSON is dollars; on topics it is micro-dollars.
 */
public final class PolicyJson {
  /** The profiles learned routing chooses among, cheapest first (its tiers: fast, mid, frontier). */
  public static final List<String> LEARNED_PROFILES = List.of("fast", "primary", "frontier");

  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /**
   * The task types hybrid routing never demotes when a policy does not say (seed 003: validation passes are never
   * demoted, nor are reviews, where confirmation bias is the failure mode). The Avro default of
   * {@code AutoRouting.neverDemote} is the same list.
   */
  public static final List<String> DEFAULT_NEVER_DEMOTE = List.of("validation", "deepAudit", "codeReview", "review");

  /**
   * The promotion step a hybrid policy gets when it has no {@code promote} and defines both profiles: fast to primary
   * above 0.40, where the shipped complexity bands start primary. Without it a task the table sends to fast could
   * never be promoted: its prior is low, and the other features alone stay below promoteAbove (0.80).
   */
  public static final String DEFAULT_PROMOTE_FROM = "fast";
  public static final String DEFAULT_PROMOTE_TO = "primary";
  public static final double DEFAULT_PROMOTE_ABOVE = 0.40;

  private PolicyJson() {}

  public static JsonNode read(String text, String what) {
    try {
      return MAPPER.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new PolicyException(what, List.of("$: not valid JSON: " + e.getOriginalMessage()));
    }
  }

  // ---------------------------------------------------------------- routing policy

  /** Parses and validates a routing policy; {@code catalog} (may be null) enables the model checks. */
  public static RoutingPolicy parseRoutingPolicy(String teamId, JsonNode json, Map<String, ModelSpec> catalog) {
    List<String> problems = new ArrayList<>(JsonSchemas.problems(JsonSchemas.ROUTING_POLICY, json));
    if (!problems.isEmpty()) {
      throw new PolicyException("routing policy", problems);
    }
    Map<String, Profile> profiles = new TreeMap<>();
    json.path("profiles").fields().forEachRemaining(e -> {
      JsonNode p = e.getValue();
      profiles.put(e.getKey(), Profile.newBuilder()
          .setProvider(p.hasNonNull("provider") ? p.get("provider").asText() : null)
          .setModel(p.get("model").asText())
          .setMaxTokens(p.path("maxTokens").asInt(4096))
          .setTemperature(p.hasNonNull("temperature") ? p.get("temperature").asDouble() : null)
          .setFallbacks(strings(p.path("fallbacks")))
          .build());
    });
    Map<String, String> routing = new TreeMap<>();
    json.path("routing").fields().forEachRemaining(e -> routing.put(e.getKey(), e.getValue().asText()));
    Map<String, TierEntitlement> tiers = new TreeMap<>();
    json.path("tiers").fields().forEachRemaining(e -> tiers.put(e.getKey(),
        new TierEntitlement(strings(e.getValue().path("profiles")), strings(e.getValue().path("models")))));
    JsonNode auto = json.path("auto");
    List<ComplexityBand> bands = new ArrayList<>();
    auto.path("bands").forEach(b -> bands.add(new ComplexityBand(b.get("minScore").asDouble(), b.get("profile").asText())));
    RoutingPolicy policy = RoutingPolicy.newBuilder()
        .setTeamId(teamId)
        .setVersion(json.path("version").asLong(0))
        .setProfiles(profiles)
        .setRouting(routing)
        .setDefaultProfile(json.path("defaultProfile").asText("primary"))
        .setRestrictProfile(json.path("restrictProfile").asText("fast"))
        .setTiers(tiers)
        .setDefaultTier(json.path("defaultTier").asText("pro"))
        .setAuto(AutoRouting.newBuilder()
            .setStrategy(AutoStrategy.valueOf(auto.path("strategy").asText("rules").toUpperCase(Locale.ROOT)))
            .setBands(bands)
            .setPromoteAbove(auto.path("promoteAbove").asDouble(0.8))
            .setPromoteTo(auto.path("promoteTo").asText("frontier"))
            .setDemoteBelow(auto.path("demoteBelow").asDouble(0.3))
            .setDemoteFrom(auto.path("demoteFrom").asText("frontier"))
            .setDemoteTo(auto.path("demoteTo").asText("primary"))
            .setNeverDemote(auto.has("neverDemote") ? strings(auto.get("neverDemote"))
                : new ArrayList<>(DEFAULT_NEVER_DEMOTE))
            .setPromote(promotions(auto, profiles))
            .setQualityTarget(auto.path("qualityTarget").asDouble(0.8))
            .setRestrictQualityTarget(auto.path("restrictQualityTarget").asDouble(0.5))
            .setFixed(strings(auto.path("fixed")))
            .setSessionSticky(auto.path("sessionSticky").asBoolean(false))
            .setExplore(auto.path("explore").asDouble(0.0))
            .setScore(auto.path("score").asText("keywords"))
            .setModel(auto.path("model").asText("embedding"))
            .build())
        .setShadow(json.has("shadow") ? new ShadowRouting(json.get("shadow").get("profile").asText(),
            json.get("shadow").get("share").asDouble()) : null)
        .setPromptCache(json.has("promptCache") ? new io.modelrouter.avro.PromptCaching(
            json.get("promptCache").path("ttl").asText("5m"),
            json.get("promptCache").path("conversation").asBoolean(false)) : null)
        .setRateLimits(json.has("rateLimits") ? rateLimits(json.get("rateLimits")) : null)
        .setBatchApi(json.has("batchApi") ? new io.modelrouter.avro.BatchApiRouting(
            json.get("batchApi").path("minDeadlineHours").asDouble(24.0)) : null)
        .setResponseCache(json.has("responseCache") ? new io.modelrouter.avro.ResponseCaching(
            json.get("responseCache").path("ttlSeconds").asInt(3600), strings(json.get("responseCache")
                .path("taskTypes")), json.get("responseCache").path("anyTemperature").asBoolean(false)) : null)
        .setUpdatedAt(null)
        .build();
    List<String> semantic = checkRoutingPolicy(policy, catalog);
    if (!semantic.isEmpty()) {
      throw new PolicyException("routing policy", semantic);
    }
    return policy;
  }

  /** The policy's {@code auto.promote}, or the shipped step when it names none (see {@link #DEFAULT_PROMOTE_FROM}). */
  private static Map<String, PromotionStep> promotions(JsonNode auto, Map<String, Profile> profiles) {
    Map<String, PromotionStep> steps = new TreeMap<>();
    if (auto.has("promote")) {
      auto.get("promote").fields().forEachRemaining(e -> steps.put(e.getKey(),
          new PromotionStep(e.getValue().get("above").asDouble(), e.getValue().get("to").asText())));
    } else if (profiles.containsKey(DEFAULT_PROMOTE_FROM) && profiles.containsKey(DEFAULT_PROMOTE_TO)) {
      steps.put(DEFAULT_PROMOTE_FROM, new PromotionStep(DEFAULT_PROMOTE_ABOVE, DEFAULT_PROMOTE_TO));
    }
    return steps;
  }

  /** What a JSON Schema cannot check: every profile named anywhere exists, and models are in the catalog. */
  public static List<String> checkRoutingPolicy(RoutingPolicy policy, Map<String, ModelSpec> catalog) {
    List<String> problems = new ArrayList<>();
    Map<String, Profile> profiles = policy.getProfiles();
    policy.getRouting().forEach((task, profile) -> requireProfile(profiles, profile, "$.routing." + task, problems));
    requireProfile(profiles, policy.getDefaultProfile(), "$.defaultProfile", problems);
    requireProfile(profiles, policy.getRestrictProfile(), "$.restrictProfile", problems);
    if (policy.getRateLimits() != null && policy.getRateLimits().getRequestsPerMinute() == null
        && policy.getRateLimits().getTokensPerMinute() == null) {
      problems.add("$.rateLimits: names neither requestsPerMinute nor tokensPerMinute");
    }
    policy.getTiers().forEach((tier, entitlement) -> {
      for (int i = 0; i < entitlement.getProfiles().size(); i++) {
        String name = entitlement.getProfiles().get(i);
        if (!name.equals("*")) {
          requireProfile(profiles, name, "$.tiers." + tier + ".profiles[" + i + "]", problems);
        }
      }
      if (catalog != null) {
        for (int i = 0; i < entitlement.getModels().size(); i++) {
          requireModel(catalog, entitlement.getModels().get(i), "$.tiers." + tier + ".models[" + i + "]", problems);
        }
      }
    });
    if (!policy.getTiers().isEmpty() && !policy.getTiers().containsKey(policy.getDefaultTier())) {
      problems.add("$.defaultTier: tier '" + policy.getDefaultTier() + "' is not defined in $.tiers");
    }
    if (policy.getShadow() != null) {
      requireProfile(profiles, policy.getShadow().getProfile(), "$.shadow.profile", problems);
    }
    AutoRouting auto = policy.getAuto();
    for (int i = 0; i < auto.getBands().size(); i++) {
      requireProfile(profiles, auto.getBands().get(i).getProfile(), "$.auto.bands[" + i + "].profile", problems);
    }
    if (auto.getStrategy() == AutoStrategy.COMPLEXITY && auto.getBands().isEmpty()) {
      problems.add("$.auto.bands: the complexity strategy needs at least one band");
    }
    if (auto.getStrategy() == AutoStrategy.LEARNED) {
      for (String tierProfile : LEARNED_PROFILES) {
        if (!policy.getProfiles().containsKey(tierProfile)) {
          problems.add("$.auto.strategy: learned routing chooses among the profiles " + String.join(", ",
              LEARNED_PROFILES) + ", and the policy has no profile '" + tierProfile + "'");
        }
      }
    }
    if (auto.getStrategy() == AutoStrategy.HYBRID) {
      requireProfile(profiles, auto.getPromoteTo(), "$.auto.promoteTo", problems);
      requireProfile(profiles, auto.getDemoteFrom(), "$.auto.demoteFrom", problems);
      requireProfile(profiles, auto.getDemoteTo(), "$.auto.demoteTo", problems);
      if (auto.getDemoteBelow() > auto.getPromoteAbove()) {
        problems.add("$.auto.demoteBelow: " + auto.getDemoteBelow() + " is above promoteAbove "
            + auto.getPromoteAbove());
      }
      auto.getPromote().forEach((from, step) -> {
        String path = "$.auto.promote." + from;
        requireProfile(profiles, from, path, problems);
        requireProfile(profiles, step.getTo(), path + ".to", problems);
        if (step.getTo().equals(from)) {
          problems.add(path + ".to: promotes " + from + " to itself");
        }
        if (auto.getDemoteBelow() > step.getAbove()) {
          problems.add(path + ".above: " + step.getAbove() + " is below demoteBelow " + auto.getDemoteBelow());
        }
      });
      String loop = promotionLoop(auto, profiles.keySet());
      if (loop != null) {
        problems.add("$.auto.promote: promotions go round in a loop: " + loop);
      }
    }
    if (catalog != null) {
      profiles.forEach((name, profile) -> {
        String path = "$.profiles." + name;
        ModelSpec spec = catalog.get(profile.getModel());
        if (spec == null) {
          problems.add(path + ".model: '" + profile.getModel() + "' is not in the model catalog");
        } else if (profile.getProvider() != null && !profile.getProvider().equals(spec.getProvider())) {
          problems.add(path + ".provider: '" + profile.getProvider() + "' does not serve '" + profile.getModel()
              + "' (the catalog says '" + spec.getProvider() + "')");
        }
        for (int i = 0; i < profile.getFallbacks().size(); i++) {
          requireModel(catalog, profile.getFallbacks().get(i), path + ".fallbacks[" + i + "]", problems);
        }
      });
    }
    return problems;
  }

  /** A loop of promotion steps ({@code fast → primary → fast}), or null; a profile without a step uses promoteTo. */
  private static String promotionLoop(AutoRouting auto, Set<String> profiles) {
    Set<String> starts = new TreeSet<>(profiles);
    starts.addAll(auto.getPromote().keySet());
    for (String start : starts) {
      List<String> path = new ArrayList<>(List.of(start));
      String current = start;
      while (true) {
        PromotionStep step = auto.getPromote().get(current);
        String next = step != null ? step.getTo() : current.equals(auto.getPromoteTo()) ? null : auto.getPromoteTo();
        if (next == null || next.equals(current)) {
          break; // a step to itself is reported on its own
        }
        boolean seen = path.contains(next);
        path.add(next);
        if (seen) {
          return String.join(" → ", path.subList(path.indexOf(next), path.size()));
        }
        current = next;
      }
    }
    return null;
  }

  private static void requireProfile(Map<String, Profile> profiles, String name, String path, List<String> problems) {
    if (!profiles.containsKey(name)) {
      problems.add(path + ": profile '" + name + "' is not defined in $.profiles");
    }
  }

  private static void requireModel(Map<String, ModelSpec> catalog, String id, String path, List<String> problems) {
    if (!catalog.containsKey(id)) {
      problems.add(path + ": '" + id + "' is not in the model catalog");
    }
  }

  public static ObjectNode toJson(RoutingPolicy policy) {
    ObjectNode out = MAPPER.createObjectNode();
    out.put("team", policy.getTeamId());
    out.put("version", policy.getVersion());
    ObjectNode profiles = out.putObject("profiles");
    policy.getProfiles().forEach((name, p) -> {
      ObjectNode node = profiles.putObject(name);
      if (p.getProvider() != null) {
        node.put("provider", p.getProvider());
      }
      node.put("model", p.getModel());
      node.put("maxTokens", p.getMaxTokens());
      if (p.getTemperature() != null) {
        node.put("temperature", p.getTemperature());
      }
      stringArray(node.putArray("fallbacks"), p.getFallbacks());
    });
    ObjectNode routing = out.putObject("routing");
    policy.getRouting().forEach(routing::put);
    out.put("defaultProfile", policy.getDefaultProfile());
    out.put("restrictProfile", policy.getRestrictProfile());
    ObjectNode tiers = out.putObject("tiers");
    policy.getTiers().forEach((name, t) -> {
      ObjectNode node = tiers.putObject(name);
      stringArray(node.putArray("profiles"), t.getProfiles());
      if (!t.getModels().isEmpty()) {
        stringArray(node.putArray("models"), t.getModels());
      }
    });
    out.put("defaultTier", policy.getDefaultTier());
    if (policy.getPromptCache() != null) {
      ObjectNode cache = out.putObject("promptCache");
      cache.put("ttl", policy.getPromptCache().getTtl());
      cache.put("conversation", policy.getPromptCache().getConversation());
    }
    if (policy.getRateLimits() != null) {
      io.modelrouter.avro.RateLimits limits = policy.getRateLimits();
      ObjectNode node = out.putObject("rateLimits");
      if (limits.getRequestsPerMinute() != null) {
        node.put("requestsPerMinute", limits.getRequestsPerMinute());
      }
      if (limits.getTokensPerMinute() != null) {
        node.put("tokensPerMinute", limits.getTokensPerMinute());
      }
      node.put("burstSeconds", limits.getBurstSeconds());
      node.put("maxQueued", limits.getMaxQueued());
    }
    if (policy.getBatchApi() != null) {
      out.putObject("batchApi").put("minDeadlineHours", policy.getBatchApi().getMinDeadlineHours());
    }
    if (policy.getResponseCache() != null) {
      ObjectNode node = out.putObject("responseCache");
      node.put("ttlSeconds", policy.getResponseCache().getTtlSeconds());
      stringArray(node.putArray("taskTypes"), policy.getResponseCache().getTaskTypes());
      node.put("anyTemperature", policy.getResponseCache().getAnyTemperature());
    }
    if (policy.getShadow() != null) {
      ObjectNode shadow = out.putObject("shadow");
      shadow.put("profile", policy.getShadow().getProfile());
      shadow.put("share", policy.getShadow().getShare());
    }
    AutoRouting auto = policy.getAuto();
    ObjectNode a = out.putObject("auto");
    a.put("strategy", auto.getStrategy().name().toLowerCase(Locale.ROOT));
    ArrayNode bands = a.putArray("bands");
    auto.getBands().forEach(b -> bands.addObject().put("minScore", b.getMinScore()).put("profile", b.getProfile()));
    a.put("promoteAbove", auto.getPromoteAbove());
    a.put("promoteTo", auto.getPromoteTo());
    a.put("demoteBelow", auto.getDemoteBelow());
    a.put("demoteFrom", auto.getDemoteFrom());
    a.put("demoteTo", auto.getDemoteTo());
    stringArray(a.putArray("neverDemote"), auto.getNeverDemote());
    a.put("qualityTarget", auto.getQualityTarget());
    a.put("restrictQualityTarget", auto.getRestrictQualityTarget());
    stringArray(a.putArray("fixed"), auto.getFixed());
    a.put("sessionSticky", auto.getSessionSticky());
    a.put("explore", auto.getExplore());
    a.put("score", auto.getScore());
    a.put("model", auto.getModel());
    ObjectNode promote = a.putObject("promote");
    auto.getPromote().forEach((from, step) -> promote.putObject(from).put("above", step.getAbove())
        .put("to", step.getTo()));
    return out;
  }

  // ---------------------------------------------------------------- budget policy

  /**
   * The largest token limit a window may have (a quadrillion): far above any real budget, and small enough that the
   * totals counted against it cannot overflow a long.
   */
  public static final long MAX_TOKEN_LIMIT = 1_000_000_000_000_000L;
  /** The largest cost limit a window may have, in dollars (its micro-dollars fit a long with room for the totals). */
  public static final BigDecimal MAX_COST_USD = BigDecimal.valueOf(1_000_000_000L);

  private static io.modelrouter.avro.RateLimits rateLimits(JsonNode json) {
    return new io.modelrouter.avro.RateLimits(
        json.hasNonNull("requestsPerMinute") ? json.get("requestsPerMinute").asLong() : null,
        json.hasNonNull("tokensPerMinute") ? json.get("tokensPerMinute").asLong() : null,
        json.path("burstSeconds").asDouble(1.0),
        json.path("maxQueued").asInt(10_000));
  }

  public static BudgetPolicy parseBudgetPolicy(String teamId, JsonNode json) {
    List<String> problems = new ArrayList<>(JsonSchemas.problems(JsonSchemas.BUDGET_POLICY, json));
    String zone = json.path("timeZone").asText("UTC");
    if (problems.isEmpty()) {
      try {
        ZoneId.of(zone);
      } catch (DateTimeException e) {
        problems.add("$.timeZone: '" + zone + "' is not an IANA time zone (e.g. Europe/Berlin, UTC)");
      }
      // The schema bounds these too; checked here as well because a limit that wraps to a negative long, overflows
      // the micro-dollars or rounds to zero would not be an error later: the limit would silently disappear.
      for (String window : List.of("daily", "monthly")) {
        if (json.has(window)) {
          limitProblems("$." + window, json.get(window), problems);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException("budget policy", problems);
    }
    return BudgetPolicy.newBuilder()
        .setTeamId(teamId)
        .setVersion(json.path("version").asLong(0))
        .setTimeZone(zone)
        .setDaily(json.has("daily") ? window(json.get("daily")) : null)
        .setMonthly(json.has("monthly") ? window(json.get("monthly")) : null)
        .setIncludeShadow(json.path("includeShadow").asBoolean(false))
        .setSelfService(json.path("selfService").asBoolean(false))
        .setWebhooks(strings(json.path("webhooks")))
        .setUpdatedAt(null)
        .build();
  }

  private static void limitProblems(String path, JsonNode window, List<String> problems) {
    for (String tokens : List.of("inputTokens", "outputTokens")) {
      JsonNode limit = window.get(tokens);
      if (limit != null && limit.decimalValue().compareTo(BigDecimal.valueOf(MAX_TOKEN_LIMIT)) > 0) {
        problems.add(path + "." + tokens + ": " + limit + " is more than the largest "
            + "token limit, " + MAX_TOKEN_LIMIT);
      }
    }
    JsonNode cost = window.get("costUsd");
    if (cost != null) {
      BigDecimal dollars = cost.decimalValue();
      if (dollars.compareTo(MAX_COST_USD) > 0) {
        problems.add(path + ".costUsd: " + cost + " is more than the largest cost limit, "
            + MAX_COST_USD.toPlainString() + " (USD)");
      } else if (dollars.movePointRight(6).setScale(0, RoundingMode.HALF_UP).signum() <= 0) {
        problems.add(path + ".costUsd: " + cost + " is less than one micro-dollar (0.000001 USD), "
            + "the smallest cost limit: it would round to no limit at all");
      }
    }
  }

  private static WindowBudget window(JsonNode w) {
    List<Double> thresholds = new ArrayList<>();
    if (w.has("alertThresholds")) {
      w.get("alertThresholds").forEach(t -> thresholds.add(t.asDouble()));
    } else if (w.has("alertThreshold")) {
      thresholds.add(w.get("alertThreshold").asDouble());
      thresholds.add(1.0);
    } else {
      thresholds.addAll(List.of(0.8, 1.0));
    }
    thresholds.sort(Double::compare);
    List<Escalation> escalations = new ArrayList<>();
    w.path("escalations").forEach(e -> escalations.add(new Escalation(e.get("at").asDouble(), action(e.get("action")))));
    escalations.sort((a, b) -> Double.compare(a.getAt(), b.getAt()));
    return WindowBudget.newBuilder()
        .setInputTokens(w.has("inputTokens") ? w.get("inputTokens").asLong() : null)
        .setOutputTokens(w.has("outputTokens") ? w.get("outputTokens").asLong() : null)
        .setCostMicros(w.has("costUsd") ? micros(w.get("costUsd")) : null)
        .setAlertThresholds(thresholds)
        .setAction(w.has("action") ? action(w.get("action")) : BudgetActionType.NOTIFY)
        .setEscalations(escalations)
        .build();
  }

  private static BudgetActionType action(JsonNode node) {
    return BudgetActionType.valueOf(node.asText().toUpperCase(Locale.ROOT));
  }

  public static ObjectNode toJson(BudgetPolicy policy) {
    ObjectNode out = MAPPER.createObjectNode();
    out.put("team", policy.getTeamId());
    out.put("version", policy.getVersion());
    out.put("timeZone", policy.getTimeZone());
    out.put("includeShadow", policy.getIncludeShadow());
    out.put("selfService", policy.getSelfService());
    if (policy.getDaily() != null) {
      windowJson(out.putObject("daily"), policy.getDaily());
    }
    if (policy.getMonthly() != null) {
      windowJson(out.putObject("monthly"), policy.getMonthly());
    }
    if (!policy.getWebhooks().isEmpty()) {
      policy.getWebhooks().forEach(out.putArray("webhooks")::add);
    }
    return out;
  }

  private static void windowJson(ObjectNode node, WindowBudget w) {
    if (w.getInputTokens() != null) {
      node.put("inputTokens", w.getInputTokens());
    }
    if (w.getOutputTokens() != null) {
      node.put("outputTokens", w.getOutputTokens());
    }
    if (w.getCostMicros() != null) {
      node.put("costUsd", dollars(w.getCostMicros()));
    }
    ArrayNode thresholds = node.putArray("alertThresholds");
    w.getAlertThresholds().forEach(thresholds::add);
    node.put("action", w.getAction().name().toLowerCase(Locale.ROOT));
    ArrayNode escalations = node.putArray("escalations");
    w.getEscalations().forEach(e -> escalations.addObject().put("at", e.getAt())
        .put("action", e.getAction().name().toLowerCase(Locale.ROOT)));
  }

  // ---------------------------------------------------------------- model catalog

  public static ModelSpec parseModelSpec(JsonNode json) {
    List<String> problems = JsonSchemas.problems(JsonSchemas.MODEL_SPEC, json);
    if (!problems.isEmpty()) {
      throw new PolicyException("model " + json.path("id").asText("?"), problems);
    }
    return ModelSpec.newBuilder()
        .setId(json.get("id").asText())
        .setProvider(json.get("provider").asText())
        .setProviderModelId(json.get("providerModelId").asText())
        .setDisplayName(json.path("displayName").asText(json.get("id").asText()))
        .setTierLabel(json.path("tierLabel").asText(""))
        .setContextWindow(json.path("contextWindow").asInt(200_000))
        .setMaxOutputTokens(json.path("maxOutputTokens").asInt(8192))
        .setInputPricePerMTokMicros(micros(json.get("inputUsdPerMTok")))
        .setOutputPricePerMTokMicros(micros(json.get("outputUsdPerMTok")))
        .setCachedInputPricePerMTokMicros(json.has("cachedInputUsdPerMTok") ? micros(json.get("cachedInputUsdPerMTok")) : 0)
        .setCacheWritePricePerMTokMicros(json.has("cacheWriteUsdPerMTok") ? micros(json.get("cacheWriteUsdPerMTok")) : 0)
        .setCacheWrite1hPricePerMTokMicros(json.has("cacheWrite1hUsdPerMTok")
            ? micros(json.get("cacheWrite1hUsdPerMTok")) : 0)
        .setBatchPriceMilli(json.has("batchPriceRatio")
            ? json.get("batchPriceRatio").decimalValue().movePointRight(3).setScale(0, RoundingMode.HALF_UP).intValueExact()
            : 0)
        .setCreditMultiplierMilli(json.has("creditMultiplier")
            ? json.get("creditMultiplier").decimalValue().movePointRight(3).setScale(0, RoundingMode.HALF_UP).intValueExact()
            : 1000)
        .setCapabilities(capabilities(json.path("capabilities")))
        .setDeprecated(json.path("deprecated").asBoolean(false))
        .setUpdatedAt(null)
        .build();
  }

  /** The capabilities as listed (validated by the schema: known names, no repeats), in the order of Capabilities.ALL. */
  private static List<String> capabilities(JsonNode array) {
    List<String> listed = new ArrayList<>();
    array.forEach(c -> listed.add(c.asText()));
    return io.modelrouter.schemas.content.Capabilities.ALL.stream().filter(listed::contains).toList();
  }

  /** A catalog document: {@code {"models": [ ... ]}}; every entry validated, ids unique. */
  public static List<ModelSpec> parseCatalog(JsonNode json) {
    List<String> problems = new ArrayList<>();
    Map<String, ModelSpec> models = new LinkedHashMap<>();
    JsonNode array = json.path("models");
    if (!array.isArray()) {
      throw new PolicyException("model catalog", List.of("$.models: expected an array of models"));
    }
    for (int i = 0; i < array.size(); i++) {
      try {
        ModelSpec spec = parseModelSpec(array.get(i));
        if (models.put(spec.getId(), spec) != null) {
          problems.add("$.models[" + i + "].id: '" + spec.getId() + "' appears twice");
        }
      } catch (PolicyException e) {
        String index = "$.models[" + i + "]";
        e.problems().forEach(p -> problems.add(p.startsWith("$") ? index + p.substring(1) : index + ": " + p));
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException("model catalog", problems);
    }
    return List.copyOf(models.values());
  }

  public static ObjectNode toJson(ModelSpec spec) {
    ObjectNode out = MAPPER.createObjectNode();
    out.put("id", spec.getId());
    out.put("provider", spec.getProvider());
    out.put("providerModelId", spec.getProviderModelId());
    out.put("displayName", spec.getDisplayName());
    out.put("tierLabel", spec.getTierLabel());
    out.put("contextWindow", spec.getContextWindow());
    out.put("maxOutputTokens", spec.getMaxOutputTokens());
    out.put("inputUsdPerMTok", dollars(spec.getInputPricePerMTokMicros()));
    out.put("outputUsdPerMTok", dollars(spec.getOutputPricePerMTokMicros()));
    out.put("cachedInputUsdPerMTok", dollars(spec.getCachedInputPricePerMTokMicros()));
    if (spec.getCacheWritePricePerMTokMicros() > 0) {
      out.put("cacheWriteUsdPerMTok", dollars(spec.getCacheWritePricePerMTokMicros()));
    }
    if (spec.getCacheWrite1hPricePerMTokMicros() > 0) {
      out.put("cacheWrite1hUsdPerMTok", dollars(spec.getCacheWrite1hPricePerMTokMicros()));
    }
    if (spec.getBatchPriceMilli() > 0) {
      out.put("batchPriceRatio", BigDecimal.valueOf(spec.getBatchPriceMilli(), 3));
    }
    out.put("creditMultiplier", BigDecimal.valueOf(spec.getCreditMultiplierMilli(), 3));
    spec.getCapabilities().forEach(out.putArray("capabilities")::add);
    out.put("deprecated", spec.getDeprecated());
    return out;
  }

  // ---------------------------------------------------------------- helpers

  /** Exact dollars to micro-dollars (no binary floating point on the way). */
  public static long micros(JsonNode dollars) {
    return dollars.decimalValue().movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
  }

  public static BigDecimal dollars(long micros) {
    return BigDecimal.valueOf(micros, 6).stripTrailingZeros();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
      out.add(it.next().asText());
    }
    return out;
  }

  private static void stringArray(ArrayNode target, List<String> values) {
    values.forEach(target::add);
  }
}
