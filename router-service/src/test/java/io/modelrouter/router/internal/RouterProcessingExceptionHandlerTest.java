package io.modelrouter.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.serde.SchemaSerdeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler.ProcessingHandlerResponse;
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
      return null;
    }

    public byte[] sourceRawValue() {
      return null;
    }
  }

  @Test
  void anUnexpectedErrorOnARouteNodeSkipsTheRecordInsteadOfFailingTheTaskForEver() {
    assertThat(handler.handle(new At("route"), record, new IllegalStateException("bug"))).isEqualTo(
        ProcessingHandlerResponse.CONTINUE);
    assertThat(handler.handle(new At("route-rekeyed-routed-value"), record, new NullPointerException())).isEqualTo(
        ProcessingHandlerResponse.CONTINUE);
  }

  @Test
  void anUnreachableRegistryFailsTheTaskSoTheRecordIsReadAgain() {
    SchemaSerdeException unreachable = new SchemaSerdeException("registry down", "llm.requests", 7, true, null);
    assertThat(handler.handle(new At("route"), record, new RuntimeException("wrapped", unreachable))).isEqualTo(
        ProcessingHandlerResponse.FAIL);
  }

  @Test
  void errorsOutsideTheRouteNodesKeepTheDefaultFail() {
    assertThat(handler.handle(new At("ledger"), record, new IllegalStateException("bug"))).isEqualTo(
        ProcessingHandlerResponse.FAIL);
    assertThat(handler.handle(new At("routing-policies-source"), record, new IllegalStateException("bug")))
        .isEqualTo(ProcessingHandlerResponse.FAIL);
  }
}
