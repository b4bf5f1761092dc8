package io.modelrouter.worker.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulated provider's batch API: a batch ends {@code turnaround} after it is created, and its items are then
 * answered as the simulated provider answers calls (without latency or faults), except a seeded fraction that ends
 * ERRORED. The simulated vendor is shared by every worker of a group in this JVM ({@code vendor}), so a worker
 * restarted in the same JVM finds the batches its previous incarnation created, and {@link #submissions} counts
 * every batch created, across restarts. A worker started in a new process finds none: its unknown batches end as
 * failed, and their items go to the normal path.
 */
public final class SimulatedBatchApi implements BatchApi {
  private static final Map<String, Vendor> VENDORS = new ConcurrentHashMap<>();

  private record Batch(String id, String batchId, Instant created, Instant ready, List<ProviderRequest> items) {}

  private static final class Vendor {
    final Map<String, Batch> batches = new ConcurrentHashMap<>();
    final AtomicInteger submissions = new AtomicInteger();
  }

  private final Vendor vendor;
  private final SimulatedProvider answers;
  private final Duration turnaround;
  private final double errored;
  private final long seed;
  private final Clock clock;

  /**
   * @param vendor names the simulated vendor (workers of one group share it)
   * @param errored the fraction of items that end ERRORED, in [0, 1]
   */
  public SimulatedBatchApi(String vendor, String providerName, Duration turnaround, double errored, long seed,
      int meanOutputTokens, Clock clock) {
    if (errored < 0 || errored > 1) {
      throw new IllegalArgumentException("errored must be in [0, 1], got " + errored);
    }
    this.vendor = VENDORS.computeIfAbsent(vendor, v -> new Vendor());
    this.answers = new SimulatedProvider(providerName,
        new SimulatedProvider.Behaviour(Duration.ZERO, 0, meanOutputTokens, seed), SimulatedProvider.Faults.NONE);
    this.turnaround = turnaround;
    this.errored = errored;
    this.seed = seed;
    this.clock = clock;
  }

  /** Batches created so far with this simulated vendor. */
  public static int submissions(String vendor) {
    Vendor known = VENDORS.get(vendor);
    return known == null ? 0 : known.submissions.get();
  }

  @Override
  public String submit(String batchId, List<ProviderRequest> items) {
    Instant now = clock.instant();
    String id = "simbatch_" + vendor.submissions.incrementAndGet() + "_" + Long.toHexString(now.toEpochMilli());
    vendor.batches.put(id, new Batch(id, batchId, now, now.plus(turnaround), List.copyOf(items)));
    return id;
  }

  @Override
  public Status status(String providerBatchId) throws ProviderException {
    Batch batch = batch(providerBatchId);
    boolean ended = !clock.instant().isBefore(batch.ready());
    return new Status(ended, (ended ? "ended" : "in_progress") + ", " + batch.items().size() + " request(s)");
  }

  @Override
  public Map<String, ItemResult> results(String providerBatchId) throws ProviderException {
    Batch batch = batch(providerBatchId);
    Map<String, ItemResult> out = new LinkedHashMap<>();
    List<ProviderRequest> items = new ArrayList<>(batch.items());
    for (int i = 0; i < items.size(); i++) {
      ProviderRequest item = items.get(i);
      SplittableRandom random = new SplittableRandom(seed ^ item.requestId().hashCode() ^ 0x5DEECE66DL);
      if (random.nextDouble() < errored) {
        out.put(BatchApi.customId(i), new ItemResult(ItemStatus.ERRORED, null, "api_error",
            "simulated: the batch item failed"));
      } else {
        out.put(BatchApi.customId(i), new ItemResult(ItemStatus.SUCCEEDED,
            // drawn as the request's first direct call would be: the same answer and tokens either way
            answers.call(item.withCall(1)), null, null));
      }
    }
    return out;
  }

  @Override
  public Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known) {
    return vendor.batches.values().stream().filter(b -> b.batchId().equals(batchId) && !known.contains(b.id()))
        .map(Batch::id).findFirst();
  }

  private Batch batch(String providerBatchId) throws ProviderException {
    Batch batch = vendor.batches.get(providerBatchId);
    if (batch == null) {
      throw new ProviderException(ProviderException.Kind.BAD_REQUEST, 404, "not_found_error",
          "simulated: no batch " + providerBatchId + " (the simulated vendor lives in the worker's process)");
    }
    return batch;
  }
}
