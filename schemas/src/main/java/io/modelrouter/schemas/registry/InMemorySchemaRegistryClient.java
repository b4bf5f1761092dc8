package io.modelrouter.schemas.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A registry in memory with the same semantics as the real one (shared ids, per-subject versions, BACKWARD
 * compatibility, 404s), for unit tests. {@code mock://<scope>} URLs resolve to one shared instance per scope.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

  private static final Map<String, InMemorySchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

  private final SchemaRegistryState state = new SchemaRegistryState();

  /** The shared client of a {@code mock://scope} URL. */
  public static InMemorySchemaRegistryClient forScope(String scope) {
    return SCOPES.computeIfAbsent(scope, s -> new InMemorySchemaRegistryClient());
  }

  /** Forgets a scope, so the next {@link #forScope} starts empty. */
  public static void dropScope(String scope) {
    SCOPES.remove(scope);
  }

  public SchemaRegistryState state() {
    return state;
  }

  @Override
  public int register(String subject, Schema schema) {
    synchronized (state) {
      SchemaRegistryState.Plan plan = state.planRegister(subject, schema);
      if (plan.isNew()) {
        state.apply(plan.newVersion());
      }
      return plan.registration().id();
    }
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    if (!state.hasSubject(subject, false)) {
      throw SchemaRegistryException.subjectNotFound(subject);
    }
    return state.lookup(subject, schema)
        .orElseThrow(() -> SchemaRegistryException.schemaNotFound("not registered under subject " + subject));
  }

  @Override
  public Schema schemaById(int id) {
    return state.schemaById(id).orElseThrow(() -> SchemaRegistryException.schemaNotFound("with id " + id));
  }

  @Override
  public RegisteredSchema latest(String subject) {
    return state.latest(subject).orElseThrow(() -> SchemaRegistryException.subjectNotFound(subject));
  }
}
