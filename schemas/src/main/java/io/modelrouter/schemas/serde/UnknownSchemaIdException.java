package io.modelrouter.schemas.serde;

/** The record names a schema id the registry does not know. */
public final class UnknownSchemaIdException extends SchemaSerdeException {
  public UnknownSchemaIdException(String topic, int schemaId, Throwable cause) {
    super("Schema id " + schemaId + " is not known to the schema registry", topic, schemaId, false, cause);
  }
}
