package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.budget.BudgetMath;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The aggregator's clock, and the time a usage event counts at. */
final class UsageClock {
  private static final Logger LOG = LoggerFactory.getLogger(UsageClock.class);

  /** Teams already warned about a usage event dated in the future (in memory: a warning per team and process). */
  private final Set<String> skewedTeams = new HashSet<>();

  /**
   * Now, for a record: stream time (so that a backlog is judged by the times it was written at), but never past
   * this instance's wall clock. Record timestamps are the writers' clocks; one worker with a clock days ahead would
   * otherwise carry stream time, and every team's windows with it, into the future.
   */
  static Instant now(ProcessorContext<?, ?> context, long recordTimestamp) {
    long stream = Math.max(context.currentStreamTimeMs(), recordTimestamp);
    return Instant.ofEpochMilli(Math.min(stream, context.currentSystemTimeMs()));
  }

  /** The time an event counts at: its own, or now when it is dated further ahead than the clock skew tolerated. */
  Instant countedAt(UsageEvent event, Instant now) {
    if (!BudgetMath.fromTheFuture(event.getEventTime(), now)) {
      return event.getEventTime();
    }
    if (skewedTeams.add(event.getTeamId())) {
      LOG.warn("usage event {} of team {} is dated {}, more than {} after this aggregator's clock ({}): counted as "
              + "now; the writer's clock is probably wrong (logged once per team)", event.getEventId(),
          event.getTeamId(), event.getEventTime(), BudgetMath.CLOCK_SKEW_TOLERANCE, now);
    }
    return now;
  }
}
