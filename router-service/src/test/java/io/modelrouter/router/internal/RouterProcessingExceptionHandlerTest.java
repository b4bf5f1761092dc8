package io.modelrouter.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class RouterProcessingExceptionHandlerTest {
  private final RouterProcessingExceptionHandler handler = new RouterProcessingExceptionHandler();
  private final Record<String, byte[]> record = new Record<>("team-a", new byte[] {1}, 0L);

  /** Kafka Streams' view of where the error happened. */
  private record At(String processorNodeId) implements ErrorHandlerContext {
    public String topic() {
      return "llm.requests";
    }

    public int partition() {
      return 3;
    }

    public long offset() {
      return 42;
    }

    public Headers headers() {
      return new RecordHeaders();
    }

    public TaskId taskId() {
      return new TaskId(0, 3);
    }

    public long timestamp() {
      return 0;
    }

    public byte[] sourceRawKey() {
      return "team-a".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public byte[] sourceRawValue() {
      return new byte[] {0, 0, 0, 0, 7, 9, 9};
    }
  }

  @Test
  void anUnexpectedErrorOnARouteNodeDeadLettersTheRecordInsteadOfFailingTheTaskForEver() {
    handler.configure(java.util.Map.of(RouterProcessingExceptionHandler.DLQ_TOPIC_CONFIG, "p.llm.dlq"));
    for (String node : new String[] {"route", "route-rekeyed-routed-value"}) {
      ProcessingExceptionHandler.Response response = handler.handleError(new At(node), record,
          new IllegalStateException("bug"));
      assertThat(response.result()).as(node).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
      assertThat(response.deadLetterQueueRecords()).as(node).singleElement().satisfies(letter -> {
        assertThat(letter.topic()).isEqualTo("p.llm.dlq");
        assertThat(letter.key()).isEqualTo("team-a".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(letter.value()).isEqualTo(new byte[] {0, 0, 0, 0, 7, 9, 9});
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("llm.requests");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("3");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("42");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.ERROR_CLASS))
            .isEqualTo("java.lang.IllegalStateException");
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.SERVICE)).isEqualTo("router");
      });
    }
  }

  @Test
  void anUnreachableRegistryFailsTheTaskSoTheRecordIsReadAgain() {
    SchemaSerdeException unreachable = new SchemaSerdeException("registry down", "llm.requests", 7, true, null);
    ProcessingExceptionHandler.Response response = handler.handleError(new At("route"), record,
        new RuntimeException("wrapped", unreachable));
    assertThat(response.result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void errorsOutsideTheRouteNodesKeepTheDefaultFail() {
    assertThat(handler.handleError(new At("ledger"), record, new IllegalStateException("bug")).result())
        .isEqualTo(ProcessingExceptionHandler.Result.FAIL);
    assertThat(handler.handleError(new At("routing-policies-source"), record, new IllegalStateException("bug"))
        .result()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
  }
}
