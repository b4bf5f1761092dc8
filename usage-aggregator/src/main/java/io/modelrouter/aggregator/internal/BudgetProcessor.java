package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetLedger;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.runtime.StreamsDeadLetters;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.serde.OversizedRecordException;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each team's usage in calendar windows and its budget state, and publishes what changes: window totals
 * (at most every {@code totals.interval}), one alert per threshold crossed, one action per state change.
 *
 * <p>Windows are calendar days and months in the team's budget time zone, by event time. An event lands in its own
 * window whenever it arrives; past the window's end plus the grace period it is still counted (as late) but can no
 * longer raise that window's alerts. An event dated more than {@link BudgetMath#CLOCK_SKEW_TOLERANCE} after the
 * processing clock is counted as happening now. A team's state comes from its current windows, which only move
 * forward, by the processing clock (stream time capped at the wall clock; the wall clock for teams without
 * traffic). PAUSE is held across windows until a manual reset
 * (a {@code manualReset} action from budget-service), which also keeps the current windows that were at their pause
 * point from pausing again; a current window below it keeps its hard cap.
 * Every decision is in state stores changelogged with the outputs (exactly_once_v2): a restart or a rebalance
 * neither repeats nor loses an alert.
 */
public final class BudgetProcessor implements Processor<String, AggregatorRecord.In, String, AggregatorRecord.Out> {
  /** Decoded values kept per store: every team's current windows and ledgers, for thousands of teams. */
  private static final int DECODED = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(BudgetProcessor.class);
  private static final String SERVICE = "usage-aggregator";

  private final Topics topics;
  private io.modelrouter.runtime.Tracing tracing = io.modelrouter.runtime.Tracing.disabled();

  /** Tracing: a span per usage event aggregated, under the trace of the request that spent it. */
  public BudgetProcessor tracing(io.modelrouter.runtime.Tracing tracing) {
    this.tracing = tracing;
    return this;
  }
  private final Duration grace;
  private final Duration totalsInterval;
  private final Duration rolloverCheck;
  private final Duration retention;
  private final int maxUsageBytes;
  private final Set<String> dirty = new LinkedHashSet<>();
  private final UsageClock clock = new UsageClock();
  private ProcessorContext<String, AggregatorRecord.Out> context;
  private DecodedStore<UsageTotals> windows;
  private DecodedStore<BudgetLedger> ledgers;
  private DecodedStore<BudgetPolicy> policies;
  private WindowSlices slices;

  /**
   * @param maxUsageBytes the largest usage record read; a larger one goes to the DLQ undecoded
   */
  public BudgetProcessor(Topics topics, Duration grace, Duration totalsInterval, Duration rolloverCheck,
      Duration retention, int maxUsageBytes) {
    this.topics = topics;
    this.maxUsageBytes = maxUsageBytes;
    this.grace = grace;
    this.totalsInterval = totalsInterval;
    this.rolloverCheck = rolloverCheck;
    this.retention = retention;
  }

  @Override
  public void init(ProcessorContext<String, AggregatorRecord.Out> context) {
    this.context = context;
    // New every time: init() runs again whenever Kafka Streams restores the stores, and what memory held before
    // may be ahead of them (an aborted transaction).
    this.windows = new DecodedStore<>(context.getStateStore(AggregatorStores.WINDOWS), DECODED);
    this.ledgers = new DecodedStore<>(context.getStateStore(AggregatorStores.LEDGERS), DECODED);
    this.policies = new DecodedStore<>(context.getStateStore(AggregatorStores.POLICIES), DECODED);
    this.slices = new WindowSlices(context.getStateStore(AggregatorStores.SESSIONS));
    dirty.clear();
    // After a restart, publish the current windows' totals again: changes made before the crash may not have been.
    try (KeyValueIterator<String, BudgetLedger> all = ledgers.store().all()) {
      all.forEachRemaining(entry -> {
        BudgetLedger ledger = entry.value;
        for (WindowKind kind : WindowKind.values()) {
          String start = Ledgers.start(ledger, kind);
          if (start != null) {
            dirty.add(BudgetMath.totalsKey(ledger.getTeamId(), kind, start));
          }
        }
      });
    }
    context.schedule(totalsInterval, PunctuationType.WALL_CLOCK_TIME, this::flushTotals);
    context.schedule(rolloverCheck, PunctuationType.WALL_CLOCK_TIME, this::rollover);
    context.schedule(Duration.ofHours(1), PunctuationType.WALL_CLOCK_TIME, this::expire);
  }

