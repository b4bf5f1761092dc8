package io.modelrouter.worker.internal;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each provider call's usage event as soon as the call returns, outside the results' transaction, with an
 * idempotent producer that retries for as long as it takes (delivery timeout unbounded): a billed call is on
 * {@code llm.usage} even if the worker dies before the request's result is committed. Each execution of a request
 * gets an id of its own, so that a request executed again after a crash (and billed again) never reuses an event id.
 * With a {@link UsageJournal}, each event is journaled before it is handed over and marked when acknowledged, and
 * {@link #recover} writes at start-up the events a killed run journaled but never saw acknowledged. Each record
 * carries its event id in the header {@value #EVENT_ID_HEADER}, which is how recovery finds the ones already there.
 *
 * <p>A send the producer reports failed may have been written all the same (the broker appended it, the answer was
 * lost, and the producer gave up on it: an out-of-order sequence after a frozen process, a timeout). Before an event
 * is sent again, the usage topic is read from shortly before its first send for its id; it is sent again only if it
 * is not there, so that one billed call is one usage event, never two.
 */
public final class UsageWriter {
  private static final Logger LOG = LoggerFactory.getLogger(UsageWriter.class);
  private static final long RETRY_MILLIS = 500;
  /** How far before an event's first send a failed send's look-up starts (its record's time is the send's). */
  private static final long LOOKUP_MARGIN_MILLIS = 5_000;

  /** Header of every usage record: its event id (UTF-8). */
  public static final String EVENT_ID_HEADER = "mr.usage-event";
  /** How far before the oldest recovered event recovery looks for it on the topic (clock skew, linger, retries). */
  static final Duration RECOVERY_LOOKBACK = Duration.ofMinutes(5);

  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final StripedUsageJournal journal;
  private final String cluster;
  /** Random per worker run: executions of two runs (or two workers) never share an id. */
  private final String run = Long.toString(ThreadLocalRandom.current().nextLong() >>> 12, 36);
  private final AtomicLong executions = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong failedAnswered = new AtomicLong();
  private final AtomicLong journalFailures = new AtomicLong();
  private final AtomicLong foundAfterFailure = new AtomicLong();
  /** Kafka client settings for reading llm.usage back (recovery, and a failed send's look-up). */
  private final Map<String, Object> consumerConfig;
  private volatile boolean closed;
  /** What the last {@link #recover} did (none yet: zeros). */
  private volatile Recovery recovery = new Recovery(0, 0, 0, 0, 0);

  /**
   * @param journal the write-ahead journal, or null for none
   * @param cluster the Kafka cluster id, kept with each journaled event (only events of this cluster are recovered)
   * @param consumerConfig the Kafka client settings, for reading the usage topic back (recovery; before a failed
   *     send is made again)
   */
  public UsageWriter(Producer<byte[], byte[]> producer, Topics topics, StripedUsageJournal journal, String cluster,
      Map<String, Object> consumerConfig) {
    this.producer = producer;
    this.consumerConfig = Map.copyOf(consumerConfig);
    this.topics = topics;
    this.journal = journal;
    this.cluster = cluster;
  }

  /**
   * What {@link #recover} did.
   *
   * @param inFlight of {@code written}, the estimates of calls in flight when the earlier run ended (their intents)
   */
  public record Recovery(int journaled, int otherCluster, int alreadyWritten, int written, int inFlight) {}

  /**
   * Writes the events an earlier run journaled and never saw acknowledged, unless they are on {@code llm.usage}
   * already (same event id, looked up in the records since shortly before the oldest of them), waits for their
   * acknowledgement, and drops the earlier run's journal. Called at start, beside the new run's first requests
   * (their event ids are never an earlier run's).
   */
  public Recovery recover() {
    if (journal == null) {
      return new Recovery(0, 0, 0, 0, 0);
    }
    List<UsageJournal.Pending> journaled = journal.recovered();
    List<UsageJournal.Pending> mine = journaled.stream()
        .filter(p -> p.cluster().equals(cluster) && p.topic().equals(topics.usage().name())).toList();
    int otherCluster = journaled.size() - mine.size();
    if (otherCluster > 0) {
      LOG.warn("usage journal {}: {} event(s) of another Kafka cluster or topic (not {} on cluster {}) are not"
          + " written", journal.dir(), otherCluster, topics.usage().name(), cluster);
    }
    Set<String> onTopic = mine.isEmpty() ? Set.of()
        : eventIdsSince(mine.stream().mapToLong(p -> p.event().getEventTime().toEpochMilli()).min()
            .getAsLong() - RECOVERY_LOOKBACK.toMillis());
    Request request = new Request();
    int written = 0;
    int inFlight = 0;
    for (UsageJournal.Pending pending : mine) {
      UsageEvent event = pending.event();
      if (!onTopic.contains(event.getEventId().toString())) {
        // An intent is written as it was journaled: the call's estimate, marked estimated, outcome UNKNOWN
        request.accept(event);
        written++;
        inFlight += pending.inFlight() ? 1 : 0;
      }
    }
    request.awaitWritten();
    journal.recoveryDone();
    Recovery recovery = new Recovery(journaled.size(), otherCluster, mine.size() - written, written, inFlight);
    this.recovery = recovery;
    if (!journaled.isEmpty()) {
      LOG.info("usage journal {}: {} event(s) of the previous run were not acknowledged: {} already on {}, {} written"
          + " now, of which {} the estimate of a call in flight when it ended", journal.dir(), journaled.size(),
          recovery.alreadyWritten(), topics.usage().name(), written, inFlight);
    }
    return recovery;
  }

  /** What the start-up recovery did; zeros before it ends (or without a journal). */
  public Recovery recovery() {
    return recovery;
  }

  /** The event ids (headers) of every record on llm.usage from {@code since} (epoch ms) to its current end. */
  private Set<String> eventIdsSince(long since) {
    Map<String, Object> props = new HashMap<>(consumerConfig);
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Set<String> ids = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(props,
                 new ByteArrayDeserializer(),
                 new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topics.usage().name())
          .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> times = new HashMap<>();
      partitions.forEach(p -> times.put(p, since));
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      consumer.offsetsForTimes(times).forEach((partition, offset) ->
          consumer.seek(partition, offset == null ? end.get(partition) : offset.offset()));
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record
            : consumer.poll(Duration.ofMillis(500))) {
          Header header = record.headers().lastHeader(EVENT_ID_HEADER);
          if (header != null) {
            ids.add(new String(header.value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    return ids;
  }

  /** This writer's run: the prefix of the execution ids it hands out, so of the ids of the events it writes. */
  public String run() {
    return run;
  }

  /** A new execution id: {@code <run>.<n>}. */
  String executionId() {
    return run + "." + Long.toString(executions.incrementAndGet(), 36);
  }

  /** The sink for one execution of a request. */
  Request request() {
    return new Request();
  }

  /** Usage events the broker acknowledged. */
  public long written() {
    return written.get();
  }

  /** Usage events handed to the producer that it could not write (a crash closed it first, or a fatal error). */
  public long failed() {
    return failed.get();
  }

  /**
   * Of {@link #failed}, the events of calls the provider answered (outcome OK): billed tokens not on the topic (less
   * those found on it after all, {@link #foundAfterFailure}).
   */
  public long failedAnswered() {
    return failedAnswered.get();
  }

  /** Usage events that could not be written to the usage journal (sent all the same). */
  public long journalFailures() {
    return journalFailures.get();
  }

  /** Usage events handed over and not (yet) acknowledged or failed. */
  public long pending() {
    return sent.get() - written.get() - failed.get();
  }

  /**
   * Failed sends whose event was found on the usage topic all the same (written, the producer's answer lost), so
   * not sent again.
   */
  public long foundAfterFailure() {
    return foundAfterFailure.get();
  }

  /**
   * Whether a failed send may have been written all the same. The errors below are the broker's or the client's
   * refusal of the record itself: nothing was appended.
   */
  static boolean mayHaveBeenWritten(Throwable error) {
    Throwable cause = error instanceof ExecutionException && error.getCause() != null ? error.getCause() : error;
    return !(cause instanceof org.apache.kafka.common.errors.RecordTooLargeException
        || cause instanceof org.apache.kafka.common.errors.RecordBatchTooLargeException
        || cause instanceof org.apache.kafka.common.InvalidRecordException
        || cause instanceof org.apache.kafka.common.errors.InvalidTopicException
        || cause instanceof org.apache.kafka.common.errors.AuthorizationException
        || cause instanceof org.apache.kafka.common.errors.SerializationException
        || cause instanceof org.apache.kafka.common.errors.InterruptException);
  }

  /** Whether a record with this event id is on the usage topic, looked up from {@code since} (epoch ms). */
  private synchronized boolean onTopic(String eventId, long since) {
    try {
      return eventIdsSince(since).contains(eventId);
    } catch (RuntimeException e) {
      // Cannot tell (the broker is away): sending it again is the side that never loses spend
      LOG.warn("could not look up usage event {} on {} before sending it again: {}", eventId,
          topics.usage().name(), e.toString());
      return false;
    }
  }

  /** Sends of usage events made again because the producer failed to write them. */
  public long retries() {
    return retries.get();
  }

  /** Closes the producer, waiting up to {@code timeout} for what it still holds (zero: what a crash does). */
  void close(Duration timeout) {
    closed = true;
    try {
      producer.close(timeout);
    } catch (RuntimeException e) {
      LOG.debug("closing the usage producer: {}", e.toString());
    }
    if (journal != null) {
      // What the producer could not write stays journaled: the next start writes it
      journal.close();
    }
    long lost = pending();
    if (lost > 0) {
      LOG.warn("{} usage event(s) not acknowledged when the usage producer closed", lost);
    }
  }

  /** One execution's usage events; {@link #awaitWritten} before its result is committed. */
  final class Request implements RequestExecutor.UsageSink {
    private final List<Future<RecordMetadata>> sends = new ArrayList<>(2);
    private final List<UsageEvent> sentEvents = new ArrayList<>(2);
    /** When each of {@link #sentEvents} was first handed to the producer (epoch ms): its record's time is later. */
    private final List<Long> firstSent = new ArrayList<>(2);
    private final List<UsageEvent> unserialized = new ArrayList<>(0);
    /** Trace headers ({@code traceparent}) each usage record of this execution carries; none when tracing is off. */
    private org.apache.kafka.common.header.Header[] trace = new org.apache.kafka.common.header.Header[0];

    /** The trace headers to put on each usage record of this execution. */
    public synchronized void trace(org.apache.kafka.common.header.Headers headers) {
      this.trace = headers.toArray();
    }

    /**
     * Journals the call's intent before the call (not sent): the next start writes it if this run dies before the
     * call's event is journaled. A journal that cannot write it is counted and the call goes on.
     */
    @Override
    public void started(UsageEvent estimate) {
      journal(j -> j.intended(cluster, topics.usage().name(), estimate),
          "the intent of call {} could not be journaled (the call goes on): {}", estimate.getEventId());
    }

    @Override
    public synchronized void accept(UsageEvent event) {
      // A full or failing disk must not stop billing through Kafka: the event goes out unjournaled
      journal(j -> j.sent(cluster, topics.usage().name(), event),
          "usage event {} could not be journaled (it is still sent): {}", event.getEventId());
      if (!trySend(event, System.currentTimeMillis())) {
        // The registry could not be reached to serialize it: keep it, awaitWritten tries again.
        unserialized.add(event);
      }
    }

    /**
     * One write to the journal, if there is one; a write that fails is counted and logged ({@code failure}: the event
     * id, then the error), and the caller goes on.
     */
    private void journal(java.util.function.Consumer<StripedUsageJournal> write, String failure, CharSequence id) {
      if (journal == null) {
        return;
      }
      try {
        write.accept(journal);
      } catch (java.io.UncheckedIOException e) {
        journalFailures.incrementAndGet();
        LOG.error(failure, id, e.getCause() == null ? e.toString() : e.getCause().toString());
      }
    }

    /** @param firstSentAt when the event was first handed to the producer (epoch ms): now, or a retried send's */
    private boolean trySend(UsageEvent event, long firstSentAt) {
      ProducerRecord<byte[], byte[]> record;
      try {
        record = new ProducerRecord<>(topics.usage().name(), topics.usage().serializeKey(event.getTeamId()),
            topics.usage().serializeValue(event));
        for (org.apache.kafka.common.header.Header header : trace) {
          record.headers().add(header);
        }
        record.headers().add(EVENT_ID_HEADER,
            event.getEventId().toString().getBytes(StandardCharsets.UTF_8));
      } catch (SchemaSerdeException e) {
        LOG.warn("usage event {} cannot be serialized yet (will retry): {}", event.getEventId(), e.getMessage());
        return false;
      }
      sent.incrementAndGet();
      firstSent.add(firstSentAt);
      sentEvents.add(event);
      try {
        sends.add(producer.send(record, (metadata, error) -> {
          if (error == null) {
            written.incrementAndGet();
            if (journal != null) {
              try {
                journal.acknowledged(event.getEventId().toString());
              } catch (java.io.UncheckedIOException e) {
                journalFailures.incrementAndGet(); // at worst written again at the next start, if not found there
              }
            }
          } else {
            notWritten(event, error);
          }
        }));
      } catch (RuntimeException e) {
        notWritten(event, e);
        sends.add(java.util.concurrent.CompletableFuture.failedFuture(e));
      }
      return true;
    }

    private void notWritten(UsageEvent event, Exception error) {
      failed.incrementAndGet();
      if (event.getOutcome() == AttemptOutcome.OK) {
        failedAnswered.incrementAndGet();
      }
      // every failure is counted; the log says so for the first ten and then once a hundred, not twice a second
      long failures = failed.get();
      if (!closed && (failures <= 10 || failures % 100 == 0)) {
        LOG.error("usage event {} could not be written ({} failed sends so far; sent again until written): {}",
            event.getEventId(), failures, error.toString());
      }
    }

    /**
     * Waits until the broker has acknowledged every usage event of this execution (or the writer closed): the
     * request's result is committed only after. An event the producer failed to write (an error it does not retry
     * itself, such as a topic authorization failure) is sent again every {@value #RETRY_MILLIS} ms until it is
     * written, each failure logged and counted ({@link #failed}): the request's result waits, its partition with it,
     * rather than a billed call going unrecorded.
     */
    synchronized void awaitWritten() {
      while (!unserialized.isEmpty() && !closed) {
        if (trySend(unserialized.get(0), System.currentTimeMillis())) {
          unserialized.remove(0);
        } else if (!pause()) {
          return;
        }
      }
      for (int i = 0; i < sends.size(); i++) {
        try {
          sends.get(i).get();
        } catch (ExecutionException e) {
          if (closed || !pause()) {
            return;
          }
          UsageEvent event = sentEvents.get(i);
          String id = event.getEventId().toString();
          if (mayHaveBeenWritten(e) && onTopic(id, firstSent.get(i) - LOOKUP_MARGIN_MILLIS)) {
            // written after all: the producer lost the broker's answer. Sending it again would bill it twice.
            foundAfterFailure.incrementAndGet();
            if (event.getOutcome() == AttemptOutcome.OK) {
              failedAnswered.decrementAndGet();
            }
            LOG.warn("usage event {} was written although its send failed ({}); not sent again", id,
                e.getCause() == null ? e.toString() : e.getCause().toString());
            if (journal != null) {
              try {
                journal.acknowledged(id);
              } catch (java.io.UncheckedIOException journalError) {
                journalFailures.incrementAndGet();
              }
            }
            continue;
          }
          // the event goes again (the journal still holds it unacknowledged); the retry is awaited in turn
          retries.incrementAndGet();
          if (!trySend(event, firstSent.get(i))) {
            i--; // not serializable now (registry down): the same failed send is looked at again after a pause
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    private boolean pause() {
      try {
        Thread.sleep(RETRY_MILLIS);
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
