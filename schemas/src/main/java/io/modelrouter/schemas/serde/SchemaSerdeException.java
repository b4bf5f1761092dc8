package io.modelrouter.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that could not be serialized or deserialized. Names the topic and the schema id (-1 when it could
 * not be read); the consumer or stream that caught it adds partition and offset. {@link #isRetryable()} tells
 * DLQ handling whether trying again can help (the registry was unreachable) or not (the bytes are bad).
 */
public class SchemaSerdeException extends SerializationException {

  private final String topic;
  private final int schemaId;
  private final boolean retryable;

  public SchemaSerdeException(String message, String topic, int schemaId, boolean retryable, Throwable cause) {
    super(message + " [topic=" + topic + ", schemaId=" + schemaId + "]", cause);
    this.topic = topic;
    this.schemaId = schemaId;
    this.retryable = retryable;
  }

  public String topic() {
    return topic;
  }

  public int schemaId() {
    return schemaId;
  }

  public boolean isRetryable() {
    return retryable;
  }
}