  @Override
  public void process(Record<String, AggregatorRecord.In> record) {
    AggregatorRecord.In in = record.value();
    try {
      switch (in.source()) {
        case USAGE -> {
          if (in.value() == null) {
            throw new IllegalArgumentException("a usage record has no value (tombstone)");
          }
          OversizedRecordException.check(in.value(), maxUsageBytes, "aggregator.max.usage.bytes",
              topics.usage().name());
          onUsage(topics.usage().deserializeValue(in.value()), record);
        }
        case POLICY -> onPolicy(record.key(), in.value() == null ? null
            : topics.budgetPolicies().deserializeValue(in.value()), record);
        case ACTION -> {
          if (in.value() != null) {
            BudgetAction action = topics.budgetActions().deserializeValue(in.value());
            if (action.getManualReset()) {
              onReset(action, record);
            }
          }
        }
      }
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
    } catch (IllegalArgumentException e) {
      deadLetter(record, e);
    }
  }

  private void onUsage(UsageEvent event, Record<String, AggregatorRecord.In> record) {
    if (tracing.enabled()) {
      tracing.tracer().spanBuilder("aggregate usage").setParent(tracing.extract(record.headers()))
          .setSpanKind(io.opentelemetry.api.trace.SpanKind.CONSUMER)
          .setAttribute("messaging.system", "kafka")
          .setAttribute("model_router.team", event.getTeamId())
          .setAttribute("model_router.request_id", event.getRequestId())
          .setAttribute("model_router.usage_event", event.getEventId())
          .setAttribute("gen_ai.provider.name", event.getProvider())
          .setAttribute("gen_ai.request.model", event.getModel())
          .setAttribute("gen_ai.usage.input_tokens", event.getInputTokens())
          .setAttribute("gen_ai.usage.output_tokens", event.getOutputTokens())
          .setAttribute("model_router.cost_micros", event.getCostMicros())
          .startSpan().end();
    }
    String team = event.getTeamId();
    BudgetPolicy policy = policies.get(team);
    if (event.getShadow() && (policy == null || !policy.getIncludeShadow())) {
      return; // shadow evaluation is not the team's spend unless its budget policy says so
    }
    ZoneId zone = BudgetMath.zone(policy);
    Instant now = UsageClock.now(context, record.timestamp());
    Instant at = clock.countedAt(event, now);
    BudgetLedger ledger = ledger(team);
    BudgetState before = ledger.getState();
    List<BudgetMath.Window> open = new ArrayList<>();
    for (WindowKind kind : WindowKind.values()) {
      BudgetMath.Window window = BudgetMath.window(kind, at, zone);
      String key = BudgetMath.totalsKey(team, window);
      UsageTotals totals = windows.get(key);
      if (totals == null) {
        totals = WindowTotals.empty(team, window, zone);
      }
      boolean late = now.isAfter(window.until().plus(grace));
      WindowTotals.add(totals, event, late, now);
      if (kind == WindowKind.DAILY && event.getResponseCacheSavedMicros() == null) {
        slices.addSession(key, event);
        slices.add(hoursKey(key), hourOf(at, zone), event);
      }
      annotate(totals, policy, ledger);
      windows.put(key, totals);
      dirty.add(key);
      if (!late) {
        open.add(window);
      }
    }
    // The team's current windows follow the processing clock, never an event's own time: an event a little ahead
    // (within the clock skew tolerated) lands in its own window, but a new window begins when this clock gets there.
    BudgetAction action = recompute(ledger, policy, now, false, "");
    for (BudgetMath.Window window : open) {
      alerts(ledger, policy, window, before, now);
    }
    if (action != null) {
      context.forward(new Record<>(team, new AggregatorRecord.Action(action), now.toEpochMilli()));
    }
    ledgers.put(team, ledger);
  }

