package io.modelrouter.schemas.serde;

/** The bytes are not on the Confluent wire format (wrong magic byte, or shorter than the 5-byte header). */
public final class WireFormatException extends SchemaSerdeException {
  public WireFormatException(String message, String topic) {
    super(message, topic, -1, false, null);
  }
}
