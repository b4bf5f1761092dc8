package io.modelrouter.schemas.registry;

import org.apache.avro.Schema;

/** A schema as registered under a subject: the subject's version and the registry-wide id. */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {}
