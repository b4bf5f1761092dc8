package io.modelrouter.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and aborts hanging transactions of one service's producers: a transaction still open on a partition (its
 * records written, no commit or abort marker) that the transaction coordinator no longer has open there. A broker
 * that stops mid-write (its disk full, a crash) can leave one: the partition kept the records, the coordinator's log
 * lost the transaction. Its last stable offset then never moves, so every read_committed reader of the partition
 * waits for ever (a Kafka Streams changelog: the restore never ends). Kafka's remedy is {@code kafka-transactions.sh
 * find-hanging} and {@code abort}; this does the same for the transactional ids that start with the service's
 * prefix, and only for a transaction whose last write is older than {@code age} (longer than any of our
 * transaction timeouts: a live transaction is committed or aborted by then, or its coordinator aborts it), which the
 * coordinator, asked after the partition, neither holds open on that partition nor is ending (writing its markers),
 * and which the partition, asked again after the coordinator, still shows open from the same offset.
 */
public final class HangingTransactions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HangingTransactions.class);
  /** The coordinator is writing the markers of a transaction in these states: on every one of its partitions. */
  private static final Set<TransactionState> ENDING = Set.of(TransactionState.PREPARE_COMMIT,
      TransactionState.PREPARE_ABORT, TransactionState.PREPARE_EPOCH_FENCE);

  /** An open transaction of {@code transactionalId} on {@code partition} that its coordinator does not know of. */
  public record Hanging(TopicPartition partition, String transactionalId, long producerId, int producerEpoch,
      int coordinatorEpoch, long startOffset, Instant lastWrite, String coordinatorState) {}

  private final Map<String, Object> adminConfig;
  private final String prefix;
  private final Duration age;
  private final Clock clock;
  private final AtomicLong aborted = new AtomicLong();
  private ScheduledExecutorService scheduler;

  /**
   * @param prefix the service's transactional ids start with it (a Streams application id, the worker's group)
   * @param age a transaction open this long after its last write may be hanging; zero or less: never checked
   */
  public HangingTransactions(Map<String, Object> adminConfig, String prefix, Duration age, Clock clock) {
    this.adminConfig = Map.copyOf(adminConfig);
    this.prefix = prefix;
    this.age = age;
    this.clock = clock;
  }

  /** Checks every {@code interval} on a daemon thread, aborting what it finds; nothing when the age is not positive. */
  public HangingTransactions start(Duration interval) {
    if (age.isZero() || age.isNegative()) {
      return this;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
        .name("hanging-transactions-" + prefix).unstarted(r));
    scheduler.scheduleWithFixedDelay(this::checkQuietly, interval.toMillis(), interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** Transactions aborted so far. */
  public long aborted() {
    return aborted.get();
  }

  private void checkQuietly() {
    try (Admin admin = Admin.create(adminConfig)) {
      for (Hanging hanging : find(admin)) {
        abort(admin, hanging);
      }
    } catch (Exception e) {
      LOG.debug("hanging-transaction check of {} failed: {}", prefix, e.toString());
    }
  }

  /** The hanging transactions of this service's producers, now. */
  public List<Hanging> find(Admin admin) throws ExecutionException, InterruptedException {
    Map<Long, String> ours = new HashMap<>();
    for (TransactionListing listing : admin.listTransactions().all().get()) {
      if (listing.transactionalId().startsWith(prefix)) {
        ours.put(listing.producerId(), listing.transactionalId());
      }
    }
    if (ours.isEmpty()) {
      return List.of();
    }
    List<TopicPartition> partitions = new ArrayList<>();
    Set<String> names = admin.listTopics().names().get();
    for (TopicDescription topic : admin.describeTopics(names).allTopicNames().get().values()) {
      for (TopicPartitionInfo info : topic.partitions()) {
        partitions.add(new TopicPartition(topic.name(), info.partition()));
      }
    }
    Instant before = clock.instant().minus(age);
    List<Hanging> candidates = new ArrayList<>();
    Map<TopicPartition, org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState> states =
        admin.describeProducers(partitions).all().get();
    states.forEach((partition, state) -> {
      for (ProducerState producer : state.activeProducers()) {
        String id = ours.get(producer.producerId());
        if (id != null && producer.currentTransactionStartOffset().isPresent()
            && Instant.ofEpochMilli(producer.lastTimestamp()).isBefore(before)) {
          candidates.add(new Hanging(partition, id, producer.producerId(), producer.producerEpoch(),
              producer.coordinatorEpoch().orElse(0), producer.currentTransactionStartOffset().getAsLong(),
              Instant.ofEpochMilli(producer.lastTimestamp()), null));
        }
      }
    });
    if (candidates.isEmpty()) {
      return List.of();
    }
    // Asked after the partitions: a transaction the coordinator holds open on the partition is live, not hanging
    Set<String> ids = new HashSet<>();
    candidates.forEach(c -> ids.add(c.transactionalId()));
    Map<String, TransactionDescription> coordinator = admin.describeTransactions(ids).all().get();
    List<Hanging> hanging = new ArrayList<>();
    for (Hanging candidate : candidates) {
      TransactionDescription description = coordinator.get(candidate.transactionalId());
      boolean live = description != null && description.producerId() == candidate.producerId()
          && (ENDING.contains(description.state()) || description.state() == TransactionState.ONGOING
              && description.topicPartitions().contains(candidate.partition()));
      if (!live) {
        hanging.add(new Hanging(candidate.partition(), candidate.transactionalId(), candidate.producerId(),
            candidate.producerEpoch(), candidate.coordinatorEpoch(), candidate.startOffset(), candidate.lastWrite(),
            description == null ? "unknown" : description.state() + " (producer " + description.producerId()
                + ", epoch " + description.producerEpoch() + ")"));
      }
    }
    if (hanging.isEmpty()) {
      return hanging;
    }
    // Asked the partitions again: a transaction whose markers were written meanwhile (its coordinator had just
    // completed it) is gone from them, and was never hanging
    Map<TopicPartition, org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState> again =
        admin.describeProducers(hanging.stream().map(Hanging::partition).distinct().toList()).all().get();
    hanging.removeIf(h -> again.get(h.partition()).activeProducers().stream().noneMatch(p ->
        p.producerId() == h.producerId() && p.currentTransactionStartOffset().isPresent()
            && p.currentTransactionStartOffset().getAsLong() == h.startOffset()));
    return hanging;
  }

  /** Writes the abort marker of this transaction on its partition. */
  public void abort(Admin admin, Hanging hanging) throws ExecutionException, InterruptedException {
    LOG.error("aborting a hanging transaction on {}: {} (producer {}, epoch {}) open since offset {}, last written "
        + "{}; its coordinator has it {}. Every read_committed reader of the partition waited for it.",
        hanging.partition(), hanging.transactionalId(), hanging.producerId(), hanging.producerEpoch(),
        hanging.startOffset(), hanging.lastWrite(), hanging.coordinatorState());
    admin.abortTransaction(new AbortTransactionSpec(hanging.partition(), hanging.producerId(),
        (short) hanging.producerEpoch(), hanging.coordinatorEpoch())).all().get();
    aborted.incrementAndGet();
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }
}
