package io.modelrouter.router.routing;

import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.TierEntitlement;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** A routing policy prepared for fast decisions: lookups by name, tier rules as sets. Immutable. */
public final class CompiledPolicy {

  /** What a tier may use; a forbidden choice goes to {@code fallbackProfile}. */
  public record TierRule(String name, boolean all, Set<String> profiles, Set<String> models, String fallbackProfile) {
    boolean allowsProfile(String profile) {
      return all || profiles.contains(profile);
    }
  }

  /** A hybrid promotion step: to {@code to} when the score is strictly above {@code above}. */
  public record Promotion(double above, String to) {}

  private final String version;
  private final Map<String, Profile> profiles;
  private final Map<String, String> routing;
  private final String defaultProfile;
  private final String restrictProfile;
  private final Map<String, TierRule> tiers;
  private final String defaultTier;
  private final AutoRouting auto;
  private final Set<String> neverDemote;
  private final Set<String> fixed;
  private final io.modelrouter.avro.ShadowRouting shadow;
  private final io.modelrouter.avro.PromptCaching promptCache;
  private final io.modelrouter.avro.RateLimits rateLimits;
  private final io.modelrouter.avro.ResponseCaching responseCache;
  private final io.modelrouter.avro.BatchApiRouting batchApi;
  private final Map<String, Promotion> promotions;
  /** The step of profiles without one of their own: {@code promoteAbove} → {@code promoteTo}. */
  private final Promotion defaultPromotion;

  private CompiledPolicy(RoutingPolicy policy) {
    this.version = policy.getTeamId() + "@" + policy.getVersion();
    this.profiles = Map.copyOf(policy.getProfiles());
    this.routing = Map.copyOf(policy.getRouting());
    this.defaultProfile = policy.getDefaultProfile();
    this.restrictProfile = policy.getRestrictProfile();
    Map<String, TierRule> rules = new HashMap<>();
    policy.getTiers().forEach((name, entitlement) -> rules.put(name, rule(name, entitlement)));
    this.tiers = Map.copyOf(rules);
    this.defaultTier = policy.getDefaultTier();
    this.auto = policy.getAuto();
    this.neverDemote = auto.getNeverDemote().stream().map(t -> t.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    this.shadow = policy.getShadow();
    this.promptCache = policy.getPromptCache();
    this.rateLimits = policy.getRateLimits();
    this.responseCache = policy.getResponseCache();
    this.batchApi = policy.getBatchApi();
    this.fixed = auto.getFixed().stream().map(t -> t.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    Map<String, Promotion> steps = new HashMap<>();
    auto.getPromote().forEach((from, step) -> steps.put(from, new Promotion(step.getAbove(), step.getTo())));
    this.promotions = Map.copyOf(steps);
    this.defaultPromotion = new Promotion(auto.getPromoteAbove(), auto.getPromoteTo());
  }

  public static CompiledPolicy compile(RoutingPolicy policy) {
    return new CompiledPolicy(policy);
  }

  private static TierRule rule(String name, TierEntitlement entitlement) {
    List<String> named = entitlement.getProfiles();
    boolean all = named.contains("*");
    String fallback = named.stream().filter(p -> !p.equals("*")).findFirst().orElse(null);
    return new TierRule(name, all, Set.copyOf(named), Set.copyOf(entitlement.getModels()), fallback);
  }

  /** {@code <team or *>@<version>}, recorded on every decision. */
  public String version() {
    return version;
  }

  public Profile profile(String name) {
    return profiles.get(name);
  }

  public Map<String, Profile> profiles() {
    return profiles;
  }

  public String routeFor(String taskType) {
    return routing.get(taskType);
  }

  public String defaultProfile() {
    return defaultProfile;
  }

  public String restrictProfile() {
    return restrictProfile;
  }

  /** The tier's rule; null when the policy defines tiers and not this one. A policy without tiers allows all. */
  public TierRule tier(String name) {
    if (tiers.isEmpty()) {
      return new TierRule(name, true, Set.of("*"), Set.of(), null);
    }
    return tiers.get(name);
  }

  public Set<String> tierNames() {
    return tiers.keySet();
  }

  public String defaultTier() {
    return defaultTier;
  }

  public AutoRouting auto() {
    return auto;
  }

  /** The hybrid promotion step out of {@code profile}: its own, else the default one; null out of promoteTo. */
  public Promotion promotion(String profile) {
    Promotion step = promotions.get(profile);
    if (step != null) {
      return step;
    }
    return profile.equals(defaultPromotion.to()) ? null : defaultPromotion;
  }

  public boolean neverDemotes(String taskType) {
    return taskType != null && neverDemote.contains(taskType.toLowerCase(Locale.ROOT));
  }

  /** Whether the policy keeps this task type on its table profile whatever the strategy says ({@code auto.fixed}). */
  /** The policy's prompt caching, or null. */
  public io.modelrouter.avro.PromptCaching promptCache() {
    return promptCache;
  }

  /** The policy's response cache, or null for none. */
  /** The batch lane, or null when the policy has none. */
  public io.modelrouter.avro.BatchApiRouting batchApi() {
    return batchApi;
  }

  public io.modelrouter.avro.ResponseCaching responseCache() {
    return responseCache;
  }

  /** The team's rate limits, or null for none. */
  public io.modelrouter.avro.RateLimits rateLimits() {
    return rateLimits;
  }

  /** The policy's shadow evaluation, or null. */
  public io.modelrouter.avro.ShadowRouting shadow() {
    return shadow;
  }

  public boolean fixes(String taskType) {
    return taskType != null && fixed.contains(taskType.toLowerCase(Locale.ROOT));
  }
}
