package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.runtime.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP wrapper on a real server, with endpoints that need no Kafka: 401, 400, 403, errors and metrics. */
class HttpApiTest {
  private static final String ADMIN = "adm1n-t0ken";
  private static final String ALPHA = "alpha-t0ken";

  private final HttpClient client = HttpClient.newHttpClient();
  private final AtomicReference<String> health = new AtomicReference<>();
  private PrometheusMeterRegistry registry;
  private HttpApi api;

  @BeforeEach
  void start() {
    registry = Metrics.registry("budget-service-test");
    api = new HttpApi(new Gatekeeper(ADMIN, Map.of("alpha", ALPHA)), registry, health::get);
    api.get("/teams/{team}/echo", ctx -> Permission.readTeam("echo.read", Routes.team(ctx), "the echo"),
        (ctx, principal) -> HttpApi.text(ctx, 200, principal.describe()));
    api.put("/models/{id}", ctx -> Permission.writeShared("models.write", "the model catalog"),
        (ctx, principal) -> HttpApi.text(ctx, 200, "stored"));
    api.post("/teams/{team}/body", ctx -> Permission.writeTeam("body.write", Routes.team(ctx), "the body"),
        (ctx, principal) -> HttpApi.text(ctx, 200, Integer.toString(HttpApi.body(ctx).length())));
    api.get("/boom", ctx -> Permission.readShared("boom.read", "the boom"), (ctx, principal) -> {
      throw new IllegalStateException("kaput");
    });
    api.asset("/", "/dashboard/index.html", "text/html; charset=utf-8");
    api.start("localhost", 0);
  }

  @AfterEach
  void stop() {
    api.close();
    registry.close();
  }

