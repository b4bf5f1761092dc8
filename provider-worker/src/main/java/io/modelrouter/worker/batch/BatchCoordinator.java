package io.modelrouter.worker.batch;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ProviderBatch;
import io.modelrouter.avro.ProviderBatchItem;
import io.modelrouter.avro.ProviderBatchState;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import io.modelrouter.worker.internal.RequestExecutor;
import io.modelrouter.worker.provider.BatchApi;
import io.modelrouter.worker.provider.ProviderException;
import io.modelrouter.worker.provider.ProviderRequest;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends BATCH requests through their providers' batch APIs, exactly once, with its state in Kafka.
 *
 * <p>The worker hands an eligible request over by writing it to {@code llm.batch.requests} (in the transaction that
 * commits its input). This coordinator reads that topic in a consumer group of its own and groups the requests of
 * each partition by provider and model into batches, closed at a count, a size or an age. Every step is one
 * transaction that also commits the group's offset of that partition (so a coordinator that lost the partition
 * cannot commit it: KIP-447 fencing):
 * <ol>
 *   <li><b>BUILT</b>: the batch with its items (the routed requests as read) goes to the compacted
 *       {@code llm.batch.state} on the same partition, and the offset moves past its items (never past an item of a
 *       batch still open);
 *   <li><b>SUBMITTED</b>: after the provider took it, with the provider's batch id;
 *   <li><b>DONE</b>: once the batch ended, every item's result and usage event (billed at the batch price) and, for
 *       an item that errored, expired or was canceled, the routed request back on {@code llm.requests.routed.batch}
 *       for the normal path, marked {@value Topics#BATCH_FALLBACK_HEADER} (or an EXPIRED result past its deadline).
 *       A batch closed with fewer requests than its provider takes ({@link BatchApi#minItems}) goes from BUILT
 *       straight to DONE that way.
 * </ol>
 * A coordinator that gets a partition reads that partition of {@code llm.batch.state} first: it polls the SUBMITTED
 * batches, and for a BUILT one asks the provider whether it was created after all ({@link BatchApi#find}) before it
 * creates it, so a batch is never created twice; items of built batches are skipped when read again.
 */
public final class BatchCoordinator implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchCoordinator.class);

  /** When a batch closes, and how often an open one is asked about. */
  public record Limits(int maxItems, int maxBytes, Duration maxAge, Duration pollInterval) {}

  private record Item(String requestId, long offset, byte[] routed) {}

  private static final class Open {
    final String provider;
    final String model;
    final List<Item> items = new ArrayList<>();
    final Instant openedAt;
    long bytes;

    Open(String provider, String model, Instant openedAt) {
      this.provider = provider;
      this.model = model;
      this.openedAt = openedAt;
    }
  }

  private static final class Live {
    ProviderBatch batch;
    /** Read back from the state topic at an assignment: a BUILT one may have been created before the stop. */
    final boolean restored;
    Instant next = Instant.MIN;

    Live(ProviderBatch batch, boolean restored) {
      this.batch = batch;
      this.restored = restored;
    }
  }

  /** What this coordinator holds of one partition. */
  private static final class Part {
    final TopicPartition partition;
    final Map<String, Open> open = new LinkedHashMap<>();
    final Map<String, Live> live = new LinkedHashMap<>();
    /** Offsets of items already in a batch (above the committed offset): skipped when read again. */
    final TreeSet<Long> claimed = new TreeSet<>();
    /** The next offset to read. */
    long position;

    Part(TopicPartition partition, long position) {
      this.partition = partition;
      this.position = position;
    }

    /** Past every item read, but never past an item of a batch still open. */
    long commitOffset() {
      long offset = position;
      for (Open batch : open.values()) {
        offset = Math.min(offset, batch.items.get(0).offset());
      }
      return offset;
    }
  }

  private final Consumer<byte[], byte[]> consumer;
  private final Supplier<Consumer<byte[], byte[]>> stateReaders;
  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final RequestExecutor executor;
  private final Map<String, BatchApi> apis;
  private final Limits limits;
  private final String instance;
  private final Clock clock;
  private final Map<TopicPartition, Part> parts = new HashMap<>();
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong fellBack = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean crashed;

  /**
   * @param consumer of {@code llm.batch.requests}: its own group, read_committed, no auto commit
   * @param stateReaders makes a consumer without a group (read_committed) to read {@code llm.batch.state}
   * @param producer transactional, its own transactional.id
   * @param apis the batch API of each provider whose requests go through one
   * @param instance names this coordinator's batches
   */
  public BatchCoordinator(Consumer<byte[], byte[]> consumer, Supplier<Consumer<byte[], byte[]>> stateReaders,
      Producer<byte[], byte[]> producer, Topics topics, RequestExecutor executor, Map<String, BatchApi> apis,
      Limits limits, String instance, Clock clock) {
    this.consumer = consumer;
    this.stateReaders = stateReaders;
    this.producer = producer;
    this.topics = topics;
    this.executor = executor;
    this.apis = Map.copyOf(apis);
    this.limits = limits;
    this.instance = instance;
    this.clock = clock;
  }

  @Override
  public void run() {
    try {
      producer.initTransactions();
      consumer.subscribe(List.of(topics.batchRequests().name()), new Rebalance());
      while (running) {
        Set<TopicPartition> held = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          Part part = parts.get(partition);
          if (part == null || held.contains(partition)) {
            continue;
          }
          try {
            read(part, record);
          } catch (SchemaSerdeException e) {
            if (e.isRetryable()) {
              // The registry is away: read the record again later, keeping its place
              LOG.warn("{}@{} waits for the schema registry: {}", partition, record.offset(), e.getMessage());
              consumer.seek(partition, record.offset());
              held.add(partition);
            } else {
              deadLetter(part, record, e);
            }
          } catch (RuntimeException e) {
            deadLetter(part, record, e);
          }
          if (!current(part)) {
            // a failed transaction made it read its state again and seek back: this poll's other records wait
            held.add(partition);
          }
        }
        for (Part part : new ArrayList<>(parts.values())) {
          step(part);
        }
      }
    } catch (WakeupException e) {
      // stopping
    } catch (KafkaException e) {
      if (running) {
        LOG.error("batch coordinator failed; stopping (its batches resume at the next start)", e);
      }
    } finally {
      try {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(
            crashed ? Duration.ZERO : Duration.ofSeconds(5)));
      } catch (RuntimeException e) {
        LOG.debug("closing the batch consumer: {}", e.toString());
      }
      try {
        producer.close(crashed ? Duration.ZERO : Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debug("closing the batch producer: {}", e.toString());
      }
    }
  }

  /** Stops after its current step; open batches are built again by the next owner. */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  /** Stops without closing anything cleanly: for recovery tests. */
  public void crash() {
    crashed = true;
    stop();
  }

  /** Batches created with a provider by this coordinator. */
  public long submitted() {
    return submitted.get();
  }

  /** Requests answered through a batch. */
  public long answered() {
    return answered.get();
  }

  /** Requests sent back to the normal path (their batch item errored, expired or was canceled, or the batch failed). */
  public long fellBack() {
    return fellBack.get();
  }

  private void read(Part part, ConsumerRecord<byte[], byte[]> record) {
    if (part.claimed.contains(record.offset())) {
      part.position = record.offset() + 1;
      return;
    }
    // Decoded before the position moves past it: a record waiting for the registry is never committed unread
    RoutedRequest routed = topics.batchRequests().deserializeValue(record.value());
    part.position = record.offset() + 1;
    String provider = routed.getDecision().getProvider();
    String model = routed.getDecision().getModel();
    Open batch = part.open.computeIfAbsent(provider + "|" + model, k -> new Open(provider, model, clock.instant()));
    batch.items.add(new Item(routed.getRequest().getRequestId(), record.offset(), record.value()));
    batch.bytes += record.value().length;
    if (batch.items.size() >= limits.maxItems() || batch.bytes >= limits.maxBytes()) {
      build(part, batch);
    }
  }

  /** A record no batch can take (another writer's): to the DLQ, with its headers, in the offset's transaction. */
  private void deadLetter(Part part, ConsumerRecord<byte[], byte[]> record, Exception error) {
    LOG.warn("{}-{}@{} sent to the DLQ: {}", record.topic(), record.partition(), record.offset(),
        DeadLetters.describe(error));
    part.position = record.offset() + 1;
    transact(part, List.of(DeadLetters.record(topics.dlq().name(),
        new DeadLetters.Source(record.topic(), record.partition(), record.offset()), record.key(), record.value(),
        record.headers(), error, "worker-batch", clock.millis())));
  }

  /** Whether this is still what the coordinator holds of its partition (not revoked, not read again after a failure). */
  private boolean current(Part part) {
    return parts.get(part.partition) == part;
  }

  private void step(Part part) {
    Instant now = clock.instant();
    for (Open batch : new ArrayList<>(part.open.values())) {
      if (current(part) && !now.isBefore(batch.openedAt.plus(limits.maxAge()))) {
        build(part, batch);
      }
    }
    for (Live live : new ArrayList<>(part.live.values())) {
      if (!current(part)) {
        // revoked, or a failed transaction made it read its state again: that copy is the one to go on with
        return;
      }
      if (now.isBefore(live.next)) {
        continue;
      }
      try {
        if (live.batch.getState() == ProviderBatchState.BUILT) {
          submit(part, live);
        } else {
          poll(part, live);
        }
      } catch (ProviderException e) {
        if (e.kind() == ProviderException.Kind.BAD_REQUEST || e.kind() == ProviderException.Kind.AUTH
            || e.kind() == ProviderException.Kind.NOT_CONFIGURED) {
          // The provider will not take or does not know the batch: its items go to the normal path
          LOG.warn("batch {} ({}): {}; its {} request(s) go to the normal path", live.batch.getBatchId(),
              live.batch.getProvider(), e.getMessage(), live.batch.getItems().size());
          done(part, live, Map.of(), "failed: " + e.getMessage());
        } else {
          live.next = clock.instant().plus(limits.pollInterval());
          LOG.warn("batch {} ({}): {}; trying again in {}", live.batch.getBatchId(), live.batch.getProvider(),
              e.getMessage(), limits.pollInterval());
        }
      }
    }
  }

  /** Closes an open batch: BUILT, with its items, in the transaction that moves the offset past them. */
  private void build(Part part, Open batch) {
    part.open.values().remove(batch);
    List<ProviderBatchItem> items = new ArrayList<>();
    for (Item item : batch.items) {
      items.add(new ProviderBatchItem(item.requestId(), item.offset(), ByteBuffer.wrap(item.routed())));
      part.claimed.add(item.offset());
    }
    ProviderBatch record = ProviderBatch.newBuilder()
        .setBatchId(instance + "-" + part.partition.partition() + "-" + batch.items.get(0).offset())
        .setProvider(batch.provider)
        .setModel(batch.model)
        .setState(ProviderBatchState.BUILT)
        .setBuiltAt(clock.instant())
        .setItems(items)
        .build();
    if (transact(part, List.of(state(part, record)))) {
      part.live.put(record.getBatchId(), new Live(record, false));
      LOG.info("batch {} built: {} request(s) for {}/{}", record.getBatchId(), items.size(), batch.provider,
          batch.model);
    }
  }

  private void submit(Part part, Live live) throws ProviderException {
    ProviderBatch batch = live.batch;
    BatchApi api = apis.get(batch.getProvider());
    if (api == null) {
      throw new ProviderException(ProviderException.Kind.NOT_CONFIGURED, null, "no_batch_api",
          "provider " + batch.getProvider() + " has no batch API on this worker");
    }
    if (batch.getItems().size() < api.minItems()) {
      // The provider takes no batch this small (Bedrock's minimum records per job): the normal path, at once
      LOG.info("batch {} has {} request(s), fewer than the {} {} takes in a batch: they go to the normal path",
          batch.getBatchId(), batch.getItems().size(), api.minItems(), batch.getProvider());
      done(part, live, Map.of(), "fewer than the provider's minimum of " + api.minItems() + " requests");
      return;
    }
    List<ProviderRequest> requests = new ArrayList<>();
    for (ProviderBatchItem item : batch.getItems()) {
      ProviderRequest request = executor.batchItem(decode(item));
      if (request == null) {
        throw new ProviderException(ProviderException.Kind.NOT_CONFIGURED, null, "no_provider",
            "provider " + batch.getProvider() + " is not configured on this worker");
      }
      requests.add(request);
    }
    String providerBatchId = null;
    if (live.restored) {
      Set<String> known = new HashSet<>();
      parts.values().forEach(p -> p.live.values().forEach(l -> {
        if (l.batch.getProviderBatchId() != null) {
          known.add(l.batch.getProviderBatchId());
        }
      }));
      providerBatchId = api.find(batch.getBatchId(), batch.getBuiltAt(), requests.size(), known).orElse(null);
      if (providerBatchId != null) {
        LOG.info("batch {} was created before the stop, as {}: not created again", batch.getBatchId(),
            providerBatchId);
      }
    }
    if (providerBatchId == null) {
      providerBatchId = api.submit(batch.getBatchId(), requests);
      submitted.incrementAndGet();
    }
    ProviderBatch next = ProviderBatch.newBuilder(batch).setState(ProviderBatchState.SUBMITTED)
        .setProviderBatchId(providerBatchId).setSubmittedAt(clock.instant()).build();
    if (transact(part, List.of(state(part, next)))) {
      live.batch = next;
      live.next = clock.instant().plus(limits.pollInterval());
      LOG.info("batch {} submitted to {} as {}", batch.getBatchId(), batch.getProvider(), providerBatchId);
    }
  }

  private void poll(Part part, Live live) throws ProviderException {
    BatchApi api = apis.get(live.batch.getProvider());
    if (api == null) {
      throw new ProviderException(ProviderException.Kind.NOT_CONFIGURED, null, "no_batch_api",
          "provider " + live.batch.getProvider() + " has no batch API on this worker");
    }
    BatchApi.Status status = api.status(live.batch.getProviderBatchId());
    if (!status.ended()) {
      live.next = clock.instant().plus(limits.pollInterval());
      return;
    }
    done(part, live, api.results(live.batch.getProviderBatchId()), status.detail());
  }

  /**
   * The batch ended (or failed): each item's result and usage event, or its way back to the normal path, and the
   * batch DONE, in one transaction.
   */
  private void done(Part part, Live live, Map<String, BatchApi.ItemResult> results, String detail) {
    ProviderBatch batch = live.batch;
    Instant now = clock.instant();
    Duration elapsed = Duration.between(batch.getSubmittedAt() == null ? batch.getBuiltAt() : batch.getSubmittedAt(),
        now);
    List<ProducerRecord<byte[], byte[]>> outputs = new ArrayList<>();
    int ok = 0;
    int back = 0;
    List<ProviderBatchItem> items = batch.getItems();
    for (int i = 0; i < items.size(); i++) {
      ProviderBatchItem item = items.get(i);
      RoutedRequest routed = decode(item);
      BatchApi.ItemResult result = results.get(BatchApi.customId(batch.getBatchId(), i));
      String nonConforming = null;
      if (result != null && result.status() == BatchApi.ItemStatus.SUCCEEDED) {
        RequestExecutor.Outcome outcome = executor.batchAnswer(routed, result.response(),
            batch.getProviderBatchId(), elapsed);
        // billed either way
        for (UsageEvent event : outcome.usage()) {
          outputs.add(new ProducerRecord<>(topics.usage().name(), topics.usage().serializeKey(event.getTeamId()),
              topics.usage().serializeValue(event)));
        }
        nonConforming = executor.nonConformingAnswer(routed, result.response());
        if (nonConforming == null) {
          outputs.add(result(outcome.result()));
          ok++;
          continue;
        }
      }
      // An answer that does not conform to the response format is asked again by a direct call, as the normal path
      // asks again once
      String reason = nonConforming != null ? nonConforming : result == null ? "no result (" + detail + ")"
          : result.status().name().toLowerCase(java.util.Locale.ROOT)
              + (result.errorMessage() == null ? "" : ": " + result.errorType() + ": " + result.errorMessage());
      Instant deadline = routed.getRequest().getDeadline();
      if (deadline != null && !now.isBefore(deadline)) {
        outputs.add(result(Results.unanswered(routed.getRequest().getRequestId(), routed.getRequest().getTeamId(),
            routed.getRequest(), ResultStatus.EXPIRED, "DEADLINE_EXCEEDED", "the deadline " + deadline
                + " passed while the request was in batch " + batch.getBatchId() + " (" + reason + ")",
            routed.getDecision().getReason(), routed.getDecision().getPolicyVersion(), 0, now)));
        continue;
      }
      ProducerRecord<byte[], byte[]> again = new ProducerRecord<>(topics.routedBatch().name(),
          topics.routedBatch().serializeKey(routed.getRequest().getTeamId()), item.getRouted().array());
      again.headers().add(Topics.BATCH_FALLBACK_HEADER,
          (batch.getBatchId() + ": " + reason).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      outputs.add(again);
      back++;
    }
    String outcome = String.format(java.util.Locale.ROOT, "%s; %d answered, %d to the normal path, %d expired",
        detail, ok, back, items.size() - ok - back);
    long lastItem = items.get(items.size() - 1).getOffset();
    List<ProviderBatchItem> kept = new ArrayList<>();
    items.forEach(i -> kept.add(new ProviderBatchItem(i.getRequestId(), i.getOffset(), null)));
    ProviderBatch next = ProviderBatch.newBuilder(batch).setState(ProviderBatchState.DONE).setEndedAt(now)
        .setOutcome(outcome).setItems(kept).build();
    // Once the committed offset is past its items, nothing needs the batch's record any more: a tombstone
    boolean forget = part.commitOffset() > lastItem;
    outputs.add(forget ? new ProducerRecord<>(topics.batchState().name(), part.partition.partition(),
        topics.batchState().serializeKey(batch.getBatchId()), null) : state(part, next));
    if (transact(part, outputs)) {
      part.live.remove(batch.getBatchId());
      answered.addAndGet(ok);
      fellBack.addAndGet(back);
      LOG.info("batch {} done: {}", batch.getBatchId(), outcome);
    }
  }

  private ProducerRecord<byte[], byte[]> result(InferenceResult result) {
    return new ProducerRecord<>(topics.results().name(), topics.results().serializeKey(result.getTeamId()),
        topics.results().serializeValue(result));
  }

  private ProducerRecord<byte[], byte[]> state(Part part, ProviderBatch batch) {
    return new ProducerRecord<>(topics.batchState().name(), part.partition.partition(),
        topics.batchState().serializeKey(batch.getBatchId()), topics.batchState().serializeValue(batch));
  }

  private RoutedRequest decode(ProviderBatchItem item) {
    return topics.batchRequests().deserializeValue(item.getRouted().array());
  }

  /**
   * One transaction: the records and this partition's offset. False when it failed: the partition is then read
   * again from the state topic and its committed offset, as after an assignment.
   */
  private boolean transact(Part part, List<ProducerRecord<byte[], byte[]>> records) {
    try {
      producer.beginTransaction();
      for (ProducerRecord<byte[], byte[]> record : records) {
        producer.send(record);
      }
      producer.sendOffsetsToTransaction(Map.of(part.partition, new OffsetAndMetadata(part.commitOffset())),
          consumer.groupMetadata());
      io.modelrouter.worker.internal.TransactionCommit.commit(producer, () -> running && !crashed);
      part.claimed.headSet(part.commitOffset()).clear();
      return true;
    } catch (org.apache.kafka.common.errors.ProducerFencedException e) {
      throw e;
    } catch (KafkaException e) {
      // InvalidProducerEpochException included: a transaction aborted for its age is aborted here too, and the
      // producer goes on (TransactionCommitIT)
      LOG.warn("batch coordinator transaction on {} failed ({}); reading its state again", part.partition,
          e.toString());
      try {
        producer.abortTransaction();
      } catch (KafkaException ignored) {
        // the next beginTransaction says whether the producer can go on
      }
      if (parts.containsKey(part.partition)) {
        assign(List.of(part.partition));
      }
      return false;
    }
  }

  /** Reads the partitions' batches back from the state topic and starts reading them at their committed offset. */
  private void assign(Collection<TopicPartition> assigned) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(assigned));
    try (Consumer<byte[], byte[]> reader = stateReaders.get()) {
      for (TopicPartition partition : assigned) {
        OffsetAndMetadata offset = committed.get(partition);
        long start = offset == null ? 0 : offset.offset();
        Part part = new Part(partition, start);
        TopicPartition state = new TopicPartition(topics.batchState().name(), partition.partition());
        reader.assign(List.of(state));
        reader.seekToBeginning(List.of(state));
        long end = reader.endOffsets(List.of(state)).get(state);
        Map<String, ProviderBatch> latest = new LinkedHashMap<>();
        while (reader.position(state) < end) {
          for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
            String key = topics.batchState().deserializeKey(record.key());
            if (record.value() == null) {
              latest.remove(key);
            } else {
              latest.put(key, topics.batchState().deserializeValue(record.value()));
            }
          }
        }
        for (ProviderBatch batch : latest.values()) {
          batch.getItems().forEach(item -> {
            if (item.getOffset() >= start) {
              part.claimed.add(item.getOffset());
            }
          });
          if (batch.getState() != ProviderBatchState.DONE) {
            part.live.put(batch.getBatchId(), new Live(batch, batch.getState() == ProviderBatchState.BUILT));
          }
        }
        consumer.seek(partition, start);
        parts.put(partition, part);
        if (!part.live.isEmpty()) {
          LOG.info("{}: resuming {} batch(es) from {}", partition, part.live.size(), topics.batchState().name());
        }
      }
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      // Open batches are not kept: their items are above the committed offset, and the next owner builds them
      revoked.forEach(parts::remove);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      lost.forEach(parts::remove);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      if (!assigned.isEmpty()) {
        assign(assigned);
      }
    }
  }
}
