package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.budget.ClockSkew;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/** The aggregator's clock, and the time a usage event counts at. */
final class UsageClock {
  private final ClockSkew skew = new ClockSkew("aggregator");

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
    return skew.fromTheFuture(event, now) ? now : event.getEventTime();
  }
}
