package io.modelrouter.schemas.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * The semantics of a Confluent-compatible schema registry, without transport or storage: ids are registry-wide
 * and shared by identical schemas across subjects, versions are per subject, registering a schema a subject
 * already has returns the existing version, and a new version must be compatible at the subject's level.
 *
 * <p>Commands ({@link #planRegister}) only compute the event to store; {@link #apply} changes the state. This
 * lets the embedded registry write an event to its topic before it becomes visible. Thread-safe.
 */
public final class SchemaRegistryState {

  /** The outcome of {@link #planRegister}: the existing registration, or a new event to store and apply. */
  public record Plan(RegisteredSchema registration, RegistryEvent.SchemaVersion newVersion) {
    public boolean isNew() {
      return newVersion != null;
    }
  }

  private record Version(int version, int id, boolean deleted) {}

  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, Integer> idsByCanonical = new HashMap<>();
  private final Map<String, TreeMap<Integer, Version>> subjects = new HashMap<>();
  private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
  private CompatibilityLevel globalLevel;
  private int maxId;

  public SchemaRegistryState() {
    this(CompatibilityLevel.BACKWARD);
  }

  public SchemaRegistryState(CompatibilityLevel defaultLevel) {
    this.globalLevel = defaultLevel;
  }

  /** The text that identifies "the same schema": Avro's own rendering of the parsed schema. */
  public static String canonical(Schema schema) {
    return schema.toString();
  }

  public static Schema parse(String text) {
    try {
      return new Schema.Parser().parse(text);
    } catch (RuntimeException e) {
      throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_SCHEMA,
          "Invalid schema: " + e.getMessage(), e);
    }
  }

  public synchronized Plan planRegister(String subject, Schema schema) {
    String canonical = canonical(schema);
    Optional<RegisteredSchema> existing = lookup(subject, schema);
    if (existing.isPresent()) {
      return new Plan(existing.get(), null);
    }
    List<String> problems = incompatibilities(subject, schema, checkedVersions(subject, level(subject)));
    if (!problems.isEmpty()) {
      throw new SchemaRegistryException(409, SchemaRegistryException.INCOMPATIBLE_SCHEMA,
          "Schema being registered is incompatible with an earlier schema for subject \"" + subject
              + "\", details: " + problems);
    }
    Integer id = idsByCanonical.get(canonical);
    int newId = id != null ? id : maxId + 1;
    TreeMap<Integer, Version> versions = subjects.get(subject);
    int newVersion = versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;
    RegistryEvent.SchemaVersion event = new RegistryEvent.SchemaVersion(subject, newVersion, newId, canonical, false);
    return new Plan(new RegisteredSchema(subject, newVersion, newId, schema), event);
  }

  public synchronized void apply(RegistryEvent event) {
    switch (event) {
      case RegistryEvent.SchemaVersion v -> {
        Schema schema = schemasById.get(v.id());
        if (schema == null) {
          schema = parse(v.schema());
          schemasById.put(v.id(), schema);
          idsByCanonical.putIfAbsent(canonical(schema), v.id());
        }
        maxId = Math.max(maxId, v.id());
        subjects.computeIfAbsent(v.subject(), s -> new TreeMap<>())
            .put(v.version(), new Version(v.version(), v.id(), v.deleted()));
      }
      case RegistryEvent.VersionRemoved r -> {
        TreeMap<Integer, Version> versions = subjects.get(r.subject());
        if (versions != null) {
          versions.remove(r.version());
          if (versions.isEmpty()) {
            subjects.remove(r.subject());
          }
        }
      }
      case RegistryEvent.Config c -> {
        if (c.subject() == null) {
          globalLevel = c.level() == null ? CompatibilityLevel.BACKWARD : c.level();
        } else if (c.level() == null) {
          subjectLevels.remove(c.subject());
        } else {
          subjectLevels.put(c.subject(), c.level());
        }
      }
    }
  }

  /** The live version of the subject whose schema is this one. */
  public synchronized Optional<RegisteredSchema> lookup(String subject, Schema schema) {
    Integer id = idsByCanonical.get(canonical(schema));
    TreeMap<Integer, Version> versions = subjects.get(subject);
    if (id == null || versions == null) {
      return Optional.empty();
    }
    return versions.values().stream()
        .filter(v -> !v.deleted() && v.id() == id)
        .findFirst()
        .map(v -> new RegisteredSchema(subject, v.version(), id, schemasById.get(id)));
  }

  public synchronized Optional<Schema> schemaById(int id) {
    return Optional.ofNullable(schemasById.get(id));
  }

  public synchronized boolean hasSubject(String subject, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjects.get(subject);
    return versions != null && versions.values().stream().anyMatch(v -> includeDeleted || !v.deleted());
  }

  public synchronized List<String> subjects(boolean includeDeleted) {
    return new ArrayList<>(new TreeSet<>(subjects.keySet().stream()
        .filter(s -> hasSubject(s, includeDeleted)).toList()));
  }

  public synchronized List<Integer> versions(String subject, boolean includeDeleted) {
    TreeMap<Integer, Version> versions = subjects.getOrDefault(subject, new TreeMap<>());
    return versions.values().stream().filter(v -> includeDeleted || !v.deleted()).map(Version::version).toList();
  }

  public synchronized Optional<RegisteredSchema> version(String subject, int version, boolean includeDeleted) {
    Version v = subjects.getOrDefault(subject, new TreeMap<>()).get(version);
    if (v == null || (v.deleted() && !includeDeleted)) {
      return Optional.empty();
    }
    return Optional.of(new RegisteredSchema(subject, v.version(), v.id(), schemasById.get(v.id())));
  }

  public synchronized Optional<RegisteredSchema> latest(String subject) {
    List<Integer> live = versions(subject, false);
    return live.isEmpty() ? Optional.empty() : version(subject, live.get(live.size() - 1), false);
  }

  /** Subjects and versions that use the schema with this id. */
  public synchronized List<RegisteredSchema> usages(int id) {
    List<RegisteredSchema> out = new ArrayList<>();
    subjects.forEach((subject, versions) -> versions.values().stream()
        .filter(v -> v.id() == id && !v.deleted())
        .forEach(v -> out.add(new RegisteredSchema(subject, v.version(), id, schemasById.get(id)))));
    return out;
  }

  /** The highest id ever assigned (0 when empty). */
  public synchronized int maxId() {
    return maxId;
  }

  public synchronized CompatibilityLevel globalLevel() {
    return globalLevel;
  }

  public synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
    return Optional.ofNullable(subjectLevels.get(subject));
  }

  public synchronized CompatibilityLevel level(String subject) {
    return subjectLevels.getOrDefault(subject, globalLevel);
  }

  /** Events that soft-delete every live version of the subject. */
  public synchronized List<RegistryEvent> planSoftDelete(String subject) {
    return subjects.getOrDefault(subject, new TreeMap<>()).values().stream()
        .filter(v -> !v.deleted())
        .<RegistryEvent>map(v -> new RegistryEvent.SchemaVersion(subject, v.version(), v.id(),
            canonical(schemasById.get(v.id())), true))
        .toList();
  }

  /** Events that permanently remove every version of the subject (which must be soft-deleted first). */
  public synchronized List<RegistryEvent> planPermanentDelete(String subject) {
    return subjects.getOrDefault(subject, new TreeMap<>()).values().stream()
        .<RegistryEvent>map(v -> new RegistryEvent.VersionRemoved(subject, v.version()))
        .toList();
  }

  /** The event that soft-deletes one live version. */
  public synchronized RegistryEvent planSoftDeleteVersion(String subject, int version) {
    Version v = subjects.getOrDefault(subject, new TreeMap<>()).get(version);
    if (v == null || v.deleted()) {
      throw new IllegalArgumentException("no live version " + version + " of " + subject);
    }
    return new RegistryEvent.SchemaVersion(subject, version, v.id(), canonical(schemasById.get(v.id())), true);
  }

  /** Incompatibilities of the candidate with the given versions of the subject, in Confluent's wording. */
  public synchronized List<String> incompatibilities(String subject, Schema candidate, List<Integer> versionsToCheck) {
    CompatibilityLevel level = level(subject);
    List<String> problems = new ArrayList<>();
    for (int version : versionsToCheck) {
      Optional<RegisteredSchema> existing = version(subject, version, false);
      if (existing.isEmpty()) {
        continue;
      }
      Schema old = existing.get().schema();
      if (level.backward) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, old), "new", "old", version, problems);
      }
      if (level.forward) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(old, candidate), "old", "new", version, problems);
      }
    }
    return problems;
  }

  /** The versions a new schema is checked against at this level: none, the latest, or all live ones. */
  public synchronized List<Integer> checkedVersions(String subject, CompatibilityLevel level) {
    List<Integer> live = versions(subject, false);
    if (level == CompatibilityLevel.NONE || live.isEmpty()) {
      return List.of();
    }
    return level.transitive ? live : List.of(live.get(live.size() - 1));
  }

  private static void describe(SchemaCompatibility.SchemaPairCompatibility pair, String readerName,
      String writerName, int version, List<String> problems) {
    if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
      return;
    }
    for (Incompatibility i : pair.getResult().getIncompatibilities()) {
      problems.add("{errorType:'" + i.getType() + "', description:'" + i.getMessage() + " (reader: " + readerName
          + " schema, writer: " + writerName + " schema)', additionalInfo:'" + i.getLocation()
          + "', version:" + version + "}");
    }
  }
}
