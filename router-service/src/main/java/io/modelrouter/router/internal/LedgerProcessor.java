package io.modelrouter.router.internal;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Reservation;
import io.modelrouter.avro.SessionAsk;
import io.modelrouter.avro.SessionRoute;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.runtime.StoreSweeps;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.budget.ClockSkew;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the router's view of each team's budget, co-partitioned with its requests: settled usage (from
 * {@code llm.usage}, the moment the worker commits it), reservations released when a request's result arrives
 * (or its final call's usage), the team's budget policy, and the aggregator's latest action (the team's state;
 * a manual reset also lifts the router's own pause check for the current windows at their pause point). Forwards nothing.
 */
public final class LedgerProcessor implements Processor<String, LedgerProcessor.Input, Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(LedgerProcessor.class);

  /** One record of one of the ledger's input topics (null value: a tombstone). */
  public record Input(Kind kind, byte[] value) {}

  public enum Kind { USAGE, RESULT, POLICY, ACTION }

  private final Topics topics;
  private final Duration reservationTtl;
  private final ClockSkew skew = new ClockSkew("router");
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, SpendLedger> ledgers;
  private KeyValueStore<String, Reservation> reservations;
  private KeyValueStore<String, BudgetPolicy> policies;
  private KeyValueStore<String, byte[]> actions;
  private KeyValueStore<String, SessionRoute> sessions;
  private KeyValueStore<String, SessionAsk> sessionAsks;
  private ResponseCache cache;

  public LedgerProcessor(Topics topics, Duration reservationTtl) {
    this.topics = topics;
    this.reservationTtl = reservationTtl;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.ledgers = context.getStateStore(RouterStores.LEDGERS);
    this.reservations = context.getStateStore(RouterStores.RESERVATIONS);
    this.policies = context.getStateStore(RouterStores.BUDGET_POLICIES);
    this.actions = context.getStateStore(RouterStores.BUDGET_ACTIONS);
    this.sessions = context.getStateStore(RouterStores.SESSIONS);
    this.sessionAsks = context.getStateStore(RouterStores.SESSION_ASKS);
    context.schedule(Duration.ofSeconds(30), PunctuationType.WALL_CLOCK_TIME, this::expire);
    context.schedule(Duration.ofMinutes(5), PunctuationType.WALL_CLOCK_TIME, this::forgetIdleSessions);
    this.cache = new ResponseCache(context.getStateStore(RouterStores.RESPONSE_CACHE),
        context.getStateStore(RouterStores.RESPONSE_PENDING));
    context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME,
        timestamp -> cache.sweep(Instant.ofEpochMilli(timestamp)));
  }

  @Override
  public void process(Record<String, Input> record) {
    String team = record.key();
    Input input = record.value();
    if (team == null) {
      return;
    }
    try {
      switch (input.kind()) {
        case USAGE -> {
          if (input.value() != null) {
            UsageEvent event = topics.usage().deserializeValue(input.value());
            if (event.getShadow()) {
              // A shadow evaluation call: it reserved nothing, and counts only where the team's budget says so
              BudgetPolicy policy = policies.get(team);
              if (policy != null && policy.getIncludeShadow()) {
                SpendLedger ledger = ledger(team);
                SpendLedgers.settle(ledger, event, policy, Instant.ofEpochMilli(context.currentSystemTimeMs()));
                ledgers.put(team, ledger);
              }
              return;
            }
            SpendLedger ledger = ledger(team);
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            skew.fromTheFuture(event, now); // warns; settle counts a later event as now in any case
            SpendLedgers.settle(ledger, event, policies.get(team), now);
            if (event.getFinalCall()) {
              release(ledger, event.getRequestId());
              if (event.getOutputTokens() > 0) {
                SpendLedgers.learnOutput(ledger, event.getOutputTokens());
              }
            }
            ledgers.put(team, ledger);
          }
        }
        case RESULT -> {
          if (input.value() != null) {
            InferenceResult result = topics.results().deserializeValue(input.value());
            cache.answered(result, input.value(), Instant.ofEpochMilli(context.currentSystemTimeMs()));
            SpendLedger ledger = ledgers.get(team);
            if (ledger != null && release(ledger, result.getRequestId())) {
              ledgers.put(team, ledger);
            }
          }
        }
        case POLICY -> {
          if (input.value() == null) {
            policies.delete(team);
          } else {
            policies.put(team, topics.budgetPolicies().deserializeValue(input.value()));
          }
        }
        case ACTION -> {
          if (input.value() == null) {
            actions.delete(team);
          } else {
            actions.put(team, input.value());
            BudgetAction action = topics.budgetActions().deserializeValue(input.value());
            if (action.getManualReset()) {
              SpendLedger ledger = ledger(team);
              // The router's clock, as at admission: the record's timestamp is budget-service's clock.
              SpendLedgers.advance(ledger, Instant.ofEpochMilli(context.currentSystemTimeMs()),
                  BudgetMath.zone(policies.get(team)));
              SpendLedgers.lift(ledger, policies.get(team));
              ledgers.put(team, ledger);
            }
          }
        }
      }
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      // Records these topics carry are written by our services; one that cannot be read is logged and skipped (its
      // own writer has already sent what it could not write to the DLQ).
      LOG.error("{} record of {} cannot be read and is skipped: {}", input.kind(), team, e.getMessage());
    }
  }

  private SpendLedger ledger(String team) {
    SpendLedger ledger = ledgers.get(team);
    return ledger != null ? ledger : SpendLedgers.empty(team);
  }

  private boolean release(SpendLedger ledger, String requestId) {
    if (requestId == null) {
      return false;
    }
    Reservation reservation = reservations.get(requestId);
    if (reservation == null) {
      return false;
    }
    reservations.delete(requestId);
    SpendLedgers.release(ledger, reservation);
    return true;
  }

  /** Sessions idle for {@link RouterStores#SESSION_IDLE} start afresh: their stickiness is forgotten. */
  private void forgetIdleSessions(long timestamp) {
    Instant idle = Instant.ofEpochMilli(timestamp).minus(RouterStores.SESSION_IDLE);
    StoreSweeps.deleteWhere(sessions, session -> session.getLastSeen().isBefore(idle));
    Instant repeats = Instant.ofEpochMilli(timestamp).minus(RouterStores.REPEAT_WINDOW);
    StoreSweeps.deleteWhere(sessionAsks, ask -> ask.getAt().isBefore(repeats));
  }

  /** Reservations of requests that never got a result (a worker lost them) stop holding budget after the TTL. */
  private void expire(long timestamp) {
    Instant horizon = Instant.ofEpochMilli(timestamp).minus(reservationTtl);
    List<KeyValue<String, Reservation>> stale = new ArrayList<>();
    try (KeyValueIterator<String, Reservation> all = reservations.all()) {
      all.forEachRemaining(entry -> {
        if (entry.value.getExpiresAt() != null ? entry.value.getExpiresAt().isBefore(Instant.ofEpochMilli(timestamp))
            : entry.value.getAt().isBefore(horizon)) {
          stale.add(entry);
        }
      });
    }
    for (KeyValue<String, Reservation> entry : stale) {
      SpendLedger ledger = ledgers.get(entry.value.getTeamId());
      if (ledger != null && release(ledger, entry.key)) {
        ledgers.put(entry.value.getTeamId(), ledger);
      }
      reservations.delete(entry.key);
      LOG.warn("reservation of request {} (team {}) expired after {} without a result", entry.key,
          entry.value.getTeamId(), entry.value.getExpiresAt() != null
              ? java.time.Duration.between(entry.value.getAt(), entry.value.getExpiresAt()) : reservationTtl);
    }
  }
}
