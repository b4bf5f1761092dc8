package io.modelrouter.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Speaks the Confluent Schema Registry REST API over the JDK HttpClient. With several base URLs, a URL that
 * cannot be reached is skipped for the next one, as Confluent's client does. Credentials go only into the
 * Authorization header; they are never part of an exception message.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

  static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<URI> baseUrls;
  private final Optional<String> authorization;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param baseUrls registry URLs, tried in order
   * @param authorization the value of the Authorization header ({@code Basic ...} or {@code Bearer ...}), if any
   * @param timeout connect and request timeout
   */
  public HttpSchemaRegistryClient(List<URI> baseUrls, Optional<String> authorization, Duration timeout) {
    if (baseUrls == null || baseUrls.isEmpty()) {
      throw new IllegalArgumentException("schema.registry.url must name at least one URL, got none");
    }
    this.baseUrls = List.copyOf(baseUrls);
    this.authorization = Objects.requireNonNull(authorization);
    this.timeout = Objects.requireNonNull(timeout);
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public int register(String subject, Schema schema) {
    return send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema)).path("id").asInt();
  }

  @Override
  public RegisteredSchema lookup(String subject, Schema schema) {
    JsonNode body = send("POST", "/subjects/" + encode(subject), schemaBody(schema));
    return new RegisteredSchema(subject, body.path("version").asInt(), body.path("id").asInt(), schema);
  }

  @Override
  public Schema schemaById(int id) {
    JsonNode body = send("GET", "/schemas/ids/" + id, null);
    return SchemaRegistryState.parse(body.path("schema").asText());
  }

  @Override
  public RegisteredSchema latest(String subject) {
    JsonNode body = send("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
    return new RegisteredSchema(body.path("subject").asText(subject), body.path("version").asInt(),
        body.path("id").asInt(), SchemaRegistryState.parse(body.path("schema").asText()));
  }

  private static String schemaBody(Schema schema) {
    ObjectNode node = JSON.createObjectNode();
    node.put("schema", schema.toString());
    return node.toString();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, String body) {
    IOException lastFailure = null;
    for (URI base : baseUrls) {
      HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(stripSlash(base) + path))
          .timeout(timeout)
          .header("Accept", ACCEPT);
      authorization.ifPresent(value -> request.header("Authorization", value));
      if (body != null) {
        request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
      } else {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      }
      try {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return parse(method, path, response);
      } catch (IOException e) {
        lastFailure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException(0, SchemaRegistryException.STORE_ERROR,
            "Interrupted while calling the schema registry: " + method + " " + path, e);
      }
    }
    throw new SchemaRegistryException(0, SchemaRegistryException.STORE_ERROR,
        "Schema registry unreachable at " + baseUrls + " for " + method + " " + path + ": " + lastFailure,
        lastFailure);
  }

  private static String stripSlash(URI base) {
    String path = base.getPath() == null ? "" : base.getPath();
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static JsonNode parse(String method, String path, HttpResponse<String> response) {
    JsonNode node;
    try {
      node = response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SchemaRegistryException(response.statusCode(), SchemaRegistryException.STORE_ERROR,
          "Schema registry answered " + method + " " + path + " with a body that is not JSON", e);
    }
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return node;
    }
    int errorCode = node.path("error_code").asInt(status);
    String message = node.path("message").asText("HTTP " + status);
    throw new SchemaRegistryException(status, errorCode, method + " " + path + ": " + message);
  }
}
