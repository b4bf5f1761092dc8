package io.modelrouter.client.internal;

import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.client.AlertSubscription;
import io.modelrouter.schemas.Topic;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alert listeners by team, and the dispatch of records from {@code llm.budget.alerts} to them. A record is decoded
 * only when its key (the team id) has a listener; it is delivered to the listeners of the team the alert names.
 * Listeners run one after another on the alert reader's thread; one that throws is logged and the others still
 * get the alert.
 */
public final class AlertListeners {
  private static final Logger LOG = LoggerFactory.getLogger(AlertListeners.class);

  private final Topic<String, BudgetAlert> topic;
  private final Map<String, List<Registration>> byTeam = new ConcurrentHashMap<>();

  public AlertListeners(Topic<String, BudgetAlert> topic) {
    this.topic = topic;
  }

  public AlertSubscription add(String teamId, Consumer<BudgetAlert> listener) {
    Registration registration = new Registration(teamId, listener);
    // Inside compute, so that a concurrent close of the team's last subscription cannot orphan the list.
    byTeam.compute(teamId, (team, listeners) -> {
      List<Registration> list = listeners != null ? listeners : new CopyOnWriteArrayList<>();
      list.add(registration);
      return list;
    });
    return registration;
  }

  public void dispatch(ConsumerRecord<String, byte[]> record) {
    if (byTeam.isEmpty() || record.key() != null && !byTeam.containsKey(record.key())) {
      return;
    }
    BudgetAlert alert = topic.deserializeValue(record.value());
    List<Registration> listeners = alert == null ? null : byTeam.get(alert.getTeamId());
    if (listeners == null) {
      return;
    }
    for (Registration registration : listeners) {
      try {
        registration.listener.accept(alert);
      } catch (RuntimeException e) {
        LOG.warn("alert listener of team {} failed on alert {}", registration.teamId, alert.getAlertId(), e);
      }
    }
  }

  /** Teams with at least one listener. */
  public int teams() {
    return byTeam.size();
  }

  private final class Registration implements AlertSubscription {
    private final String teamId;
    private final Consumer<BudgetAlert> listener;

    private Registration(String teamId, Consumer<BudgetAlert> listener) {
      this.teamId = teamId;
      this.listener = listener;
    }

    @Override
    public String teamId() {
      return teamId;
    }

    @Override
    public void close() {
      byTeam.computeIfPresent(teamId, (team, listeners) -> {
        listeners.remove(this);
        return listeners.isEmpty() ? null : listeners;
      });
    }

    @Override
    public String toString() {
      return "AlertSubscription[" + teamId + "]";
    }
  }
}
