package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.runtime.Metrics;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated HTTP requests, written byte for byte on a socket (so nothing a client library would refuse is left out),
 * against the HTTP wrapper with budget-service's routes' shapes: odd methods, paths with traversal, encoded NULs,
 * 5,000-character team ids and unknown routes, missing, wrong and malformed tokens, odd and oversized headers, and
 * bodies from empty to over the limit. Every answer is a 2xx or a 4xx with a JSON body (the dashboard's page and
 * assets aside), never a 5xx, and never a stack trace.
 */
class HttpApiFuzzTest {
  private static final String ADMIN = "adm1n-t0ken";
  private static final String ALPHA = "alpha-t0ken";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static PrometheusMeterRegistry registry;
  private static HttpApi api;

  @BeforeContainer
  static void start() {
    registry = Metrics.registry("budget-service-fuzz");
    api = new HttpApi(new Gatekeeper(ADMIN, Map.of("alpha", ALPHA)), registry,
        new HttpApi.Limits(1_000_000, 16_384, 1_000, java.time.Duration.ofSeconds(5)), () -> null);
    api.get("/teams/{team}/budget", ctx -> Permission.readTeam(Routes.team(ctx), "the budget"),
        (ctx, principal) -> HttpApi.text(ctx, 200, "budget"));
    api.put("/teams/{team}/budget", ctx -> Permission.writeTeam(Routes.team(ctx), "the budget"),
        (ctx, principal) -> HttpApi.json(ctx, 200, JSON.createObjectNode().put("length",
            HttpApi.body(ctx).length())));
    api.post("/teams/{team}/feedback", ctx -> Permission.writeTeam(Routes.team(ctx), "feedback"),
        (ctx, principal) -> Bodies.feedback(Routes.team(ctx), HttpApi.body(ctx), java.time.Instant.EPOCH));
    api.delete("/models/{id}", ctx -> Permission.writeShared("the model catalog"),
        (ctx, principal) -> ctx.status(204));
    api.asset("/", "/dashboard/index.html", "text/html; charset=utf-8");
    api.start("localhost", 0);
  }

  @AfterContainer
  static void stop() {
    api.close();
    registry.close();
  }

  @Provide
  Arbitrary<String> requests() {
    return Arbitraries.randomValue(HttpApiFuzzTest::request);
  }

  static String request(Random random) {
    String[] methods = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "BREW", "get"};
    String[] paths = {"/teams/alpha/budget", "/teams/beta/budget", "/teams/alpha/feedback", "/models/x",
        "/teams/../../etc/passwd", "/teams/%00/budget", "/teams/" + "t".repeat(5_000) + "/budget",
        "/teams/alpha%2Fbeta/budget", "/teams//budget", "/nope", "/teams/alpha/budget?x=%zz", "/teams/😀/budget",
        "/teams/alpha/budget/" + "x/".repeat(200), "*"};
    String[] tokens = {null, "Bearer " + ADMIN, "Bearer " + ALPHA, "Bearer wrong", "Bearer ", "Basic YWxhZGRpbg==",
        "Bearer " + "x".repeat(10_000), "bearer " + ADMIN};
    String method = methods[random.nextInt(methods.length)];
    String path = paths[random.nextInt(paths.length)];
    String token = tokens[random.nextInt(tokens.length)];
    String body = switch (random.nextInt(6)) {
      case 0 -> "";
      case 1 -> "{\"requestId\": \"r-1\", \"score\": 2, \"source\": \"TEST\"}";
      case 2 -> "{\"daily\": {\"inputTokens\": -1}}";
      case 3 -> "not json at all \u0000";
      case 4 -> "[" + "[".repeat(3_000) + "]".repeat(3_000) + "]";
      default -> "b".repeat(random.nextBoolean() ? 500_000 : 1_200_000);
    };
    StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: localhost\r\nConnection: close\r\n");
    if (token != null) {
      request.append("Authorization: ").append(token).append("\r\n");
    }
    if (random.nextInt(4) == 0) {
      request.append("X-Odd: ").append("v".repeat(random.nextBoolean() ? 100 : 20_000)).append("\r\n");
    }
    if (random.nextInt(5) == 0) {
      request.append("Content-Type: text/plain\r\n");
    } else {
      request.append("Content-Type: application/json\r\n");
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    request.append("Content-Length: ").append(bytes.length).append("\r\n\r\n").append(body);
    return request.toString();
  }

  @Property(tries = 150, seed = "20261206")
  void everyRequestGetsA2xxOrA4xxWithAJsonBodyAndNoStackTrace(@ForAll("requests") String request) throws Exception {
    String response = exchange(request);
    assertThat(response).startsWith("HTTP/1.1 ");
    int status = Integer.parseInt(response.substring(9, 12));
    String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertThat(status).as("status of %s", request.lines().findFirst().orElse("")).isBetween(200, 499);
    assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
    boolean asset = request.startsWith("GET / ") || request.startsWith("HEAD / ");
    if (status >= 400 && !asset && !request.startsWith("HEAD ")) {
      assertThat(head.toLowerCase(java.util.Locale.ROOT)).contains("content-type: application/json");
      assertThat(JSON.readTree(body).path("error").asText()).isNotBlank();
    }
  }

  /** Writes the request on a socket and reads the whole answer (the request says Connection: close). */
  private static String exchange(String request) throws Exception {
    try (Socket socket = new Socket("localhost", api.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (java.io.IOException e) {
        // the server may answer (413, 431) and close before the whole request is written: read what it said
      }
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

}
