package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.schemas.Topic;
import java.util.Map;
import java.util.function.Function;

/** The last {@code perTeam} budget alerts of every team, read from {@code llm.budget.alerts} from the beginning. */
public final class AlertHistory extends TeamHistory<BudgetAlert, BudgetAlert> {

  public AlertHistory(Topic<String, BudgetAlert> topic, Map<String, Object> clientConfig, int perTeam,
      MeterRegistry registry) {
    super("alerts", topic, clientConfig, perTeam, Long.MAX_VALUE, BudgetAlert::getTeamId, Function.identity(),
        registry);
  }

  public AlertHistory start() {
    startReading();
    return this;
  }
}
