package io.modelrouter.router.routing;

import io.modelrouter.avro.RoutingDecision;

/** What the engine decided for a request. */
public sealed interface RouteOutcome {

  /**
   * Send to the worker with this decision. {@code kind} is the kind of the last step that chose or changed the
   * profile (null if none did): the metric label, read from the steps rather than parsed out of the reason text.
   */
  record Routed(RoutingDecision decision, RoutingStep.Kind kind) implements RouteOutcome {
    /** The {@code reason} label of the router's request metric: the kind's label, or {@code other}. */
    public String reasonLabel() {
      return kind == null ? "other" : kind.label();
    }
  }

  /**
   * Refuse: {@code field} names the offending request field, {@code code} is a stable error code
   * (INVALID_REQUEST, UNKNOWN_MODEL, UNKNOWN_TIER, CONTEXT_WINDOW_EXCEEDED, POLICY_ERROR).
   */
  record Rejected(String code, String field, String reason, String routingReason, String policyVersion)
      implements RouteOutcome {
    public String message() {
      return field + ": " + reason;
    }
  }

  /**
   * The team is paused: answer at once with how to lift it. {@code reason} is the budget's (why it is paused),
   * {@code routingReason} the decision's steps up to the pause.
   */
  record Paused(String reason, String routingReason, String policyVersion) implements RouteOutcome {}
}
