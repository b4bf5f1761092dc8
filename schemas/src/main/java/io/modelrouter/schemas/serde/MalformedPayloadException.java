package io.modelrouter.schemas.serde;

/** The Avro payload does not decode with its writer schema, or cannot be resolved to the reader schema. */
public final class MalformedPayloadException extends SchemaSerdeException {
  public MalformedPayloadException(String message, String topic, int schemaId, Throwable cause) {
    super(message, topic, schemaId, false, cause);
  }
}
