package io.modelrouter.worker.batch;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.apache.kafka.common.header.Headers;

/**
 * Which routed requests go through their provider's batch API: priority BATCH, a deadline at least
 * {@code minDeadline} away (or none), the decision's model with a batch price in the catalog, its provider one whose
 * batch API this worker uses, no shadow call (a shadow is compared with a direct answer), and not already sent back
 * from a batch ({@value Topics#BATCH_FALLBACK_HEADER}).
 */
public final class BatchEligibility {
  private final Set<String> providers;
  private final ModelCatalog catalog;
  private final Duration minDeadline;
  private final Clock clock;

  public BatchEligibility(Set<String> providers, ModelCatalog catalog, Duration minDeadline, Clock clock) {
    this.providers = Set.copyOf(providers);
    this.catalog = catalog;
    this.minDeadline = minDeadline;
    this.clock = clock;
  }

  public boolean test(RoutedRequest routed, Headers headers) {
    if (routed.getRequest().getPriority() != Priority.BATCH || headers.lastHeader(Topics.BATCH_FALLBACK_HEADER) != null
        || routed.getDecision().getShadow() != null || !providers.contains(routed.getDecision().getProvider())) {
      return false;
    }
    ModelSpec spec = catalog.get(routed.getDecision().getModel());
    if (spec == null || spec.getBatchPriceMilli() <= 0) {
      return false;
    }
    Instant deadline = routed.getRequest().getDeadline();
    return deadline == null || !deadline.isBefore(clock.instant().plus(minDeadline));
  }
}