  private void onPolicy(String team, BudgetPolicy policy, Record<String, AggregatorRecord.In> record) {
    if (team == null) {
      throw new IllegalArgumentException("a budget policy record has no key (team id)");
    }
    if (policy == null) {
      policies.delete(team);
    } else {
      policies.put(team, policy);
    }
    BudgetLedger ledger = ledgers.get(team);
    if (ledger == null && policy == null) {
      return;
    }
    ledger = ledger == null ? ledger(team) : ledger;
    ledger.setPolicyVersion(policy == null ? 0 : policy.getVersion());
    BudgetState before = ledger.getState();
    Instant now = UsageClock.now(context, record.timestamp());
    BudgetAction action = recompute(ledger, policy, now, false, "budget changed: ");
    if (policy != null) {
      for (WindowKind kind : WindowKind.values()) {
        String start = Ledgers.start(ledger, kind);
        alerts(ledger, policy, BudgetMath.windowOf(kind, start, BudgetMath.zone(policy)), before, now);
      }
    }
    if (action != null) {
      context.forward(new Record<>(team, new AggregatorRecord.Action(action), now.toEpochMilli()));
    }
    reannotate(ledger, policy);
    ledgers.put(team, ledger);
  }

  private void onReset(BudgetAction reset, Record<String, AggregatorRecord.In> record) {
    String team = reset.getTeamId();
    BudgetPolicy policy = policies.get(team);
    BudgetLedger ledger = ledger(team);
    BudgetState before = ledger.getState();
    Instant now = UsageClock.now(context, record.timestamp());
    // Move to the current windows first, so that the lift applies to them and not to windows already over.
    recompute(ledger, policy, now, false, "");
    ledger.setPaused(false);
    ledger.setPauseReason("");
    ledger.setPausedSince(null);
    // Only a window at its pause point is lifted: the other one keeps its hard cap, and a reset sent while nothing
    // is paused (or a pause held over from an earlier window) lifts nothing.
    for (WindowKind kind : WindowKind.values()) {
      if (atPausePoint(ledger, policy, kind)) {
        Ledgers.lift(ledger, kind);
      }
    }
    ledger.setLastReset(reset.getSince());
    BudgetAction action = recompute(ledger, policy, now, true, "after a manual reset (" + reset.getReason() + "): ");
    context.forward(new Record<>(team, new AggregatorRecord.Action(action), now.toEpochMilli()));
    context.forward(new Record<>(team, new AggregatorRecord.Alert(Alerts.reset(team, before, action, now)),
        now.toEpochMilli()));
    reannotate(ledger, policy);
    ledgers.put(team, ledger);
  }

  /**
   * After a budget change or a reset, the current windows' totals get their state and fraction again (a new limit,
   * a lifted pause) and are published with the next totals, so that {@code /usage} does not show the old state
   * until the next usage event.
   */
  private void reannotate(BudgetLedger ledger, BudgetPolicy policy) {
    for (WindowKind kind : WindowKind.values()) {
      String start = Ledgers.start(ledger, kind);
      if (start == null) {
        continue;
      }
      String key = BudgetMath.totalsKey(ledger.getTeamId(), BudgetMath.windowOf(kind, start, BudgetMath.zone(policy)));
      UsageTotals totals = windows.get(key);
      if (totals != null) {
        annotate(totals, policy, ledger);
        windows.put(key, totals);
        dirty.add(key);
      }
    }
  }