  @Test
  void connectionsBeyondTheLimitWaitAndIdleConnectionsAreClosedAfterTheTimeout() throws Exception {
    HttpApi limited = new HttpApi(new Gatekeeper(ADMIN, Map.of()), registry,
        new HttpApi.Limits(1_000_000, 16_384, 2, Duration.ofSeconds(2)), health::get);
    limited.get("/teams/{team}/echo", ctx -> Permission.readTeam("echo.read", Routes.team(ctx), "the echo"),
        (ctx, principal) -> HttpApi.text(ctx, 200, "ok"));
    limited.start("localhost", 0);
    try (java.net.Socket first = new java.net.Socket("localhost", limited.port());
        java.net.Socket second = new java.net.Socket("localhost", limited.port())) {
      // two idle connections hold the limit: a third request is not served while they are open ...
      java.util.concurrent.CompletableFuture<HttpResponse<String>> third = client.sendAsync(
          HttpRequest.newBuilder(URI.create("http://localhost:" + limited.port() + "/teams/alpha/echo"))
              .header("Authorization", "Bearer " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
      Thread.sleep(300);
      assertThat(third).isNotDone();
      // ... and is once the idle timeout has closed them (no byte was sent on them)
      assertThat(third.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(first.getInputStream().read()).isEqualTo(-1);
    } finally {
      limited.close();
    }
  }

  @Test
  void headersOverTheLimitAreAnswered431AsJsonNamingTheLimit() throws Exception {
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + api.port()
            + "/teams/alpha/echo")).header("Authorization", "Bearer " + ALPHA)
        .header("X-Padding", "p".repeat(20_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(431);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("application/json"));
    assertThat(response.body()).contains("the request line and headers are larger than the limit of 16,384 bytes "
        + "(budget.http.max.header.bytes)");
    assertThat(send("GET", "/teams/alpha/echo", ALPHA).statusCode()).isEqualTo(200);
  }

  @Test
  void aBodyOverTheLimitIsAnswered413NamingTheLimitNot500() throws Exception {
    // (1,000,000 bytes by default; the case was 5 MB on PUT /teams/{team}/budget)
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + api.port()
            + "/models/huge")).header("Authorization", "Bearer " + ADMIN)
        .PUT(HttpRequest.BodyPublishers.ofString("{\"x\": \"" + "a".repeat(5_000_000) + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
        .startsWith("application/json"));
    assertThat(response.body()).contains("the request body is larger than the limit of 1,000,000 bytes "
        + "(budget.http.max.body.bytes)").doesNotContain("Exception");
    // A body of unknown length (chunked) over the limit, read by the endpoint: the same answer
    HttpResponse<String> chunked = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + api.port()
            + "/teams/alpha/body")).header("Authorization", "Bearer " + ALPHA)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
            "b".repeat(3_000_000).getBytes(java.nio.charset.StandardCharsets.UTF_8)))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertThat(chunked.body()).contains("larger than the limit of 1,000,000 bytes");
    // and the service goes on: a body under the limit is read
    HttpResponse<String> small = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + api.port()
            + "/teams/alpha/body")).header("Authorization", "Bearer " + ALPHA)
        .POST(HttpRequest.BodyPublishers.ofString("c".repeat(999_000))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(small.body()).isEqualTo("999000");
  }

  private HttpResponse<String> send(String method, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + api.port() + path))
        .method(method, HttpRequest.BodyPublishers.ofString("{}"));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return Json.MAPPER.readTree(response.body());
  }

  @Test
  void requestWithoutATokenGets401WithABearerChallenge() throws Exception {
    HttpResponse<String> response = send("GET", "/teams/alpha/echo", null);

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(json(response).get("error").asText()).startsWith("authentication required");
  }

  @Test
  void unknownTokenGets401EvenOnAMalformedPath() throws Exception {
    HttpResponse<String> response = send("GET", "/teams/bad%20team/echo", "guess");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).doesNotContain("guess");
  }

  @Test
  void teamTokenWritingAModelGets403NamingItsTeamAndThePermission() throws Exception {
    // When
    HttpResponse<String> team = send("PUT", "/models/m-1", ALPHA);
    HttpResponse<String> admin = send("PUT", "/models/m-1", ADMIN);

    // Then
    assertThat(team.statusCode()).isEqualTo(403);
    assertThat(json(team).get("error").asText())
        .isEqualTo("the team token of 'alpha' may not change the model catalog (permission models.write): only the"
            + " admin token may");
    assertThat(json(team).get("permission").asText()).isEqualTo("models.write");
    assertThat(team.body()).doesNotContain(ALPHA);
    assertThat(admin.statusCode()).isEqualTo(200);
  }

  @Test
  void teamTokenReachesItsOwnTeamOnly() throws Exception {
    assertThat(send("GET", "/teams/alpha/echo", ALPHA).body()).isEqualTo("team token of alpha");
    assertThat(send("GET", "/teams/beta/echo", ALPHA).statusCode()).isEqualTo(403);
  }

  @Test
  void malformedTeamIdGets400NamingTeam() throws Exception {
    HttpResponse<String> response = send("GET", "/teams/bad%20team/echo", ADMIN);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response).get("problems").get(0).asText()).startsWith("team: must be 1 to 64 of");
  }

  @Test
  void failingEndpointGets500WithoutItsMessage() throws Exception {
    HttpResponse<String> response = send("GET", "/boom", ADMIN);

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(json(response).get("error").asText()).isEqualTo("internal error: IllegalStateException (see the"
        + " service log)");
  }

  @Test
  void unknownPathGets404AsJson() throws Exception {
    HttpResponse<String> response = send("GET", "/nowhere", ADMIN);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(json(response).get("error").asText()).isEqualTo("no endpoint GET /nowhere");
  }

  @Test
  void healthAndMetricsNeedNoToken() throws Exception {
    // Given
    health.set("topics not loaded yet");
    HttpResponse<String> down = send("GET", "/health", null);
    health.set(null);

    // When
    HttpResponse<String> up = send("GET", "/health", null);
    send("GET", "/teams/alpha/echo", ALPHA);

    // Then
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.body()).startsWith("DOWN budget-service: topics not loaded yet");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.body()).startsWith("UP");
    // The request is counted once it has completed, which may be just after the client has its answer.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      HttpResponse<String> metrics = send("GET", "/metrics", null);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).containsPattern(
          "budget_http_requests_seconds_count\\{[^}]*route=\"/teams/\\{team}/echo\"[^}]*status=\"200\"[^}]*} 1");
    });
  }

  @Test
  void dashboardPageNeedsNoTokenAndMayLoadNothingFromElsewhere() throws Exception {
    // When
    HttpResponse<String> page = send("GET", "/", null);

    // Then
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
        assertThat(csp).contains("default-src 'none'", "script-src 'self'", "connect-src 'self'"));
    assertThat(page.body()).contains("<script src=\"/dashboard/dashboard.js\"", "id=\"token-form\"")
        .doesNotContain("http://", "https://");
  }

  @Test
  void missingAssetFailsAtRegistrationNamingIt() {
    assertThatThrownBy(() -> api.asset("/gone", "/dashboard/gone.js", "text/javascript"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("/dashboard/gone.js");
  }

  @Test
  void wantsTextOnlyWhenAskedForTextAndNotJson() {
    assertThat(List.of("text/plain", "text/plain; charset=utf-8")).allMatch(Routes::wantsText);
    assertThat(Routes.wantsText("application/json, text/plain")).isFalse();
    assertThat(Routes.wantsText("*/*")).isFalse();
    assertThat(Routes.wantsText(null)).isFalse();
  }
}
