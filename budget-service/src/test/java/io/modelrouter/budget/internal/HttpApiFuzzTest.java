package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.schemas.fuzz.HostileHttp;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated HTTP requests ({@link HostileHttp}, written byte for byte on a socket) against the HTTP wrapper with a
 * few of budget-service's routes' shapes. Every answer is a 2xx or a 4xx with a JSON body (the dashboard's page
 * aside), never a 5xx, and never a stack trace. The whole service with its Kafka-backed routes gets the same
 * requests in {@code HostileInputIT} (bench).
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
    api.get("/teams/{team}/budget", ctx -> Permission.readTeam("budget.read", Routes.team(ctx), "the budget"),
        (ctx, principal) -> HttpApi.text(ctx, 200, "budget"));
    api.put("/teams/{team}/budget", ctx -> Permission.writeTeam("budget.write", Routes.team(ctx), "the budget"),
        (ctx, principal) -> HttpApi.json(ctx, 200, JSON.createObjectNode().put("length",
            HttpApi.body(ctx).length())));
    api.post("/teams/{team}/feedback", ctx -> Permission.writeTeam("feedback.write", Routes.team(ctx), "feedback"),
        (ctx, principal) -> Bodies.feedback(Routes.team(ctx), HttpApi.body(ctx), java.time.Instant.EPOCH));
    api.delete("/models/{id}", ctx -> Permission.writeShared("models.write", "the model catalog"),
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
    return Arbitraries.randomValue(random -> HostileHttp.request(random, ADMIN, "alpha", ALPHA));
  }

  @Property(tries = 150, seed = "20261206")
  void everyRequestGetsA2xxOrA4xxWithAJsonBodyAndNoStackTrace(@ForAll("requests") String request) throws Exception {
    HostileHttp.Answer answer = HostileHttp.exchange(api.port(), request);
    assertThat(answer.problem(request)).as("answer to %s: %s", HostileHttp.firstLine(request), answer.body())
        .isNull();
  }
}
