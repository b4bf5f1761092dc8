package io.modelrouter.worker.internal;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each provider call's usage event as soon as the call returns, outside the results' transaction, with an
 * idempotent producer that retries for as long as it takes (delivery timeout unbounded): a billed call is on
 * {@code llm.usage} even if the worker dies before the request's result is committed. Each execution of a request
 * gets an id of its own, so that a request executed again after a crash (and billed again) never reuses an event id.
 */
public final class UsageWriter {
  private static final Logger LOG = LoggerFactory.getLogger(UsageWriter.class);
  private static final long RETRY_MILLIS = 500;

  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  /** Random per worker run: executions of two runs (or two workers) never share an id. */
  private final String run = Long.toString(ThreadLocalRandom.current().nextLong() >>> 12, 36);
  private final AtomicLong executions = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong failedAnswered = new AtomicLong();
  private volatile boolean closed;

  UsageWriter(Producer<byte[], byte[]> producer, Topics topics) {
    this.producer = producer;
    this.topics = topics;
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

  /** Of {@link #failed}, the events of calls the provider answered (outcome OK): billed tokens not on the topic. */
  public long failedAnswered() {
    return failedAnswered.get();
  }

  /** Usage events handed over and not (yet) acknowledged or failed. */
  public long pending() {
    return sent.get() - written.get() - failed.get();
  }

  /** Closes the producer, waiting up to {@code timeout} for what it still holds (zero: what a crash does). */
  void close(Duration timeout) {
    closed = true;
    try {
      producer.close(timeout);
    } catch (RuntimeException e) {
      LOG.debug("closing the usage producer: {}", e.toString());
    }
    long lost = pending();
    if (lost > 0) {
      LOG.warn("{} usage event(s) not acknowledged when the usage producer closed", lost);
    }
  }

  /** One execution's usage events; {@link #awaitWritten} before its result is committed. */
  final class Request implements RequestExecutor.UsageSink {
    private final List<Future<RecordMetadata>> sends = new ArrayList<>(2);
    private final List<UsageEvent> unserialized = new ArrayList<>(0);

    @Override
    public synchronized void accept(UsageEvent event) {
      if (!trySend(event)) {
        // The registry could not be reached to serialize it: keep it, awaitWritten tries again.
        unserialized.add(event);
      }
    }

    private boolean trySend(UsageEvent event) {
      ProducerRecord<byte[], byte[]> record;
      try {
        record = new ProducerRecord<>(topics.usage().name(), topics.usage().serializeKey(event.getTeamId()),
            topics.usage().serializeValue(event));
      } catch (SchemaSerdeException e) {
        LOG.warn("usage event {} cannot be serialized yet (will retry): {}", event.getEventId(), e.getMessage());
        return false;
      }
      sent.incrementAndGet();
      try {
        sends.add(producer.send(record, (metadata, error) -> {
          if (error == null) {
            written.incrementAndGet();
          } else {
            notWritten(event, error);
          }
        }));
      } catch (RuntimeException e) {
        notWritten(event, e);
      }
      return true;
    }

    private void notWritten(UsageEvent event, Exception error) {
      failed.incrementAndGet();
      if (event.getOutcome() == AttemptOutcome.OK) {
        failedAnswered.incrementAndGet();
      }
      if (!closed) {
        LOG.error("usage event {} could not be written: {}", event.getEventId(), error.toString());
      }
    }

    /** Waits until the broker has acknowledged every usage event of this execution (or the writer closed). */
    synchronized void awaitWritten() {
      while (!unserialized.isEmpty() && !closed) {
        if (trySend(unserialized.get(0))) {
          unserialized.remove(0);
        } else if (!pause()) {
          return;
        }
      }
      for (Future<RecordMetadata> send : sends) {
        try {
          send.get();
        } catch (ExecutionException e) {
          // Logged and counted by the callback; the result still goes out.
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
