package io.modelrouter.router.internal;

import io.modelrouter.avro.BudgetState;

/**
 * What the router counts, for Prometheus. {@link #NONE} in tests and benchmarks; {@code RouterService} binds a
 * Micrometer implementation. Called on stream threads: implementations must be thread-safe and cheap.
 */
public interface RouterMetrics {

  RouterMetrics NONE = new RouterMetrics() {
    @Override
    public void routed(String profile, String model, String reasonKind, BudgetState budgetState) {}

    @Override
    public void answered(String status, String code) {}

    @Override
    public void deadLettered() {}
  };

  /** A request went to the worker; {@code reasonKind} is the label of the decision's kind
   * ({@link io.modelrouter.router.routing.RouteOutcome.Routed#reasonLabel()}). */
  void routed(String profile, String model, String reasonKind, BudgetState budgetState);

  /** The router answered a request itself (REJECTED or PAUSED) with this error code. */
  void answered(String status, String code);

  /** A record went to the DLQ. */
  void deadLettered();

  /**
   * A request met its team's rate limit: {@code queued} (it waits), {@code released} (routed after waiting
   * {@code waitedMs}), {@code expired} (its deadline passed while it waited), {@code queue_full} (REJECTED).
   */
  default void rateLimited(String outcome, long waitedMs) {}

  /** The response cache: {@code hit} (answered by the router, saving {@code savedMicros}) or {@code miss}. */
  default void responseCache(String outcome, long savedMicros) {}
}
