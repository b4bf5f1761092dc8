package io.modelrouter.schemas.registry;

import org.apache.avro.Schema;

/**
 * The calls Confluent's Avro serializers make to a schema registry.
 *
 * <p>Implementations: {@link HttpSchemaRegistryClient} (the REST API), {@link InMemorySchemaRegistryClient}
 * (unit tests) and {@link CachingSchemaRegistryClient} (a cache in front of either).
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /** Registers the schema under the subject ({@code POST /subjects/{s}/versions}) and returns its id. */
  int register(String subject, Schema schema);

  /** Finds the schema among the subject's versions ({@code POST /subjects/{s}}); 404 if absent. */
  RegisteredSchema lookup(String subject, Schema schema);

  /** The schema with this registry-wide id ({@code GET /schemas/ids/{id}}); 404 if unknown. */
  Schema schemaById(int id);

  /** The subject's latest version ({@code GET /subjects/{s}/versions/latest}); 404 if no such subject. */
  RegisteredSchema latest(String subject);

  @Override
  default void close() {}
}
