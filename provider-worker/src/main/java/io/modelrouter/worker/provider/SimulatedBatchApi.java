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
 * every batch created, across restarts. With a directory ({@code simulator.batch.dir}), the vendor keeps each batch
 * in a file of its own there instead, so a worker process killed and started again finds them too (and a benchmark
 * can count them); its items keep what a simulated answer needs (request id, model, max tokens, input estimate), so
 * they are answered as plain text.
 */
public final class SimulatedBatchApi implements BatchApi {
  private static final Map<String, Vendor> VENDORS = new ConcurrentHashMap<>();

  private record Batch(String id, String batchId, Instant created, Instant ready, List<ProviderRequest> items) {}

  private static final class Vendor {
    final Map<String, Batch> batches = new ConcurrentHashMap<>();
    final AtomicInteger submissions = new AtomicInteger();
  }

  private final Vendor vendor;
  /** Null: the batches live in {@link #vendor}, in memory. */
  private final java.nio.file.Path dir;
  private final SimulatedProvider answers;
  private final Duration turnaround;
  private final double errored;
  private final long seed;
  private final Clock clock;
  private int minItems = 1;

  /**
   * @param vendor names the simulated vendor (workers of one group share it)
   * @param errored the fraction of items that end ERRORED, in [0, 1]
   */
  public SimulatedBatchApi(String vendor, String providerName, Duration turnaround, double errored, long seed,
      int meanOutputTokens, Clock clock) {
    this(vendor, null, providerName, turnaround, errored, seed, meanOutputTokens, clock);
  }

  /** Takes no batch of fewer requests than this (as Bedrock's batch inference does below its quota). */
  public SimulatedBatchApi minItems(int minItems) {
    if (minItems < 1) {
      throw new IllegalArgumentException("minItems must be at least 1, got " + minItems);
    }
    this.minItems = minItems;
    return this;
  }

  @Override
  public int minItems() {
    return minItems;
  }

  /** @param dir where the vendor keeps its batches, one file each; null: in memory */
  public SimulatedBatchApi(String vendor, java.nio.file.Path dir, String providerName, Duration turnaround,
      double errored, long seed, int meanOutputTokens, Clock clock) {
    if (errored < 0 || errored > 1) {
      throw new IllegalArgumentException("errored must be in [0, 1], got " + errored);
    }
    this.vendor = VENDORS.computeIfAbsent(vendor, v -> new Vendor());
    this.dir = dir;
    if (dir != null) {
      try {
        java.nio.file.Files.createDirectories(dir);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("simulator.batch.dir " + dir + ": " + e.getMessage(), e);
      }
    }
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

  /** Batches created with the simulated vendor that keeps them in this directory. */
  public static int submissions(java.nio.file.Path dir) {
    try (var files = java.nio.file.Files.list(dir)) {
      return (int) files.filter(f -> f.getFileName().toString().endsWith(".batch")).count();
    } catch (java.io.IOException e) {
      return 0;
    }
  }

  /** The request ids of every batch kept in this directory, once per batch that holds them. */
  public static List<String> requestIds(java.nio.file.Path dir) throws java.io.IOException {
    List<String> ids = new ArrayList<>();
    try (var files = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path file : files.filter(f -> f.getFileName().toString().endsWith(".batch")).toList()) {
        read(file).items().forEach(item -> ids.add(item.requestId()));
      }
    }
    return ids;
  }

  @Override
  public String submit(String batchId, List<ProviderRequest> items) throws ProviderException {
    Instant now = clock.instant();
    String id = "simbatch_" + java.util.UUID.randomUUID().toString().replace("-", "");
    Batch batch = new Batch(id, batchId, now, now.plus(turnaround), List.copyOf(items));
    if (dir != null) {
      write(dir.resolve(id + ".batch"), batch);
    } else {
      vendor.batches.put(id, batch);
    }
    vendor.submissions.incrementAndGet();
    return id;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private static void write(java.nio.file.Path file, Batch batch) throws ProviderException {
    var root = JSON.createObjectNode().put("id", batch.id()).put("batchId", batch.batchId())
        .put("created", batch.created().toEpochMilli()).put("ready", batch.ready().toEpochMilli());
    var items = root.putArray("items");
    for (ProviderRequest item : batch.items()) {
      items.addObject().put("requestId", item.requestId()).put("model", item.providerModelId())
          .put("maxTokens", item.maxTokens()).put("input", item.estimatedInputTokens());
    }
    try {
      java.nio.file.Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      java.nio.file.Files.write(temp, JSON.writeValueAsBytes(root));
      java.nio.file.Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.io.IOException e) {
      throw new ProviderException(ProviderException.Kind.SERVER_ERROR, 500, "api_error",
          "simulated: could not keep the batch: " + e.getMessage());
    }
  }

  private static Batch read(java.nio.file.Path file) throws java.io.IOException {
    var root = JSON.readTree(file.toFile());
    List<ProviderRequest> items = new ArrayList<>();
    for (var item : root.path("items")) {
      items.add(new ProviderRequest(item.path("requestId").asText(), item.path("model").asText(), null,
          List.of(new io.modelrouter.avro.Message(io.modelrouter.avro.Role.USER, "", List.of())),
          item.path("maxTokens").asInt(), null, item.path("input").asInt(), Duration.ofSeconds(60), 0));
    }
    return new Batch(root.path("id").asText(), root.path("batchId").asText(),
        Instant.ofEpochMilli(root.path("created").asLong()), Instant.ofEpochMilli(root.path("ready").asLong()), items);
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
        out.put(BatchApi.customId(batch.batchId(), i), new ItemResult(ItemStatus.ERRORED, null, "api_error",
            "simulated: the batch item failed"));
      } else {
        out.put(BatchApi.customId(batch.batchId(), i), new ItemResult(ItemStatus.SUCCEEDED,
            // drawn as the request's first direct call would be: the same answer and tokens either way
            answers.call(item.withCall(1)), null, null));
      }
    }
    return out;
  }

  @Override
  public Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known) {
    java.util.Collection<Batch> all = vendor.batches.values();
    if (dir != null) {
      all = new ArrayList<>();
      try (var files = java.nio.file.Files.list(dir)) {
        for (java.nio.file.Path file : files.filter(f -> f.getFileName().toString().endsWith(".batch")).toList()) {
          all.add(read(file));
        }
      } catch (java.io.IOException e) {
        return Optional.empty();
      }
    }
    return all.stream().filter(b -> b.batchId().equals(batchId) && !known.contains(b.id()))
        .map(Batch::id).findFirst();
  }

  private Batch batch(String providerBatchId) throws ProviderException {
    Batch batch = vendor.batches.get(providerBatchId);
    if (batch == null && dir != null && providerBatchId.matches("simbatch_[0-9a-f]+")
        && java.nio.file.Files.exists(dir.resolve(providerBatchId + ".batch"))) {
      try {
        batch = read(dir.resolve(providerBatchId + ".batch"));
      } catch (java.io.IOException e) {
        throw new ProviderException(ProviderException.Kind.SERVER_ERROR, 500, "api_error",
            "simulated: could not read the batch: " + e.getMessage());
      }
    }
    if (batch == null) {
      throw new ProviderException(ProviderException.Kind.BAD_REQUEST, 404, "not_found_error",
          "simulated: no batch " + providerBatchId + " (the simulated vendor lives in the worker's process)");
    }
    return batch;
  }
}
