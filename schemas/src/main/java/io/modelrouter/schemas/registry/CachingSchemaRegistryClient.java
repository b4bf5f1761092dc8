package io.modelrouter.schemas.registry;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Caches what never changes (ids of registered schemas, schemas by id) forever and the latest version of a
 * subject for a time-to-live, so the hot path of a serde makes no registry call after warm-up.
 */
public final class CachingSchemaRegistryClient implements SchemaRegistryClient {

  private record SubjectSchema(String subject, String canonical) {}

  private record Expiring(RegisteredSchema value, Instant until) {}

  private final SchemaRegistryClient delegate;
  private final Duration latestTtl;
  private final Clock clock;
  private final Map<SubjectSchema, Integer> registered = new ConcurrentHashMap<>();
  private final Map<SubjectSchema, RegisteredSchema> lookedUp = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
  private final Map<String, Expiring> latest = new ConcurrentHashMap<>();

  public CachingSchemaRegistryClient(SchemaRegistryClient delegate, Duration latestTtl, Clock clock) {
    this.delegate = delegate;
    this.latestTtl = latestTtl;
    this.clock = clock;
  }

  public CachingSchemaRegistryClient(SchemaRegistryClient delegate) {
    this(delegate, Duration.ofMinutes(1), Clock.systemUTC());
  }

  @Override
  public int register(String subject, Schema schema) {
    return registered.computeIfAbsent(new SubjectSchema(subject, SchemaRegistryState.canonical(schema)), key -> {
      int id = delegate.register(subject, schema);
      byId.putIfAbsent(id, schema);
      return id;
    });
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    return lookedUp.computeIfAbsent(new SubjectSchema(subject, SchemaRegistryState.canonical(schema)), key -> {
      RegisteredSchema found = delegate.lookup(subject, schema);
      byId.putIfAbsent(found.id(), schema);
      return found;
    });
  }

  @Override
  public Schema schemaById(int id) {
    return byId.computeIfAbsent(id, delegate::schemaById);
  }

  @Override
  public RegisteredSchema latest(String subject) {
    Instant now = clock.instant();
    Expiring cached = latest.get(subject);
    if (cached != null && now.isBefore(cached.until())) {
      return cached.value();
    }
    RegisteredSchema fresh = delegate.latest(subject);
    byId.putIfAbsent(fresh.id(), fresh.schema());
    latest.put(subject, new Expiring(fresh, now.plus(latestTtl)));
    return fresh;
  }

  @Override
  public void close() {
    delegate.close();
  }
}
