package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.UsageEvent;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A usage event whose send the producer reports failed, on the real broker. The producer is Kafka's own, made to
 * fail its first send in one of two ways: the record really written and the failure reported all the same (what a
 * lost answer looks like to the client), or the failure reported with nothing sent. The first must not be sent
 * again (one billed call, one event: found on the topic), the second must be (one event, written by the retry).
 */
@IntegrationTest
class UsageWriterIT {
  private KafkaStack stack;
  private Topics topics;

  @BeforeEach
  void topics(KafkaStack stack) {
    this.stack = stack;
    topics = stack.createTopics(stack.uniqueName("usage-writer") + ".", 3);
  }

  @Test
  void anEventWrittenDespiteAFailedSendIsNotSentAgain() throws Exception {
    // Given a producer whose first send is written by the broker and reported failed
    FailingFirstSend producer = new FailingFirstSend(true);
    UsageWriter writer = new UsageWriter(producer, topics, null, "", stack.consumerConfig("unused"));

    // When one execution's event goes out and the writer waits for it
    UsageEvent event = event("lost-answer#1");
    UsageWriter.Request request = writer.request();
    request.accept(event);
    request.awaitWritten();

    // Then it is on the topic once: found there, not sent again
    assertThat(producer.sends.get()).isEqualTo(1);
    assertThat(writer.foundAfterFailure()).isEqualTo(1);
    assertThat(writer.retries()).isZero();
    assertThat(writer.failedAnswered()).isZero();
    assertThat(eventIds()).containsExactly("lost-answer#1");
    writer.close(java.time.Duration.ofSeconds(5));
  }

  @Test
  void anEventNotWrittenByAFailedSendIsSentAgainOnce() throws Exception {
    // Given a producer whose first send fails before anything reaches the broker
    FailingFirstSend producer = new FailingFirstSend(false);
    UsageWriter writer = new UsageWriter(producer, topics, null, "", stack.consumerConfig("unused"));
    // and another event already on the topic, of the same request's other call
    UsageWriter.Request earlier = writer.request();
    producer.failNext.set(0);
    earlier.accept(event("timed-out#1"));
    earlier.awaitWritten();
    producer.failNext.set(1);

    UsageEvent event = event("timed-out#2");
    UsageWriter.Request request = writer.request();
    request.accept(event);
    request.awaitWritten();

    // Then it was looked up, not found, and sent again: on the topic once
    assertThat(producer.sends.get()).isEqualTo(3);
    assertThat(writer.foundAfterFailure()).isZero();
    assertThat(writer.retries()).isEqualTo(1);
    assertThat(eventIds()).containsExactlyInAnyOrder("timed-out#1", "timed-out#2");
    writer.close(java.time.Duration.ofSeconds(5));
  }

  @Test
  void recoveryBillsACallInFlightAtTheKillByItsIntentAndNothingTwice(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    // Given a run killed with three calls journaled: one in flight (its intent only), one answered and handed over
    // but never written, one answered and written whose acknowledgement the kill lost
    StripedUsageJournal killed = StripedUsageJournal.open(dir, 2);
    killed.intended("cluster-x", topics.usage().name(), intent("in-flight#1@k.1"));
    killed.intended("cluster-x", topics.usage().name(), intent("handed-over#1@k.2"));
    killed.sent("cluster-x", topics.usage().name(), event("handed-over#1@k.2"));
    killed.intended("cluster-x", topics.usage().name(), intent("written#1@k.3"));
    killed.sent("cluster-x", topics.usage().name(), event("written#1@k.3"));
    killed.close();
    UsageWriter before = new UsageWriter(new KafkaProducer<>(stack.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), topics, null, "cluster-x", stack.consumerConfig("unused"));
    UsageWriter.Request written = before.request();
    written.accept(event("written#1@k.3"));
    written.awaitWritten();
    before.close(java.time.Duration.ofSeconds(5));

    // When the next run starts on the same journal
    UsageWriter next = new UsageWriter(new KafkaProducer<>(stack.producerConfig(), new ByteArraySerializer(),
        new ByteArraySerializer()), topics, StripedUsageJournal.open(dir, 2), "cluster-x",
        stack.consumerConfig("unused"));
    UsageWriter.Recovery recovery = next.recover();

    // Then the call in flight is billed by its estimate, the handed-over one by its own event, the written one once
    assertThat(recovery).isEqualTo(new UsageWriter.Recovery(3, 0, 1, 2, 1));
    assertThat(next.recovery()).as("what the metrics read").isEqualTo(recovery);
    List<UsageEvent> events = events();
    assertThat(events).extracting(e -> e.getEventId().toString())
        .containsExactlyInAnyOrder("written#1@k.3", "handed-over#1@k.2", "in-flight#1@k.1");
    assertThat(events).filteredOn(e -> e.getEventId().toString().equals("in-flight#1@k.1")).singleElement()
        .satisfies(e -> {
          assertThat(e.getEstimated()).isTrue();
          assertThat(e.getOutcome()).isEqualTo(io.modelrouter.avro.AttemptOutcome.UNKNOWN);
          assertThat(e.getInputTokens()).isEqualTo(120);
        });
    next.close(java.time.Duration.ofSeconds(5));
  }

