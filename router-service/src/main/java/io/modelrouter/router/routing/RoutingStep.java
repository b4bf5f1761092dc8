package io.modelrouter.router.routing;

import java.util.Locale;

/**
 * One step of a routing decision: what kind of step it was and the sentence the decision's reason shows for it. The
 * reason string is rendered from the steps ({@link RoutingSteps#text()}); metrics read the kind
 * ({@link RoutingSteps#kind()}), so rewording a sentence never changes a metric.
 */
public record RoutingStep(Kind kind, String text) {

  /**
   * The kinds of step. Every kind but {@link #NOTE} chose or changed the profile; the decision's kind is that of its
   * last such step. {@link #label()} is the value of the {@code reason} tag of {@code router_requests_total}.
   */
  public enum Kind {
    /** The request pinned a profile or a catalog model. */
    PIN,
    /** The routing table's entry for the task type. */
    TABLE,
    /** The task type is not in the table: the policy's default profile. */
    DEFAULT,
    /** The auto strategy's complexity band (or below every band). */
    COMPLEXITY,
    /** The learned strategy: the cheapest tier its model expects to be good enough. */
    LEARNED,
    /** Session stickiness: kept on the session's profile rather than demoted. */
    SESSION,
    /** Promoted a profile up for a high complexity score. */
    PROMOTED,
    /** Demoted a profile for a low complexity score. */
    DEMOTED,
    /** The tier may not use the profile: moved to the tier's own. */
    TIER,
    /** The team's budget is in RESTRICT: the restrict profile. */
    RESTRICT,
    /** The prompt does not fit the model's context window: a larger model of the fallback chain. */
    CONTEXT,
    /** The model lacks a capability the request needs (tools, images...): the first fallback that has it. */
    CAPABILITY,
    /** The team's budget is in PAUSE: answered PAUSED. */
    PAUSE,
    /** Annotates the decision without changing the choice (a NOTIFY, "never demoted", a capped maxTokens). */
    NOTE;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The lower-case metric label. */
    public String label() {
      return label;
    }

    /** Whether a step of this kind chose or changed the profile. */
    public boolean chooses() {
      return this != NOTE;
    }
  }
}
