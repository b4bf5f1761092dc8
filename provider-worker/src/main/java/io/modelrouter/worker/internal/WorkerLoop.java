package io.modelrouter.worker.internal;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.schemas.Results;
import io.modelrouter.runtime.Phases;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's poll thread. It reads routed requests, runs each on a virtual thread (thousands in flight per
 * partition), and every commit interval writes, in one transaction, the outputs of the requests that finished
 * (results, dead letters) together with the input offsets and the completed-offsets metadata
 * ({@link PartitionProgress}). A read_committed consumer therefore sees each request's result exactly once, also
 * across crashes and rebalances.
 *
 * <p>Usage events are not part of that transaction: each provider call's event is written by an idempotent
 * producer of its own as soon as the call returns, and a request's result is committed only once its usage events
 * are acknowledged. A worker that dies therefore loses no billed call, except one whose event it had not yet handed
 * to the broker; the request is executed again by the next owner, and those calls, billed again, get events of
 * their own (ids {@code <requestId>#<call>@<execution>}, so the two executions never share an id).
 *
 * <p>When a partition is revoked, the loop waits (up to the drain timeout) for its requests in flight and commits
 * them before letting it go; requests still running after that are abandoned to the new owner (their calls' usage is
 * still written). Backpressure: past {@code maxInFlight} fetched records wait in a small buffer per partition (a
 * partition with enough waiting is paused), and start as slots free up, round-robin across partitions.
 */
public final class WorkerLoop implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerLoop.class);
  /** Below the broker's default offset.metadata.max.bytes (4096), with room to spare. */
  static final int MAX_METADATA_CHARS = 3_500;
  static final String SERVICE = "worker";

  /** A request's result, or a dead letter, for one input record. */
  /**
   * A finished request: its outputs, for the partition's progress it was dispatched under ({@code owner}; null until
   * set by the dispatch).
   */
  private record Completion(TopicPartition partition, long offset, List<Object> outputs, PartitionProgress owner) {
    Completion(TopicPartition partition, long offset, List<Object> outputs) {
      this(partition, offset, outputs, null);
    }

    Completion ownedBy(PartitionProgress progress) {
      return new Completion(partition, offset, outputs, progress);
    }
  }

  private final Consumer<byte[], byte[]> consumer;
  private final Supplier<Producer<byte[], byte[]>> producers;
  private Producer<byte[], byte[]> producer;
  private final UsageWriter usage;
  private final Topics topics;
  private final RequestExecutor executor;
  private final int maxInFlight;
  private final int maxRecordBytes;
  private final Duration commitInterval;
  private final Duration drainTimeout;
  private final Clock clock;
  private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentLinkedQueue<Completion> completions = new ConcurrentLinkedQueue<>();
  private final Map<TopicPartition, PartitionProgress> partitions = new HashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private volatile boolean running = true;
  /** Decodes that waited for the schema registry (every 100th is logged). */
  private final java.util.concurrent.atomic.AtomicLong registryWaits = new java.util.concurrent.atomic.AtomicLong();
  private static final Duration REGISTRY_RETRY_FIRST = Duration.ofMillis(200);
  private static final Duration REGISTRY_RETRY_MAX = Duration.ofSeconds(5);
  private volatile boolean crashed;
  private final AtomicInteger inFlightBatch = new AtomicInteger();
  /**
   * Records fetched and not started yet, per partition, in offset order. A partition with {@link #prefetch} of them is
   * paused (the consumer fetches no more of it) until it is under that again; records are never fetched twice.
   */
  private final Map<TopicPartition, java.util.ArrayDeque<ConsumerRecord<byte[], byte[]>>> pending = new HashMap<>();
  /** Where the next round-robin pass over the partitions with pending records starts. */
  private int turn;
  private final int prefetch;
  private int batchMax;
  private Instant lastCommit;

  /**
   * @param producers makes the transactional producer (always with the same transactional.id); called again when a
   *     producer fails beyond abort, since only a new one (a new epoch) can go on
   * @param usage the usage events' writer (an idempotent, non-transactional producer, acks=all)
   */
  private io.modelrouter.runtime.Tracing tracing = io.modelrouter.runtime.Tracing.disabled();
  /** Told the partitions this worker owns and how many there are, after each rebalance (cluster-wide rates). */
  private java.util.function.BiConsumer<Integer, Integer> ownership = (owned, total) -> { };

  /** Called with (owned, total) partitions of the routed topic after each rebalance. */
  public WorkerLoop ownership(java.util.function.BiConsumer<Integer, Integer> listener) {
    this.ownership = listener;
    return this;
  }

  private void reportOwnership() {
    try {
      var infos = consumer.partitionsFor(topics.routed().name());
      int owned = (int) partitions.keySet().stream().filter(p -> p.topic().equals(topics.routed().name())).count();
      ownership.accept(owned, infos == null ? owned : infos.size());
    } catch (RuntimeException e) {
      LOG.warn("could not count the partitions of {}: {}", topics.routed().name(), e.toString());
    }
  }

  /**
   * The BATCH lane's share of {@code maxInFlight}: its partitions are read only while fewer batch requests than that
   * are in flight (and the worker is not full), so the INTERACTIVE lane always has the rest.
   */
  public WorkerLoop batchLane(int batchMaxInFlight) {
    this.batchMax = Math.max(1, Math.min(batchMaxInFlight, maxInFlight));
    return this;
  }

  private io.modelrouter.worker.batch.BatchEligibility batchApi;

  /** The BATCH requests to hand to the batch coordinator (to go through their provider's batch API). */
  public WorkerLoop batchApi(io.modelrouter.worker.batch.BatchEligibility eligibility) {
    this.batchApi = eligibility;
    return this;
  }

  /** Tracing: a span per request and one per provider call, under the request's trace. */
  public WorkerLoop tracing(io.modelrouter.runtime.Tracing tracing) {
    this.tracing = tracing;
    return this;
  }

  public WorkerLoop(Consumer<byte[], byte[]> consumer, Supplier<Producer<byte[], byte[]>> producers,
      UsageWriter usage, Topics topics, RequestExecutor executor, int maxInFlight,
      int maxRecordBytes, Duration commitInterval, Duration drainTimeout, Clock clock) {
    this.consumer = consumer;
    this.producers = producers;
    this.producer = producers.get();
    this.usage = usage;
    this.topics = topics;
    this.executor = executor;
    this.maxInFlight = maxInFlight;
    this.maxRecordBytes = maxRecordBytes;
    this.commitInterval = commitInterval;
    this.drainTimeout = drainTimeout;
    this.clock = clock;
    this.batchMax = Math.max(1, maxInFlight / 2);
    // Enough to fill the slots that free up while the next fetch is on its way; at most a poll's worth (1,000)
    this.prefetch = Math.max(64, Math.min(maxInFlight, 1_000));
  }

  @Override
  public void run() {
    try {
      producer.initTransactions();
      Phases.mark(SERVICE, "transactions");
      consumer.subscribe(List.of(topics.routed().name(), topics.routedBatch().name()), new Rebalance());
      lastCommit = clock.instant();
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          if (partitions.containsKey(partition)) {
            pending.computeIfAbsent(partition, p -> new java.util.ArrayDeque<>()).addLast(record);
          }
        }
        drainCompletions();
        dispatchPending();
        if (!Duration.between(lastCommit, clock.instant()).minus(commitInterval).isNegative()) {
          commit();
        }
        backpressure();
      }
      if (!crashed) {
        shutdown();
      }
    } catch (WakeupException e) {
      if (!crashed) {
        shutdown();
      }
    } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
      LOG.error("worker fenced (another instance with the same worker.instance.id took over, or its producer "
          + "could not go on); stopping", e);
    } catch (RuntimeException e) {
      LOG.error("worker loop failed; stopping", e);
      throw e;
    } finally {
      requests.shutdownNow();
      closeQuietly();
    }
  }

  private void dispatch(ConsumerRecord<byte[], byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionProgress progress = partitions.get(partition);
    if (progress == null) {
      return;
    }
    if (progress.alreadyDone(record.offset())) {
      progress.skipped(record.offset());
      return;
    }
    progress.started(record.offset());
    inFlight.incrementAndGet();
    if (isBatch(partition)) {
      inFlightBatch.incrementAndGet();
    }
    requests.execute(() -> completions.add(process(partition, record).ownedBy(progress)));
  }

  /** Runs on the request's virtual thread: decode, execute, serialize the outputs. Never throws. */
  private Completion process(TopicPartition partition, ConsumerRecord<byte[], byte[]> record) {
    RoutedRequest decoded = null;
    long wait = REGISTRY_RETRY_FIRST.toMillis();
    while (decoded == null) {
      try {
        decoded = record.value() == null ? null : topics.routed().deserializeValue(record.value());
        if (decoded == null) {
          throw new IllegalArgumentException("a routed-request record has no value (tombstone)");
        }
      } catch (SchemaSerdeException e) {
        if (!e.isRetryable()) {
          return deadLetter(partition, record, e);
        }
        // The registry is down, not the record: wait for it and read the record again (a schema this worker has
        // not cached yet). The request keeps its place; if its partition goes meanwhile, the new owner reads it.
        if (registryWaits.getAndIncrement() % 100 == 0) {
          LOG.warn("record {}-{}@{} waits for the schema registry (retrying every {} ms at most): {}",
              record.topic(), record.partition(), record.offset(), REGISTRY_RETRY_MAX.toMillis(), e.getMessage());
        }
        try {
          Thread.sleep(wait);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          // The loop is over: nothing reads this completion, and the record's offset was never committed
          return new Completion(partition, record.offset(), List.of());
        }
        wait = Math.min(wait * 2, REGISTRY_RETRY_MAX.toMillis());
      } catch (RuntimeException e) {
        return deadLetter(partition, record, e);
      }
    }
    RoutedRequest routed = decoded;
    if (record.value().length > maxRecordBytes) {
      // Only a router with a larger router.max.request.bytes, or another writer, sends one: answered, never called
      return result(partition, record.offset(), unanswered(routed, record, ResultStatus.REJECTED, "REQUEST_TOO_LARGE",
          String.format(java.util.Locale.ROOT, "the routed request record is %,d bytes, more than the worker's limit "
              + "of %,d bytes (worker.max.record.bytes)", record.value().length, maxRecordBytes)));
    }
    if (batchApi != null && isBatch(partition) && batchApi.test(routed, record.headers(), record.value().length)) {
      // Handed to the batch coordinator, in this record's transaction: it answers the request once its batch ends
      return new Completion(partition, record.offset(), List.of(new ProducerRecord<>(topics.batchRequests().name(),
          null, record.key(), record.value(), record.headers())));
    }
    UsageWriter.Request calls = usage.request();
    io.opentelemetry.api.trace.Span span = null;
    org.apache.kafka.common.header.internals.RecordHeaders trace = null;
    if (tracing.enabled()) {
      span = tracing.tracer().spanBuilder("execute").setParent(tracing.extract(record.headers()))
          .setSpanKind(io.opentelemetry.api.trace.SpanKind.CONSUMER)
          .setAttribute("messaging.system", "kafka")
          .setAttribute("messaging.destination.name", record.topic())
          .setAttribute("model_router.team", String.valueOf(routed.getRequest().getTeamId()))
          .setAttribute("model_router.request_id", String.valueOf(routed.getRequest().getRequestId()))
          .setAttribute("model_router.profile", routed.getDecision().getProfile())
          .startSpan();
      trace = new org.apache.kafka.common.header.internals.RecordHeaders();
      tracing.inject(io.opentelemetry.context.Context.root().with(span), trace);
      calls.trace(trace);
    }
    // A shadowed request's shadow call runs beside the real one, so that it does not delay the real answer
    java.util.concurrent.Future<InferenceResult> shadow = routed.getDecision().getShadow() == null ? null
        : requests.submit(() -> Shadow.execute(executor, routed, usage.executionId(), calls));
    InferenceResult result;
    try {
      result = executor.execute(routed, usage.executionId(), calls).result();
    } catch (RuntimeException e) {
      LOG.error("request {} failed inside the worker", routed.getRequest().getRequestId(), e);
      result = failed(routed, record, "INTERNAL_ERROR", e);
    }
    InferenceResult shadowResult = shadow == null ? null : Shadow.await(shadow, routed);
    if (span != null) {
      callSpans(span, result);
      span.setAttribute("model_router.status", result.getStatus().name());
      if (result.getErrorCode() != null) {
        span.setAttribute("error.type", result.getErrorCode());
      }
      span.end();
    }
    // The result is committed only after the broker has every usage event of the request (its shadow call's too).
    calls.awaitWritten();
    Completion completion = result(partition, record.offset(), result, ImplicitFeedback.of(routed, result));
    if (trace != null) {
      for (Object output : completion.outputs()) {
        for (org.apache.kafka.common.header.Header header : trace) {
          cast(output).headers().add(header);
        }
      }
    }
    if (shadowResult == null) {
      return completion;
    }
    List<Object> outputs = new java.util.ArrayList<>(completion.outputs());
    outputs.add(new ProducerRecord<>(topics.shadowResults().name(),
        topics.shadowResults().serializeKey(shadowResult.getTeamId()), topics.shadowResults().serializeValue(shadowResult)));
    return new Completion(partition, record.offset(), outputs);
  }

  /**
   * One span per provider call of the result (each attempt, with its own start and duration), children of the
   * request's span, with the OpenTelemetry GenAI attributes; no prompt or completion text.
   */
  private void callSpans(io.opentelemetry.api.trace.Span parent, InferenceResult result) {
    io.opentelemetry.context.Context context = io.opentelemetry.context.Context.root().with(parent);
    for (io.modelrouter.avro.Attempt attempt : result.getAttempts()) {
      java.time.Instant start = attempt.getStartedAt() == null ? clock.instant() : attempt.getStartedAt();
      io.opentelemetry.api.trace.Span call = tracing.tracer().spanBuilder("chat " + attempt.getModel())
          .setParent(context)
          .setSpanKind(io.opentelemetry.api.trace.SpanKind.CLIENT)
          .setStartTimestamp(start)
          .setAttribute("gen_ai.operation.name", "chat")
          .setAttribute("gen_ai.provider.name", attempt.getProvider())
          .setAttribute("gen_ai.request.model", attempt.getModel())
          .setAttribute("gen_ai.usage.input_tokens", attempt.getInputTokens())
          .setAttribute("gen_ai.usage.output_tokens", attempt.getOutputTokens())
          .startSpan();
      if (attempt.getOutcome() == io.modelrouter.avro.AttemptOutcome.OK) {
        call.setAttribute("gen_ai.response.model", attempt.getModel());
        if (result.getStopReason() != null && attempt.getModel().equals(result.getModel())) {
          call.setAttribute(io.opentelemetry.api.common.AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"),
              List.of(result.getStopReason()));
          call.setAttribute("gen_ai.usage.cache_read.input_tokens", result.getUsage().getCachedInputTokens());
          call.setAttribute("gen_ai.usage.cache_creation.input_tokens", result.getUsage().getCacheWriteTokens()
              + result.getUsage().getCacheWrite1hTokens());
        }
      } else {
        call.setAttribute("error.type", attempt.getErrorCode() != null ? attempt.getErrorCode()
            : attempt.getOutcome().name());
        call.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
      }
      call.end(start.plusMillis(attempt.getLatencyMs()));
    }
  }

  private Completion result(TopicPartition partition, long offset, InferenceResult result) {
    return result(partition, offset, result, null);
  }

  /** The result, and the implicit feedback it carries (if any) in the same transaction. */
  private Completion result(TopicPartition partition, long offset, InferenceResult result, FeedbackEvent feedback) {
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(topics.results().name(),
        topics.results().serializeKey(result.getTeamId()), topics.results().serializeValue(result));
    if (feedback == null) {
      return new Completion(partition, offset, List.of(out));
    }
    return new Completion(partition, offset, List.of(out, new ProducerRecord<>(topics.feedback().name(),
        topics.feedback().serializeKey(feedback.getTeamId()), topics.feedback().serializeValue(feedback))));
  }

  private Completion deadLetter(TopicPartition partition, ConsumerRecord<byte[], byte[]> record, Exception error) {
    LOG.warn("routed request at {}-{}@{} sent to the DLQ: {}", record.topic(), record.partition(), record.offset(),
        DeadLetters.describe(error));
    return new Completion(partition, record.offset(), List.of(DeadLetters.record(topics.dlq().name(),
        new DeadLetters.Source(record.topic(), record.partition(), record.offset()), record.key(), record.value(),
        record.headers(), error, SERVICE, clock.millis())));
  }

  private InferenceResult failed(RoutedRequest routed, ConsumerRecord<byte[], byte[]> record, String code,
      Exception error) {
    return unanswered(routed, record, ResultStatus.FAILED, code, DeadLetters.describe(error));
  }

  private InferenceResult unanswered(RoutedRequest routed, ConsumerRecord<byte[], byte[]> record, ResultStatus status,
      String code, String message) {
    String teamId = routed != null ? routed.getRequest().getTeamId()
        : record.key() == null ? "" : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8);
    String requestId = routed != null ? routed.getRequest().getRequestId()
        : "unknown@" + record.topic() + "-" + record.partition() + "-" + record.offset();
    return Results.unanswered(requestId, teamId, routed == null ? null : routed.getRequest(), status,
        code, message, routed == null ? null : routed.getDecision().getReason(),
        routed == null ? null : routed.getDecision().getPolicyVersion(), 0, clock.instant());
  }

  private void drainCompletions() {
    Completion completion;
    while ((completion = completions.poll()) != null) {
      inFlight.decrementAndGet();
      if (isBatch(completion.partition())) {
        inFlightBatch.decrementAndGet();
      }
      completed.incrementAndGet();
      PartitionProgress progress = partitions.get(completion.partition());
      if (progress == null || progress != completion.owner()) {
        // The partition went to another worker while this request ran (or went and came back: a new assignment,
        // after a partition from the broker, say): its owner now produces the result, from the committed offset
        // (the calls made here were billed, and their usage events are already written).
        continue;
      }
      progress.finished(completion.offset(), completion.outputs());
    }
  }

  /** Writes finished outputs and their offsets in one transaction. */
  private void commit() {
    lastCommit = clock.instant();
    Map<TopicPartition, PartitionProgress.Plan> plans = new HashMap<>();
    for (Map.Entry<TopicPartition, PartitionProgress> entry : partitions.entrySet()) {
      PartitionProgress progress = entry.getValue();
      if (progress.hasFinished()) {
        plans.put(entry.getKey(), progress.plan(MAX_METADATA_CHARS));
      }
    }
    if (plans.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    try {
      producer.beginTransaction();
      plans.forEach((partition, plan) -> {
        plan.outputs().forEach(record -> producer.send(cast(record)));
        offsets.put(partition, new OffsetAndMetadata(plan.commitOffset(), plan.metadata()));
      });
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      }
      TransactionCommit.commit(producer, () -> running && !crashed);
    } catch (ProducerFencedException | FencedInstanceIdException e) {
      throw e;
    } catch (KafkaException | IllegalStateException e) {
      // Nothing of this transaction is visible; its outputs stay pending and go with the next one. This includes
      // InvalidProducerEpochException: the coordinator aborted the transaction for its age (this process was paused
      // past transaction.timeout.ms); aborting here lets the same producer go on (TransactionCommitIT), where
      // stopping cost a restart. Partitions lost meanwhile are dropped by the next poll's rebalance, and offsets of
      // a stale generation are refused by the broker.
      LOG.warn("transaction failed, aborting; its outputs are written with the next one: {}", e.toString());
      try {
        producer.abortTransaction();
      } catch (RuntimeException abortFailure) {
        LOG.warn("abort failed ({}); replacing the producer", abortFailure.toString());
        replaceProducer();
      }
      return;
    }
    transactions.incrementAndGet();
    plans.forEach((partition, plan) -> partitions.get(partition).committed(plan));
  }

  private void replaceProducer() {
    try {
      producer.close(Duration.ZERO);
    } catch (RuntimeException e) {
      LOG.debug("closing the failed producer: {}", e.toString());
    }
    producer = producers.get();
    producer.initTransactions();
  }

  @SuppressWarnings("unchecked")
  private static ProducerRecord<byte[], byte[]> cast(Object record) {
    return (ProducerRecord<byte[], byte[]>) record;
  }

  /**
   * Starts the pending records that have room, one per partition in turn (a round-robin across the partitions, and so
   * across teams, which the router keys them by), until no lane with pending records has room left:
   * <ul>
   *   <li>INTERACTIVE ({@code llm.requests.routed}) may fill the worker ({@code maxInFlight});
   *   <li>BATCH ({@code llm.requests.routed.batch}) only up to its own cap, and never past the worker's: interactive
   *       requests always find the rest, however long the batch backlog.
   * </ul>
   * Every slot that frees up goes to the next partition in turn that has a record waiting, so a team's burst gets an
   * equal share of its lane with every other team that has work, and a burst alone gets the whole lane.
   */
  private void dispatchPending() {
    if (pending.isEmpty()) {
      return;
    }
    List<TopicPartition> order = new ArrayList<>(pending.keySet());
    order.sort(java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
    int start = Math.floorMod(turn++, order.size());
    boolean started = true;
    while (started) {
      started = false;
      for (int i = 0; i < order.size(); i++) {
        TopicPartition partition = order.get((start + i) % order.size());
        java.util.ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = pending.get(partition);
        if (queue == null || queue.isEmpty() || !hasRoom(partition)) {
          continue;
        }
        dispatch(queue.pollFirst());
        started = true;
        if (queue.isEmpty()) {
          pending.remove(partition);
        }
      }
    }
  }

  /** Whether a record of this partition may start now: room in its lane and in the worker. */
  private boolean hasRoom(TopicPartition partition) {
    int total = inFlight.get();
    return total < maxInFlight && (!isBatch(partition) || inFlightBatch.get() < batchMax);
  }

  private boolean isBatch(TopicPartition partition) {
    return partition.topic().equals(topics.routedBatch().name());
  }

  /**
   * Pauses the partitions with {@link #prefetch} records waiting to start and resumes the others: the consumer keeps
   * fetching ahead for every partition, so a slot that frees up never waits on a fetch, and never more than about
   * one fetch beyond that per partition is held in memory.
   */
  private void backpressure() {
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    Set<TopicPartition> paused = consumer.paused();
    for (TopicPartition partition : partitions.keySet()) {
      java.util.ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = pending.get(partition);
      boolean full = queue != null && queue.size() >= prefetch;
      if (full && !paused.contains(partition)) {
        pause.add(partition);
      } else if (!full && paused.contains(partition)) {
        resume.add(partition);
      }
    }
    if (!pause.isEmpty()) {
      consumer.pause(pause);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
    }
  }

  /** Requests of the BATCH lane in flight. */
  public int inFlightBatch() {
    return inFlightBatch.get();
  }

  /** Waits (bounded) for the requests of these partitions, commits them, and forgets the partitions. */
  private void release(Collection<TopicPartition> released, boolean commit) {
    Set<TopicPartition> mine = new HashSet<>(released);
    mine.retainAll(partitions.keySet());
    if (mine.isEmpty()) {
      return;
    }
    if (commit) {
      Instant deadline = clock.instant().plus(drainTimeout);
      while (mine.stream().anyMatch(p -> partitions.get(p).inFlight() > 0) && clock.instant().isBefore(deadline)) {
        drainCompletions();
        sleepQuietly(10);
      }
      drainCompletions();
      commit();
    }
    // Records fetched and not started are not committed: the next owner reads them
    pending.keySet().removeAll(mine);
    for (TopicPartition partition : mine) {
      PartitionProgress progress = partitions.remove(partition);
      if (!progress.inFlightOffsets().isEmpty()) {
        LOG.warn("{}: {} request(s) still in flight handed to the next owner (offsets from {})", partition,
            progress.inFlightOffsets().size(), progress.inFlightOffsets().get(0));
      }
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      release(revoked, !crashed);
      if (!revoked.isEmpty()) {
        reportOwnership();
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      release(lost, false);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      if (assigned.isEmpty()) {
        return;
      }
      Phases.mark(SERVICE, "assigned");
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(assigned));
      for (TopicPartition partition : assigned) {
        OffsetAndMetadata offset = committed.get(partition);
        long position = offset == null ? -1 : offset.offset();
        partitions.put(partition, new PartitionProgress(position,
            offset == null ? new java.util.TreeSet<>() : CompletedOffsets.decode(position, offset.metadata())));
      }
      reportOwnership();
    }
  }

  private void shutdown() {
    release(new ArrayList<>(partitions.keySet()), true);
  }

  private void closeQuietly() {
    try {
      consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(crashed ? Duration.ZERO : Duration.ofSeconds(5)));
    } catch (RuntimeException e) {
      LOG.debug("closing the consumer: {}", e.toString());
    }
    try {
      producer.close(crashed ? Duration.ZERO : Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.debug("closing the producer: {}", e.toString());
    }
    usage.close(crashed ? Duration.ZERO : Duration.ofSeconds(30));
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops after committing what is finished (bounded by the drain timeout). */
  public void stop() {
    running = false;
    consumer.wakeup();
  }

  /** Stops at once without committing anything: what a crash leaves behind, for tests of recovery. */
  public void crash() {
    crashed = true;
    running = false;
    consumer.wakeup();
  }

  public int inFlight() {
    return inFlight.get();
  }

  public long completed() {
    return completed.get();
  }

  public long transactions() {
    return transactions.get();
  }

  /** Usage events the broker acknowledged, and those lost because the worker crashed before they were. */
  public UsageWriter usage() {
    return usage;
  }
}