  @Test
  void theErrorsOfARecordRefusedOutrightNeedNoLookUp() {
    assertThat(UsageWriter.mayHaveBeenWritten(new ExecutionException(
        new org.apache.kafka.common.errors.RecordTooLargeException("too large")))).isFalse();
    assertThat(UsageWriter.mayHaveBeenWritten(new ExecutionException(
        new org.apache.kafka.common.errors.TopicAuthorizationException("denied")))).isFalse();
    assertThat(UsageWriter.mayHaveBeenWritten(new ExecutionException(new TimeoutException("expired")))).isTrue();
    assertThat(UsageWriter.mayHaveBeenWritten(new ExecutionException(
        new OutOfOrderSequenceException("out of order")))).isTrue();
  }

  private UsageEvent event(String id) {
    return UsageEvent.newBuilder(SampleRecords.usage()).setEventId(id).setRequestId(id.substring(0, id.indexOf('#')))
        .setEventTime(Instant.now()).build();
  }

  private UsageEvent intent(String id) {
    return UsageEvent.newBuilder(event(id)).setInputTokens(120).setOutputTokens(0).setEstimated(true)
        .setOutcome(io.modelrouter.avro.AttemptOutcome.UNKNOWN).build();
  }

  /** Every usage event on the topic, in no particular order. */
  private List<UsageEvent> events() {
    return stack.readCommitted(topics.usage()).stream().map(Map.Entry::getValue).toList();
  }

  /** The event ids of every record on the usage topic (its header), in no particular order. */
  private List<String> eventIds() {
    Map<String, Object> config = stack.consumerConfig(stack.uniqueName("ids"));
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(config,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topics.usage().name()).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions);
      List<String> ids = new java.util.ArrayList<>();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(record -> ids.add(new String(
            record.headers().lastHeader(UsageWriter.EVENT_ID_HEADER).value(),
            java.nio.charset.StandardCharsets.UTF_8)));
      }
      return ids;
    }
  }

  /** Kafka's producer, failing the next {@link #failNext} sends: after writing them, or without sending them. */
  private final class FailingFirstSend extends KafkaProducer<byte[], byte[]> {
    final AtomicInteger sends = new AtomicInteger();
    final AtomicInteger failNext = new AtomicInteger(1);
    private final boolean written;

    FailingFirstSend(boolean written) {
      super(stack.producerConfig(), new ByteArraySerializer(), new ByteArraySerializer());
      this.written = written;
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
      sends.incrementAndGet();
      if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
        return super.send(record, callback);
      }
      Exception error;
      if (written) {
        try {
          super.send(record, null).get();
        } catch (InterruptedException | ExecutionException e) {
          throw new IllegalStateException("the record could not be written: " + e, e);
        }
        error = new OutOfOrderSequenceException("the broker's answer was lost (as after a frozen process)");
      } else {
        error = new TimeoutException("expired before it was sent");
      }
      callback.onCompletion(null, error);
      return CompletableFuture.failedFuture(error);
    }
  }
}