  /**
   * Moves the ledger to its current windows and recomputes each window's state and the team's. Returns the action
   * to publish when the team's state changed (or when {@code force}), else null.
   */
  private BudgetAction recompute(BudgetLedger ledger, BudgetPolicy policy, Instant reference, boolean force,
      String reasonPrefix) {
    ZoneId zone = BudgetMath.zone(policy);
    Explanation worst = Explanation.NONE;
    for (WindowKind kind : WindowKind.values()) {
      BudgetMath.Window current = Ledgers.current(ledger, kind, reference, zone);
      Ledgers.moveTo(ledger, kind, current.start());
      WindowBudget budget = BudgetMath.budget(policy, kind);
      UsageTotals totals = windows.get(BudgetMath.totalsKey(ledger.getTeamId(), current));
      BudgetMath.Fraction fraction = totals == null || budget == null ? BudgetMath.Fraction.NONE
          : BudgetMath.fraction(budget, totals.getInputTokens(), totals.getOutputTokens(), totals.getCostMicros());
      BudgetState state = BudgetMath.state(budget, fraction.value(), Ledgers.lifted(ledger, kind, current.start()));
      Ledgers.setState(ledger, kind, state);
      Explanation explanation = new Explanation(state, kind, current.start(), fraction);
      if (state == BudgetState.PAUSE && !ledger.getPaused()) {
        ledger.setPaused(true);
        ledger.setPauseReason(explanation.describe());
        ledger.setPausedSince(reference);
      }
      if (state.ordinal() > worst.state().ordinal()) {
        worst = explanation;
      }
    }
    BudgetState effective = worst.state();
    String reason = worst.state() == BudgetState.NORMAL ? "within budget" : worst.describe();
    if (ledger.getPaused()) {
      effective = BudgetState.PAUSE;
      reason = "paused since " + ledger.getPausedSince() + ": " + ledger.getPauseReason()
          + "; the pause holds until a manual reset";
    }
    if (effective == ledger.getState() && !force) {
      return null;
    }
    ledger.setState(effective);
    return BudgetAction.newBuilder()
        .setTeamId(ledger.getTeamId())
        .setState(effective)
        .setWindow(worst.kind())
        .setWindowStart(worst.start())
        .setMetric(worst.fraction().metric())
        .setUsage(worst.fraction().used())
        .setLimit(worst.fraction().limit())
        .setFraction(worst.fraction().value())
        .setDailyState(ledger.getDailyState())
        .setMonthlyState(ledger.getMonthlyState())
        .setReason(reasonPrefix + reason)
        .setSince(reference)
        .setPolicyVersion(ledger.getPolicyVersion())
        .setManualReset(false)
        .build();
  }

  /** One alert per threshold the window has reached and not yet reported. */
  private void alerts(BudgetLedger ledger, BudgetPolicy policy, BudgetMath.Window window, BudgetState before,
      Instant at) {
    WindowBudget budget = BudgetMath.budget(policy, window.kind());
    UsageTotals totals = windows.get(BudgetMath.totalsKey(ledger.getTeamId(), window));
    if (budget == null || totals == null) {
      return;
    }
    BudgetMath.Fraction fraction = BudgetMath.fraction(budget, totals.getInputTokens(), totals.getOutputTokens(),
        totals.getCostMicros());
    for (double threshold : BudgetMath.thresholds(budget)) {
      String id = Alerts.id(ledger.getTeamId(), window, threshold);
      if (fraction.value() >= threshold && !ledger.getEmittedAlerts().contains(id)) {
        ledger.getEmittedAlerts().add(id);
        context.forward(new Record<>(ledger.getTeamId(), new AggregatorRecord.Alert(
            Alerts.crossed(id, ledger, window, threshold, fraction, before, at)), at.toEpochMilli()));
      }
    }
  }

  /** Whether the ledger's current window of this kind has reached the point where its budget pauses the team. */
  private boolean atPausePoint(BudgetLedger ledger, BudgetPolicy policy, WindowKind kind) {
    WindowBudget budget = BudgetMath.budget(policy, kind);
    String start = Ledgers.start(ledger, kind);
    if (budget == null || start == null) {
      return false;
    }
    UsageTotals totals = windows.get(BudgetMath.totalsKey(ledger.getTeamId(),
        BudgetMath.windowOf(kind, start, BudgetMath.zone(policy))));
    if (totals == null) {
      return false;
    }
    BudgetMath.Fraction fraction = BudgetMath.fraction(budget, totals.getInputTokens(), totals.getOutputTokens(),
        totals.getCostMicros());
    return BudgetMath.state(budget, fraction.value(), false) == BudgetState.PAUSE;
  }

