package io.modelrouter.schemas.budget;

import io.modelrouter.avro.UsageEvent;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a usage event dated further ahead of the counting service's clock than {@link BudgetMath#CLOCK_SKEW_TOLERANCE}
 * (a worker with a wrong clock), and warns about it once per team and process. Not thread-safe: one per processor.
 */
public final class ClockSkew {
  private static final Logger LOG = LoggerFactory.getLogger(ClockSkew.class);

  private final String service;
  private final Set<String> warnedTeams = new HashSet<>();

  /** @param service who counts ("router", "aggregator"), for the warning */
  public ClockSkew(String service) {
    this.service = service;
  }

  /** Whether the event is dated too far ahead of {@code now}; the first such event of a team is logged. */
  public boolean fromTheFuture(UsageEvent event, Instant now) {
    if (!BudgetMath.fromTheFuture(event.getEventTime(), now)) {
      return false;
    }
    if (warnedTeams.add(event.getTeamId())) {
      LOG.warn("usage event {} of team {} is dated {}, more than {} after this {}'s clock ({}): counted as now; the "
              + "writer's clock is probably wrong (logged once per team)", event.getEventId(), event.getTeamId(),
          event.getEventTime(), BudgetMath.CLOCK_SKEW_TOLERANCE, service, now);
    }
    return true;
  }
}
