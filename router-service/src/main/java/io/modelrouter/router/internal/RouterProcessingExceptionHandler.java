package io.modelrouter.router.internal;

import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's {@code processing.exception.handler}: the backstop for an exception that escapes the route
 * processors' own handling (which answers an unexpected error while routing with a REJECTED result). On the route
 * nodes, an error that trying again cannot cure sends the record to {@code llm.dlq} with the usual {@code dlq.*}
 * headers (in the task's transaction, through Kafka Streams' dead-letter support of KIP-1034) and goes on, with an
 * ERROR log naming its topic, partition and offset: failing would restart the task on the same record, for ever. A
 * registry that cannot be reached, Kafka's own errors, and every other node (the spend ledger) fail the task as by
 * default, so the record is read again.
 */
public final class RouterProcessingExceptionHandler implements ProcessingExceptionHandler {
  /** The Streams property that names the DLQ topic for this handler (set by {@code RouterConfig}). */
  public static final String DLQ_TOPIC_CONFIG = "model.router.dlq.topic";
  private static final Logger LOG = LoggerFactory.getLogger(RouterProcessingExceptionHandler.class);

  private String dlqTopic = Topics.DLQ;

  @Override
  public void configure(Map<String, ?> configs) {
    Object topic = configs.get(DLQ_TOPIC_CONFIG);
    if (topic != null) {
      dlqTopic = topic.toString();
    }
  }

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    if (!isRouteNode(context.processorNodeId()) || retryable(exception)) {
      return Response.fail();
    }
    LOG.error("record {}-{}@{} dead-lettered by router node {} after an unexpected error: {}", context.topic(),
        context.partition(), context.offset(), context.processorNodeId(), DeadLetters.describe(exception), exception);
    if (context.sourceRawValue() == null) {
      return Response.resume();
    }
    return Response.resume(List.of(DeadLetters.record(dlqTopic,
        new DeadLetters.Source(context.topic(), context.partition(), context.offset()), context.sourceRawKey(),
        context.sourceRawValue(), context.headers(), exception, "router", System.currentTimeMillis())));
  }

  /** The nodes of {@code RouterTopology.routeAndSplit}: {@code route}, {@code route-rekeyed} and theirs. */
  static boolean isRouteNode(String node) {
    return node != null && (node.equals("route") || node.startsWith("route-"));
  }

  private static boolean retryable(Throwable exception) {
    for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SchemaSerdeException serde) {
        return serde.isRetryable();
      }
      if (t instanceof KafkaException) {
        return true;
      }
    }
    return false;
  }
}
