package io.modelrouter.runtime;

import io.modelrouter.schemas.dlq.DeadLetters;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead-lettering inside a Kafka Streams processor, the same way in every topology: the record keeps its key and its
 * original bytes, gains the {@code dlq.*} headers naming where it came from and why it failed, and is forwarded to
 * the topology's DLQ sink, so it is written in the same exactly-once transaction as the input's offset
 * (docs/decisions/0002-decode-inside-the-processor.md). Plain consumers (the worker) use
 * {@link DeadLetters#record} instead.
 */
public final class StreamsDeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsDeadLetters.class);

  private StreamsDeadLetters() {}

  /**
   * The DLQ record for {@code record}, which failed with {@code error}: {@code deadLetter} is the topology's value
   * that routes to its DLQ sink (holding the original bytes). {@code inputTopic} names the source when the record has
   * no metadata (a punctuation).
   */
  public static <K, V> Record<K, V> of(ProcessorContext<?, ?> context, Record<K, ?> record, V deadLetter,
      Exception error, String service, String inputTopic) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    DeadLetters.Source source = meta == null ? new DeadLetters.Source(inputTopic, -1, -1)
        : new DeadLetters.Source(meta.topic(), meta.partition(), meta.offset());
    LOG.warn("{}: record at {}-{}@{} sent to the DLQ: {}", service, source.topic(), source.partition(),
        source.offset(), DeadLetters.describe(error));
    return record
        .withHeaders(DeadLetters.headers(source, record.headers(), error, service, context.currentSystemTimeMs()))
        .withValue(deadLetter);
  }
}
