package io.modelrouter.worker.batch;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Topics;
import java.time.Clock;
import java.time.Instant;
import java.util.Set;
import org.apache.kafka.common.header.Headers;

/**
 * Which routed requests go through their provider's batch API: those the router put in the batch lane
 * ({@code decision.batchApi}: its policy's {@code batchApi}, a BATCH request with room in its deadline, a model with a
 * batch price), whose provider is one whose batch API this worker uses, still before their deadline, and not already
 * sent back from a batch ({@value Topics#BATCH_FALLBACK_HEADER}), and no larger than half a batch's bytes (a batch's
 * record on {@code llm.batch.state} holds its requests and must stay under the topic's message size). The others take
 * the normal path.
 */
public final class BatchEligibility {
  private final Set<String> providers;
  private final ModelCatalog catalog;
  private final int maxItemBytes;
  private final Clock clock;

  /** @param maxItemBytes the largest routed request record that goes into a batch */
  public BatchEligibility(Set<String> providers, ModelCatalog catalog, int maxItemBytes, Clock clock) {
    this.providers = Set.copyOf(providers);
    this.catalog = catalog;
    this.maxItemBytes = maxItemBytes;
    this.clock = clock;
  }

  public boolean test(RoutedRequest routed, Headers headers, int bytes) {
    if (!routed.getDecision().getBatchApi() || bytes > maxItemBytes || headers.lastHeader(Topics.BATCH_FALLBACK_HEADER) != null
        || !providers.contains(routed.getDecision().getProvider())) {
      return false;
    }
    ModelSpec spec = catalog.get(routed.getDecision().getModel());
    Instant deadline = routed.getRequest().getDeadline();
    return spec != null && spec.getBatchPriceMilli() > 0 && (deadline == null || deadline.isAfter(clock.instant()));
  }
}
