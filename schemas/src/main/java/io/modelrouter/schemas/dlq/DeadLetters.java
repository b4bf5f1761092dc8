package io.modelrouter.schemas.dlq;

import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds dead-letter records: the original key and value bytes, the original headers, and {@code dlq.*}
 * headers naming where the record came from and why it could not be processed (as Spring Kafka's
 * DeadLetterPublishingRecoverer does). A DLQ reader reads bytes, so a bad record cannot break it.
 */
public final class DeadLetters {
  public static final String SOURCE_TOPIC = "dlq.source.topic";
  public static final String SOURCE_PARTITION = "dlq.source.partition";
  public static final String SOURCE_OFFSET = "dlq.source.offset";
  public static final String ERROR_CLASS = "dlq.error.class";
  public static final String ERROR_MESSAGE = "dlq.error.message";
  public static final String SCHEMA_ID = "dlq.schema.id";
  public static final String SERVICE = "dlq.service";
  public static final String FAILED_AT = "dlq.failed.at";

  private static final int MAX_MESSAGE_CHARS = 2_000;

  private DeadLetters() {}

  /** Where a failed record came from. */
  public record Source(String topic, int partition, long offset) {}

  public static ProducerRecord<byte[], byte[]> record(String dlqTopic, Source source, byte[] key, byte[] value,
      Headers originalHeaders, Throwable error, String service, long failedAtMillis) {
    return new ProducerRecord<>(dlqTopic, null, key, value,
        headers(source, originalHeaders, error, service, failedAtMillis));
  }

  /** The original headers plus the {@code dlq.*} headers, for a dead letter written by a stream's own sink. */
  public static Headers headers(Source source, Headers originalHeaders, Throwable error, String service,
      long failedAtMillis) {
    RecordHeaders headers = new RecordHeaders();
    if (originalHeaders != null) {
      for (Header header : originalHeaders) {
        if (!header.key().startsWith("dlq.")) {
          headers.add(header);
        }
      }
    }
    headers.add(SOURCE_TOPIC, utf8(source.topic()));
    headers.add(SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
    headers.add(SOURCE_OFFSET, utf8(Long.toString(source.offset())));
    Throwable root = rootCause(error);
    headers.add(ERROR_CLASS, utf8(root.getClass().getName()));
    headers.add(ERROR_MESSAGE, utf8(describe(error)));
    if (error instanceof SchemaSerdeException serde && serde.schemaId() >= 0) {
      headers.add(SCHEMA_ID, utf8(Integer.toString(serde.schemaId())));
    }
    headers.add(SERVICE, utf8(service));
    headers.add(FAILED_AT, utf8(Long.toString(failedAtMillis)));
    return headers;
  }

  /** A one-line account of an error and its causes, truncated to a sane size. */
  public static String describe(Throwable error) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (!text.isEmpty()) {
        text.append(" <- ");
      }
      text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
      if (text.length() > MAX_MESSAGE_CHARS) {
        return text.substring(0, MAX_MESSAGE_CHARS) + "...";
      }
    }
    return text.toString();
  }

  /** The innermost of our serde exceptions if there is one (its class says what was wrong), else the root cause. */
  public static Throwable rootCause(Throwable error) {
    Throwable serde = null;
    Throwable t = error;
    while (t != null) {
      if (t instanceof SchemaSerdeException) {
        serde = t;
      }
      if (t.getCause() == null || t.getCause() == t) {
        break;
      }
      t = t.getCause();
    }
    return serde != null ? serde : t;
  }

  /** Whether trying the record again can help (the registry was unreachable), as opposed to bad bytes. */
  public static boolean isRetryable(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SchemaSerdeException serde) {
        return serde.isRetryable();
      }
    }
    return false;
  }

  public static String header(Headers headers, String key) {
    Header header = headers.lastHeader(key);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
  }
}
