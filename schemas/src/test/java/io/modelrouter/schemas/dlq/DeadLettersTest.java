package io.modelrouter.schemas.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.serde.UnknownSchemaIdException;
import io.modelrouter.schemas.serde.RegistryUnavailableException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

  @Test
  void keepsTheOriginalBytesAndNamesSourceAndError() {
    byte[] key = "team-a".getBytes();
    byte[] value = {0, 0, 0, 0, 42, 1, 2};
    RecordHeaders original = new RecordHeaders();
    original.add("traceparent", "00-abc".getBytes());
    UnknownSchemaIdException error = new UnknownSchemaIdException("llm.requests", 42, null);

    ProducerRecord<byte[], byte[]> dead = DeadLetters.record("llm.dlq",
        new DeadLetters.Source("llm.requests", 3, 1234L), key, value, original, error, "router", 1_000L);

    assertThat(dead.topic()).isEqualTo("llm.dlq");
    assertThat(dead.key()).isEqualTo(key);
    assertThat(dead.value()).isEqualTo(value);
    assertThat(DeadLetters.header(dead.headers(), "traceparent")).isEqualTo("00-abc");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("llm.requests");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("3");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1234");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.ERROR_CLASS))
        .isEqualTo(UnknownSchemaIdException.class.getName());
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.ERROR_MESSAGE)).contains("Schema id 42");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SCHEMA_ID)).isEqualTo("42");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SERVICE)).isEqualTo("router");
  }

  @Test
  void namesOurSerdeErrorEvenWhenWrapped() {
    RuntimeException wrapped = new RuntimeException("outer", new UnknownSchemaIdException("t", 7, null));
    assertThat(DeadLetters.rootCause(wrapped)).isInstanceOf(UnknownSchemaIdException.class);
    assertThat(DeadLetters.describe(wrapped)).contains("outer").contains("Schema id 7");
  }

  @Test
  void onlyAnUnreachableRegistryIsRetryable() {
    assertThat(DeadLetters.isRetryable(new RegistryUnavailableException("down", "t", 1, null))).isTrue();
    assertThat(DeadLetters.isRetryable(new UnknownSchemaIdException("t", 1, null))).isFalse();
    assertThat(DeadLetters.isRetryable(new IllegalStateException("x"))).isFalse();
  }
}
