package io.modelrouter.embedded.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modelrouter.schemas.registry.CompatibilityLevel;
import io.modelrouter.schemas.registry.RegisteredSchema;
import io.modelrouter.schemas.registry.RegistryEvent;
import io.modelrouter.schemas.registry.SchemaRegistryException;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent Schema Registry REST API over {@link SchemaRegistryState}: the calls Confluent's serializers
 * make, the read endpoints tools use, config, compatibility checks, deletes, and empty answers to the
 * {@code /associations} probe of newer clients. Every change is stored in the schemas topic before it is applied.
 */
public final class RegistryHttpHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryHttpHandler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final SchemaRegistryState state;
  private final SchemasTopicStore store;
  private final Set<String> acceptedAuthorizations;
  private final ReentrantLock writeLock = new ReentrantLock();

  public RegistryHttpHandler(SchemaRegistryState state, SchemasTopicStore store, Set<String> acceptedAuthorizations) {
    this.state = state;
    this.store = store;
    this.acceptedAuthorizations = Set.copyOf(acceptedAuthorizations);
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Object body;
      int status = 200;
      try {
        authorize(exchange);
        body = route(exchange.getRequestMethod(), segments(exchange), query(exchange), exchange);
      } catch (HttpError e) {
        status = e.status;
        body = error(e.errorCode, e.getMessage());
      } catch (SchemaRegistryException e) {
        status = e.httpStatus();
        body = error(e.errorCode(), stripSuffix(e.getMessage()));
      } catch (RuntimeException e) {
        LOG.warn("schema registry request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        status = 500;
        body = error(50001, "Error in the backend data store: " + e.getMessage());
      }
      byte[] bytes = (body instanceof String raw ? raw : JSON.writeValueAsString(body)).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private void authorize(HttpExchange exchange) {
    if (acceptedAuthorizations.isEmpty()) {
      return;
    }
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] givenBytes = given == null ? new byte[0] : given.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (String accepted : acceptedAuthorizations) {
      ok |= MessageDigest.isEqual(givenBytes, accepted.getBytes(StandardCharsets.UTF_8));
    }
    if (!ok) {
      throw new HttpError(401, 401, "Unauthorized");
    }
  }

  private Object route(String method, List<String> p, Map<String, String> q, HttpExchange exchange) throws IOException {
    if (p.isEmpty()) {
      return JSON.createObjectNode();
    }
    return switch (p.get(0)) {
      case "subjects" -> subjects(method, p, q, exchange);
      case "schemas" -> schemas(method, p, q);
      case "config" -> config(method, p, q, exchange);
      case "compatibility" -> compatibility(method, p, q, exchange);
      case "mode" -> mode(method, p, q);
      case "contexts" -> get(method, () -> List.of("."));
      // Newer clients probe topic-subject associations first; "none" makes them fall back to TopicNameStrategy.
      case "associations" -> get(method, List::of);
      default -> throw HttpError.notFound();
    };
  }

  private Object subjects(String method, List<String> p, Map<String, String> q, HttpExchange exchange)
      throws IOException {
    boolean deleted = flag(q, "deleted");
    if (p.size() == 1) {
      String prefix = q.getOrDefault("subjectPrefix", "");
      return get(method, () -> state.subjects(deleted).stream().filter(s -> s.startsWith(prefix)).toList());
    }
    String subject = p.get(1);
    if (p.size() == 2) {
      return switch (method) {
        case "POST" -> lookup(subject, readSchema(exchange), deleted);
        case "DELETE" -> deleteSubject(subject, flag(q, "permanent"));
        default -> throw HttpError.methodNotAllowed();
      };
    }
    if (!p.get(2).equals("versions")) {
      throw HttpError.notFound();
    }
    if (p.size() == 3) {
      return switch (method) {
        case "GET" -> {
          List<Integer> versions = state.versions(subject, deleted);
          if (versions.isEmpty()) {
            throw HttpError.subjectNotFound(subject);
          }
          yield versions;
        }
        case "POST" -> register(subject, readSchema(exchange));
        default -> throw HttpError.methodNotAllowed();
      };
    }
    if (p.size() == 4 && method.equals("DELETE")) {
      return deleteVersion(subject, p.get(3), flag(q, "permanent"));
    }
    RegisteredSchema version = resolveVersion(subject, p.get(3), deleted);
    if (p.size() == 4) {
      return get(method, () -> schemaObject(version));
    }
    if (p.size() == 5 && p.get(4).equals("schema")) {
      return get(method, () -> version.schema().toString());
    }
    if (p.size() == 5 && p.get(4).equals("referencedby")) {
      return get(method, List::of);
    }
    throw HttpError.notFound();
  }

  private Object schemas(String method, List<String> p, Map<String, String> q) {
    if (p.size() == 2 && p.get(1).equals("types")) {
      return get(method, () -> List.of("AVRO"));
    }
    if (p.size() < 3 || !p.get(1).equals("ids")) {
      throw HttpError.notFound();
    }
    int id = parseInt(p.get(2)).orElseThrow(() -> HttpError.schemaNotFound("Schema " + p.get(2) + " not found"));
    Schema schema = state.schemaById(id)
        .orElseThrow(() -> HttpError.schemaNotFound("Schema " + id + " not found"));
    if (p.size() == 3) {
      return get(method, () -> {
        ObjectNode node = JSON.createObjectNode().put("schema", schema.toString());
        if (flag(q, "fetchMaxId")) {
          node.put("maxId", state.maxId());
        }
        return node;
      });
    }
    return switch (p.get(3)) {
      case "schema" -> get(method, schema::toString);
      case "subjects" -> get(method, () -> state.usages(id).stream().map(RegisteredSchema::subject).distinct().toList());
      case "versions" -> get(method, () -> state.usages(id).stream()
          .map(r -> JSON.createObjectNode().put("subject", r.subject()).put("version", r.version())).toList());
      default -> throw HttpError.notFound();
    };
  }

  private Object config(String method, List<String> p, Map<String, String> q, HttpExchange exchange)
      throws IOException {
    String subject = p.size() > 1 ? p.get(1) : null;
    if (p.size() > 2) {
      throw HttpError.notFound();
    }
    return switch (method) {
      case "GET" -> {
        if (subject == null) {
          yield JSON.createObjectNode().put("compatibilityLevel", state.globalLevel().name());
        }
        Optional<CompatibilityLevel> own = state.subjectLevel(subject);
        if (own.isEmpty() && !flag(q, "defaultToGlobal")) {
          throw new HttpError(404, 40408,
              "Subject '" + subject + "' does not have subject-level compatibility configured");
        }
        yield JSON.createObjectNode().put("compatibilityLevel", own.orElse(state.globalLevel()).name());
      }
      case "PUT" -> {
        JsonNode body = readJson(exchange);
        String text = body.hasNonNull("compatibility") ? body.get("compatibility").asText()
            : body.path("compatibilityLevel").asText(null);
        CompatibilityLevel level = CompatibilityLevel.parse(text).orElseThrow(HttpError::invalidCompatibility);
        write(List.of(new RegistryEvent.Config(subject, level)));
        yield JSON.createObjectNode().put("compatibility", level.name());
      }
      case "DELETE" -> {
        CompatibilityLevel old;
        if (subject == null) {
          old = state.globalLevel();
        } else {
          old = state.subjectLevel(subject).orElseThrow(() -> HttpError.subjectNotFound(subject));
        }
        write(List.of(new RegistryEvent.Config(subject, null)));
        yield JSON.createObjectNode().put("compatibilityLevel", old.name());
      }
      default -> throw HttpError.methodNotAllowed();
    };
  }

  private Object compatibility(String method, List<String> p, Map<String, String> q, HttpExchange exchange)
      throws IOException {
    if (p.size() < 4 || !p.get(1).equals("subjects") || !p.get(3).equals("versions") || p.size() > 5) {
      throw HttpError.notFound();
    }
    if (!method.equals("POST")) {
      throw HttpError.methodNotAllowed();
    }
    String subject = p.get(2);
    Schema candidate = readSchema(exchange);
    List<Integer> checked;
    if (p.size() == 4) {
      checked = state.checkedVersions(subject, state.level(subject));
    } else if (isLatest(p.get(4)) && state.latest(subject).isEmpty()) {
      checked = List.of();
    } else {
      checked = List.of(resolveVersion(subject, p.get(4), false).version());
    }
    List<String> problems = state.level(subject) == CompatibilityLevel.NONE ? List.of()
        : state.incompatibilities(subject, candidate, checked);
    ObjectNode answer = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
    if (flag(q, "verbose")) {
      ArrayNode messages = answer.putArray("messages");
      problems.forEach(messages::add);
    }
    return answer;
  }

  private Object mode(String method, List<String> p, Map<String, String> q) {
    if (p.size() == 2 && !flag(q, "defaultToGlobal")) {
      return get(method, () -> {
        throw new HttpError(404, 40409, "Subject '" + p.get(1) + "' does not have subject-level mode configured");
      });
    }
    return get(method, () -> JSON.createObjectNode().put("mode", "READWRITE"));
  }

  private Object register(String subject, Schema schema) {
    writeLock.lock();
    try {
      SchemaRegistryState.Plan plan = state.planRegister(subject, schema);
      if (plan.isNew()) {
        write(List.of(plan.newVersion()));
        LOG.info("registered schema {} as id {} version {} of {}", schema.getFullName(), plan.registration().id(),
            plan.registration().version(), subject);
      }
      return JSON.createObjectNode().put("id", plan.registration().id());
    } finally {
      writeLock.unlock();
    }
  }

  private Object lookup(String subject, Schema schema, boolean includeDeleted) {
    if (!state.hasSubject(subject, includeDeleted)) {
      throw HttpError.subjectNotFound(subject);
    }
    return state.lookup(subject, schema).map(this::schemaObject)
        .orElseThrow(() -> HttpError.schemaNotFound("Schema not found"));
  }

  private Object deleteSubject(String subject, boolean permanent) {
    writeLock.lock();
    try {
      if (!state.hasSubject(subject, true)) {
        throw HttpError.subjectNotFound(subject);
      }
      if (permanent) {
        if (state.hasSubject(subject, false)) {
          throw new HttpError(404, 40405,
              "Subject '" + subject + "' was not deleted first before being permanently deleted");
        }
        List<Integer> versions = state.versions(subject, true);
        write(state.planPermanentDelete(subject));
        return versions;
      }
      if (!state.hasSubject(subject, false)) {
        throw new HttpError(404, 40404,
            "Subject '" + subject + "' was soft deleted.Set permanent=true to delete permanently");
      }
      List<Integer> versions = state.versions(subject, false);
      List<RegistryEvent> events = new ArrayList<>(state.planSoftDelete(subject));
      if (state.subjectLevel(subject).isPresent()) {
        events.add(new RegistryEvent.Config(subject, null));
      }
      write(events);
      return versions;
    } finally {
      writeLock.unlock();
    }
  }

  private Object deleteVersion(String subject, String versionText, boolean permanent) {
    writeLock.lock();
    try {
      if (!state.hasSubject(subject, true)) {
        throw HttpError.subjectNotFound(subject);
      }
      int version = isLatest(versionText)
          ? state.latest(subject).orElseThrow(() -> HttpError.subjectNotFound(subject)).version()
          : parseVersion(versionText);
      RegisteredSchema any = state.version(subject, version, true)
          .orElseThrow(() -> HttpError.versionNotFound(version));
      boolean live = state.version(subject, version, false).isPresent();
      if (permanent) {
        if (live) {
          throw new HttpError(404, 40407, "Subject '" + subject + "' Version " + version
              + " was not deleted first before being permanently deleted");
        }
        write(List.of(new RegistryEvent.VersionRemoved(subject, any.version())));
      } else {
        if (!live) {
          throw new HttpError(404, 40406, "Subject '" + subject + "' Version " + version
              + " was soft deleted.Set permanent=true to delete permanently");
        }
        write(List.of(state.planSoftDeleteVersion(subject, version)));
      }
      return version;
    } finally {
      writeLock.unlock();
    }
  }

  private void write(List<RegistryEvent> events) {
    writeLock.lock();
    try {
      store.append(events);
      events.forEach(state::apply);
    } finally {
      writeLock.unlock();
    }
  }

  private RegisteredSchema resolveVersion(String subject, String text, boolean includeDeleted) {
    if (isLatest(text)) {
      return state.latest(subject).orElseThrow(() -> HttpError.subjectNotFound(subject));
    }
    int version = parseVersion(text);
    if (!state.hasSubject(subject, includeDeleted)) {
      throw HttpError.subjectNotFound(subject);
    }
    return state.version(subject, version, includeDeleted).orElseThrow(() -> HttpError.versionNotFound(version));
  }

  private static boolean isLatest(String text) {
    return text.trim().equalsIgnoreCase("latest") || text.trim().equals("-1");
  }

  private static int parseVersion(String text) {
    return parseInt(text.trim()).filter(v -> v >= 1).orElseThrow(() -> HttpError.invalidVersion(text));
  }

  private static Optional<Integer> parseInt(String text) {
    try {
      return Optional.of(Integer.parseInt(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private ObjectNode schemaObject(RegisteredSchema r) {
    return JSON.createObjectNode().put("subject", r.subject()).put("version", r.version()).put("id", r.id())
        .put("schema", r.schema().toString());
  }

  private static Schema readSchema(HttpExchange exchange) throws IOException {
    JsonNode body = readJson(exchange);
    String type = body.path("schemaType").asText("AVRO");
    if (!type.equalsIgnoreCase("AVRO")) {
      throw HttpError.invalidSchema("Invalid schema type " + type + ": this registry serves AVRO only");
    }
    if (body.path("references").isArray() && !body.path("references").isEmpty()) {
      throw HttpError.invalidSchema("Schema references are not supported by the embedded registry");
    }
    String text = body.path("schema").asText("");
    if (text.isBlank()) {
      throw HttpError.invalidSchema("Empty schema");
    }
    return SchemaRegistryState.parse(text);
  }

  private static JsonNode readJson(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      byte[] bytes = in.readAllBytes();
      if (bytes.length == 0) {
        return JSON.createObjectNode();
      }
      try {
        return JSON.readTree(bytes);
      } catch (IOException e) {
        throw new HttpError(400, 400, "Request body is not JSON: " + e.getMessage());
      }
    }
  }

  private static Object get(String method, java.util.function.Supplier<Object> answer) {
    if (!method.equals("GET")) {
      throw HttpError.methodNotAllowed();
    }
    return answer.get();
  }

  private static ObjectNode error(int code, String message) {
    return JSON.createObjectNode().put("error_code", code).put("message", message);
  }

  /** Our exception messages end with "(HTTP n, error_code m)"; the wire message does not. */
  private static String stripSuffix(String message) {
    int at = message.lastIndexOf(" (HTTP ");
    return at > 0 ? message.substring(0, at) : message;
  }

  private static boolean flag(Map<String, String> query, String name) {
    return Boolean.parseBoolean(query.getOrDefault(name, "false"));
  }

  private static List<String> segments(HttpExchange exchange) {
    List<String> out = new ArrayList<>();
    for (String raw : exchange.getRequestURI().getRawPath().split("/")) {
      if (!raw.isEmpty()) {
        out.add(URLDecoder.decode(raw, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static Map<String, String> query(HttpExchange exchange) {
    Map<String, String> out = new HashMap<>();
    String raw = exchange.getRequestURI().getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.put(name, value);
    }
    return out;
  }
}
