package io.modelrouter.runtime;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.BudgetAction;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code budget_team_state{team=...}}: 0 NORMAL, 1 NOTIFY, 2 RESTRICT, 3 PAUSE, one gauge per team seen. */
public final class BudgetStateGauges {
  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> states = new ConcurrentHashMap<>();

  public BudgetStateGauges(MeterRegistry registry) {
    this.registry = registry;
  }

  /** The team's new action; null (a removed action) is NORMAL. */
  public void update(String team, BudgetAction action) {
    int state = action == null ? 0 : action.getState().ordinal();
    states.computeIfAbsent(team, t -> {
      AtomicInteger holder = new AtomicInteger();
      // The map keeps the holder strongly reachable: gauges only hold it weakly.
      Gauge.builder("budget.team.state", holder, AtomicInteger::get)
          .description("Budget state of the team: 0 NORMAL, 1 NOTIFY, 2 RESTRICT, 3 PAUSE")
          .tag("team", t)
          .register(registry);
      return holder;
    }).set(state);
  }
}
