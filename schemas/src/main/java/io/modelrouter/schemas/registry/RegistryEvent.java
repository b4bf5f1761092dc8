package io.modelrouter.schemas.registry;

/**
 * A change to a registry's state. The embedded registry stores these in its {@code _schemas} topic and
 * rebuilds its state by applying them in order; the in-memory client applies them directly.
 */
public sealed interface RegistryEvent {

  /** A version of a subject (also rewritten with {@code deleted=true} by a soft delete). */
  record SchemaVersion(String subject, int version, int id, String schema, boolean deleted) implements RegistryEvent {}

  /** A version permanently removed (a tombstone in {@code _schemas}). */
  record VersionRemoved(String subject, int version) implements RegistryEvent {}

  /** The compatibility level of a subject, or the global level when subject is null; level null removes it. */
  record Config(String subject, CompatibilityLevel level) implements RegistryEvent {}
}
