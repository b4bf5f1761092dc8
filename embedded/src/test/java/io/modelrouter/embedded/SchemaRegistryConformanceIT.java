package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.registry.HttpSchemaRegistryClient;
import io.modelrouter.schemas.registry.RegisteredSchema;
import io.modelrouter.schemas.registry.SchemaRegistryException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The embedded registry answers like Confluent's, over real HTTP, with its schemas kept in a Kafka topic. */
@IntegrationTest
class SchemaRegistryConformanceIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Widget\","
      + "\"namespace\":\"test\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}");
  private static final Schema V2 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Widget\","
      + "\"namespace\":\"test\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"color\",\"type\":\"string\",\"default\":\"blue\"}]}");
  private static final Schema INCOMPATIBLE = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Widget\","
      + "\"namespace\":\"test\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"},"
      + "{\"name\":\"size\",\"type\":\"int\"}]}");

  private final HttpClient http = HttpClient.newHttpClient();
  private String topic;
  private EmbeddedSchemaRegistry registry;
  private HttpSchemaRegistryClient client;

  @BeforeEach
  void startRegistry(KafkaStack stack) {
    topic = stack.uniqueName("_schemas-conformance");
    registry = EmbeddedSchemaRegistry.builder(stack.bootstrapServers()).topic(topic).build();
    client = new HttpSchemaRegistryClient(List.of(URI.create(registry.url())), Optional.empty(), Duration.ofSeconds(10));
  }

  @AfterEach
  void stopRegistry() {
    registry.close();
  }

  @Test
  void registersLooksUpAndServesLatest() throws Exception {
    int id1 = client.register("widgets-value", V1);
    int id2 = client.register("widgets-value", V2);

    RegisteredSchema found = client.lookup("widgets-value", V1);
    assertThat(found.id()).isEqualTo(id1);
    assertThat(found.version()).isEqualTo(1);
    assertThat(client.schemaById(id2)).isEqualTo(V2);
    RegisteredSchema latest = client.latest("widgets-value");
    assertThat(latest.version()).isEqualTo(2);
    assertThat(latest.id()).isEqualTo(id2);
    assertThat(latest.schema()).isEqualTo(V2);
    assertThat(get("/subjects/widgets-value/versions").body()).isEqualTo("[1,2]");
    assertThat(json(get("/subjects/widgets-value/versions/-1")).path("version").asInt()).isEqualTo(2);
  }

  @Test
  void registerAnswersOnlyTheIdAndIsIdempotent() throws Exception {
    HttpResponse<String> first = post("/subjects/w-value/versions?normalize=false", body(V1));
    HttpResponse<String> again = post("/subjects/w-value/versions?normalize=false", body(V1));
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
    assertThat(json(first).fieldNames()).toIterable().containsExactly("id");
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(get("/subjects/w-value/versions").body()).isEqualTo("[1]");
  }

  @Test
  void theSameSchemaUnderTwoSubjectsSharesItsId() {
    assertThat(client.register("b-value", V1)).isEqualTo(client.register("a-value", V1));
  }

  @Test
  void incompatibleSchemaGets409WithThreeDigitErrorCode() throws Exception {
    client.register("strict-value", V1);
    HttpResponse<String> response = post("/subjects/strict-value/versions", body(INCOMPATIBLE));
    assertThat(response.statusCode()).isEqualTo(409);
    JsonNode error = json(response);
    assertThat(error.path("error_code").asInt()).isEqualTo(409);
    assertThat(error.path("message").asText())
        .startsWith("Schema being registered is incompatible with an earlier schema for subject \"strict-value\"");
    assertThatThrownBy(() -> client.register("strict-value", INCOMPATIBLE))
        .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(409));
  }

  @Test
  void compatibilityEndpointAndConfigFollowConfluent() throws Exception {
    client.register("cfg-value", V1);
    assertThat(json(post("/compatibility/subjects/cfg-value/versions/latest", body(V2))).path("is_compatible")
        .asBoolean()).isTrue();
    JsonNode verbose = json(post("/compatibility/subjects/cfg-value/versions/latest?verbose=true", body(INCOMPATIBLE)));
    assertThat(verbose.path("is_compatible").asBoolean()).isFalse();
    assertThat(verbose.path("messages")).isNotEmpty();

    assertThat(json(get("/config")).path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
    assertThat(json(get("/config/cfg-value")).path("error_code").asInt()).isEqualTo(40408);
    assertThat(json(send("PUT", "/config/cfg-value", "{\"compatibility\":\"none\"}")).path("compatibility").asText())
        .isEqualTo("NONE");
    assertThat(client.register("cfg-value", INCOMPATIBLE)).isPositive();
    assertThat(json(send("PUT", "/config", "{\"compatibility\":\"sideways\"}")).path("error_code").asInt())
        .isEqualTo(42203);
  }

  @Test
  void notFoundAnswersCarryConfluentErrorCodes() throws Exception {
    client.register("nf-value", V1);
    assertCode(get("/subjects/missing-value/versions"), 404, 40401);
    assertCode(get("/subjects/nf-value/versions/7"), 404, 40402);
    assertCode(get("/schemas/ids/999999"), 404, 40403);
    assertCode(post("/subjects/nf-value", body(V2)), 404, 40403);
    assertCode(post("/subjects/missing-value", body(V1)), 404, 40401);
    assertCode(get("/subjects/nf-value/versions/zero"), 422, 42202);
    assertCode(get("/no/such/route"), 404, 404);
    assertCode(post("/subjects/nf-value/versions", "{\"schema\":\"{not avro\"}"), 422, 42201);
  }

  @Test
  void newerClientsAssociationProbeGetsAnEmptyList() throws Exception {
    HttpResponse<String> response = get("/associations/resources/-/llm.requests?resourceType=topic&associationType=value");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("[]");
  }

  @Test
  void deletesAreSoftThenPermanent() throws Exception {
    client.register("del-value", V1);
    assertCode(send("DELETE", "/subjects/del-value?permanent=true", null), 404, 40405);
    assertThat(send("DELETE", "/subjects/del-value", null).body()).isEqualTo("[1]");
    assertCode(send("DELETE", "/subjects/del-value", null), 404, 40404);
    assertThat(get("/subjects").body()).doesNotContain("del-value");
    assertThat(get("/subjects?deleted=true").body()).contains("del-value");
    assertThat(send("DELETE", "/subjects/del-value?permanent=true", null).body()).isEqualTo("[1]");
    assertCode(send("DELETE", "/subjects/del-value", null), 404, 40401);
  }

  @Test
  void idsAndVersionsSurviveARestart(KafkaStack stack) {
    int id = client.register("durable-value", V1);
    int id2 = client.register("durable-value", V2);
    registry.close();

    registry = EmbeddedSchemaRegistry.builder(stack.bootstrapServers()).topic(topic).build();
    client = new HttpSchemaRegistryClient(List.of(URI.create(registry.url())), Optional.empty(), Duration.ofSeconds(10));

    assertThat(client.schemaById(id)).isEqualTo(V1);
    assertThat(client.latest("durable-value").id()).isEqualTo(id2);
    assertThat(client.register("durable-value", V1)).isEqualTo(id);
    Schema fresh = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}");
    assertThat(client.register("other-value", fresh)).isGreaterThan(id2);
  }

  @Test
  void aRegistryThatRequiresCredentialsRefusesRequestsWithout(KafkaStack stack) {
    String basic = "Basic " + Base64.getEncoder().encodeToString("svc:pw".getBytes(StandardCharsets.UTF_8));
    try (EmbeddedSchemaRegistry secured = EmbeddedSchemaRegistry.builder(stack.bootstrapServers())
        .topic(stack.uniqueName("_schemas-secured")).requireAuthorization(basic).build()) {
      HttpSchemaRegistryClient anonymous = new HttpSchemaRegistryClient(List.of(URI.create(secured.url())),
          Optional.empty(), Duration.ofSeconds(10));
      HttpSchemaRegistryClient authorized = new HttpSchemaRegistryClient(List.of(URI.create(secured.url())),
          Optional.of(basic), Duration.ofSeconds(10));
      assertThatThrownBy(() -> anonymous.register("s-value", V1))
          .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
      assertThat(authorized.register("s-value", V1)).isPositive();
    }
  }

  @Test
  void aSecondUrlIsTriedWhenTheFirstIsUnreachable() {
    HttpSchemaRegistryClient failover = new HttpSchemaRegistryClient(
        List.of(URI.create("http://localhost:1"), URI.create(registry.url())), Optional.empty(), Duration.ofSeconds(5));
    assertThat(failover.register("failover-value", V1)).isPositive();
  }

  private void assertCode(HttpResponse<String> response, int status, int errorCode) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode body = json(response);
    assertThat(body.path("error_code").asInt()).as(response.body()).isEqualTo(errorCode);
    assertThat(body.path("message").asText()).isNotBlank();
  }

  private static String body(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString()).toString();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send("GET", path, null);
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send("POST", path, body);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(registry.url() + path))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return JSON.readTree(response.body());
  }
}