  /** The window's own state on its totals (for /usage), as of now. */
  private static void annotate(UsageTotals totals, BudgetPolicy policy, BudgetLedger ledger) {
    WindowBudget budget = BudgetMath.budget(policy, totals.getWindow());
    BudgetMath.Fraction fraction = budget == null ? BudgetMath.Fraction.NONE
        : BudgetMath.fraction(budget, totals.getInputTokens(), totals.getOutputTokens(), totals.getCostMicros());
    totals.setFraction(fraction.value());
    totals.setBudgetState(BudgetMath.state(budget, fraction.value(),
        Ledgers.lifted(ledger, totals.getWindow(), totals.getWindowStart())));
  }

  private void flushTotals(long timestamp) {
    for (String key : dirty) {
      UsageTotals totals = windows.get(key);
      if (totals != null) {
        UsageTotals published = totals;
        if (totals.getWindow() == WindowKind.DAILY) {
          published = UsageTotals.newBuilder(totals).setBySession(slices.of(key)).setByHour(slices.of(hoursKey(key)))
              .build();
        }
        context.forward(new Record<>(key, new AggregatorRecord.Totals(key, published), timestamp));
      }
    }
    dirty.clear();
  }

  /** Teams without traffic move into a new day or month by wall clock, and their state follows. */
  private void rollover(long timestamp) {
    Instant now = Instant.ofEpochMilli(timestamp);
    List<KeyValue<String, BudgetLedger>> all = new ArrayList<>();
    try (KeyValueIterator<String, BudgetLedger> it = ledgers.store().all()) {
      it.forEachRemaining(all::add);
    }
    for (KeyValue<String, BudgetLedger> entry : all) {
      BudgetLedger ledger = entry.value;
      BudgetAction action = recompute(ledger, policies.get(entry.key), now, false, "new window: ");
      if (action != null) {
        context.forward(new Record<>(entry.key, new AggregatorRecord.Action(action), timestamp));
        ledgers.put(entry.key, ledger);
      }
    }
  }

  private void expire(long timestamp) {
    Instant horizon = Instant.ofEpochMilli(timestamp).minus(retention);
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, UsageTotals> it = windows.store().all()) {
      it.forEachRemaining(entry -> {
        if (entry.value.getEndTime().isBefore(horizon)) {
          old.add(entry.key);
        }
      });
    }
    for (String key : old) {
      windows.delete(key);
      slices.deleteWindow(key);
      slices.deleteWindow(hoursKey(key));
    }
  }

  /**
   * Where a daily window's hourly slices are kept in the slices store: beside its session slices, under a key whose
   * prefix scan cannot meet theirs ({@code #} is not allowed in team ids or window starts).
   */
  static String hoursKey(String windowKey) {
    return windowKey + "#hours";
  }

  /** The start of the local hour holding {@code at}, as an instant ({@code UsageTotals.byHour}'s slice names). */
  static String hourOf(Instant at, ZoneId zone) {
    return at.atZone(zone).truncatedTo(java.time.temporal.ChronoUnit.HOURS).toInstant().toString();
  }

  private BudgetLedger ledger(String team) {
    BudgetLedger ledger = ledgers.get(team);
    return ledger != null ? ledger : Ledgers.empty(team);
  }

  private void deadLetter(Record<String, AggregatorRecord.In> record, Exception error) {
    context.forward(StreamsDeadLetters.of(context, record, new AggregatorRecord.DeadLetter(record.value().value()),
        error, SERVICE, "unknown"));
  }

  /** Why a window is in its state. */
  record Explanation(BudgetState state, WindowKind kind, String start, BudgetMath.Fraction fraction) {
    static final Explanation NONE = new Explanation(BudgetState.NORMAL, null, null, BudgetMath.Fraction.NONE);

    String describe() {
      return kind == null ? "within budget"
          : kind.name().toLowerCase() + " " + start + ": " + fraction.describe() + " → " + state;
    }
  }
}
