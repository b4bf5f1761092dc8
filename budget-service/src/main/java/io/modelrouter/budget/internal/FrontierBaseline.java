package io.modelrouter.budget.internal;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.schemas.Pricing;
import java.util.Comparator;
import java.util.Map;

/**
 * The all-frontier baseline: what a team's tokens would have cost had every one of them gone to the frontier model,
 * the answer to "what did routing save us?".
 *
 * <p>The frontier model is the model of the profile named {@value #PROFILE} in the routing policy the router applies
 * to the team: the team's own policy when it has that profile, else the default policy (key {@code *}). When neither
 * names a model the catalog holds, it is the catalog's most expensive model: the highest price of one million input
 * plus one million output tokens, ties to the smallest id. A team's own frontier counts because it is what that
 * team would have been sent to without cheaper routing.
 *
 * <p>The same tokens are priced with {@link Pricing#costMicros} on the frontier model's prices, cached input at its
 * cache price, once per model slice of a window ({@code UsageTotals.byModel}). Actual cost is rounded once per
 * provider call, so the two can differ by a micro-dollar per call: noise against any real saving.
 *
 * @param source how the model was chosen, in words, for the dashboard
 */
public record FrontierBaseline(ModelSpec model, String source) {
  public static final String PROFILE = "frontier";

  private static final Comparator<ModelSpec> MOST_EXPENSIVE_FIRST = Comparator
      .comparingLong((ModelSpec m) -> -(m.getInputPricePerMTokMicros() + m.getOutputPricePerMTokMicros()))
      .thenComparing(ModelSpec::getId);

  /**
   * @param teamPolicy the team's own routing policy, or null
   * @param defaultPolicy the policy in force for teams without one, or null
   * @return null when the catalog is empty (there is nothing to price with)
   */
  public static FrontierBaseline of(RoutingPolicy teamPolicy, RoutingPolicy defaultPolicy,
      Map<String, ModelSpec> catalog) {
    ModelSpec own = frontierOf(teamPolicy, catalog);
    if (own != null) {
      return new FrontierBaseline(own, "the " + PROFILE + " profile of the team's routing policy");
    }
    ModelSpec shared = frontierOf(defaultPolicy, catalog);
    if (shared != null) {
      return new FrontierBaseline(shared, "the " + PROFILE + " profile of the default routing policy");
    }
    return catalog.values().stream().sorted(MOST_EXPENSIVE_FIRST).findFirst()
        .map(m -> new FrontierBaseline(m, "the most expensive model in the catalog (no " + PROFILE + " profile)"))
        .orElse(null);
  }

  private static ModelSpec frontierOf(RoutingPolicy policy, Map<String, ModelSpec> catalog) {
    if (policy == null || policy.getProfiles() == null) {
      return null;
    }
    Profile profile = policy.getProfiles().get(PROFILE);
    return profile == null ? null : catalog.get(profile.getModel());
  }

  /** The slice's tokens at the frontier model's prices. */
  public long costMicros(UsageBreakdown usage) {
    return Pricing.costMicros(model, usage.getInputTokens(), usage.getOutputTokens(), usage.getCachedInputTokens());
  }

  /** A window's tokens at the frontier model's prices: the sum over its model slices. */
  public long costMicros(Map<String, UsageBreakdown> byModel) {
    long total = 0;
    for (UsageBreakdown usage : byModel.values()) {
      total = Math.addExact(total, costMicros(usage));
    }
    return total;
  }
}
