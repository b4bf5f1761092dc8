package io.modelrouter.schemas.serde;

/** The schema registry could not be reached or failed: the record may be fine, try again later. */
public final class RegistryUnavailableException extends SchemaSerdeException {
  public RegistryUnavailableException(String message, String topic, int schemaId, Throwable cause) {
    super(message, topic, schemaId, true, cause);
  }
}
