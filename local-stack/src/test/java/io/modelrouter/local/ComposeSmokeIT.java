package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.client.BatchResult;
import io.modelrouter.client.RouterClient;
import io.modelrouter.embedded.junit.ContainerStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * {@code docker-compose.yml} brought up for real (three Kafka brokers, Confluent's registry, one container per
 * service, providers simulated since no key is given), then used as a pipeline would: requests through the client
 * SDK get results, a small budget gets a budget action, and {@code /usage} counts the calls. Tagged
 * {@code containers}: it runs only with {@code ./mvnw verify -Dstack=containers}, which needs a Docker engine and
 * the jars packaged (the images copy them). Host ports are the compose file's own (19092, 29092, 39092, 8081, 8080),
 * so nothing else may hold them.
 */
@Tag("integration")
@Tag("containers")
class ComposeSmokeIT {
  private static final String TEAM = "compose-smoke";
  private static final Duration UP = Duration.ofMinutes(10);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void theComposeStackAnswersRequestsEnforcesABudgetAndReportsUsage() throws Exception {
    ContainerStack.requireDocker();
    String admin = "compose-smoke-" + UUID.randomUUID();
    ComposeContainer compose = new ComposeContainer(ProjectFiles.root().resolve("docker-compose.yml").toFile())
        .withEnv("BUDGET_ADMIN_TOKEN", admin)
        // no keys here: simulation on for this run (the file's default is off)
        .withEnv("MR_WORKER_SIMULATE", "auto")
        .withBuild(true)
        .withRemoveVolumes(true)
        .withStartupTimeout(UP)
        .waitingFor("budget-service", Wait.forHealthcheck().withStartupTimeout(UP))
        .waitingFor("router", Wait.forHealthcheck().withStartupTimeout(UP))
        .waitingFor("worker", Wait.forHealthcheck().withStartupTimeout(UP))
        .waitingFor("usage-aggregator", Wait.forHealthcheck().withStartupTimeout(UP));
    compose.start();
    HttpClient http = HttpClient.newHttpClient();
    try (RouterClient client = RouterClient.builder()
        .bootstrapServers("localhost:19092,localhost:29092,localhost:39092")
        .schemaRegistryUrl("http://localhost:8081")
        .defaultTimeout(Duration.ofMinutes(2))
        .build()) {
      // Given a daily budget of 2,000 output tokens that pauses the team (the simulator writes ~350 per answer)
      HttpResponse<String> budget = send(http, "PUT", "/teams/" + TEAM + "/budget", admin,
          "{\"daily\": {\"outputTokens\": 2000, \"alertThresholds\": [0.5], \"action\": \"pause\"}}");
      assertThat(budget.statusCode()).as(budget.body()).isEqualTo(200);

      // When the team sends 20 requests
      List<InferenceRequest> requests = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        requests.add(request("smoke-" + i));
      }
      BatchResult batch = client.submitAll(requests).get();

      // Then every request has an answer: answered by a simulated provider, or paused once the budget ran out
      List<InferenceResult> results = batch.results();
      assertThat(results).hasSize(20).allSatisfy(r -> assertThat(r.getStatus()).isIn(ResultStatus.OK,
          ResultStatus.PAUSED));
      assertThat(results).filteredOn(r -> r.getStatus() == ResultStatus.OK).isNotEmpty()
          .allSatisfy(r -> assertThat(r.getSimulated()).isTrue());
      // and the aggregator's budget action and the usage report follow
      await().atMost(Duration.ofMinutes(2)).until(() -> json(send(http, "GET", "/teams/" + TEAM + "/state", admin,
          null)).get("state").asText().matches("NOTIFY|RESTRICT|PAUSE"));
      JsonNode usage = json(send(http, "GET", "/teams/" + TEAM + "/usage", admin, null));
      assertThat(usage.toString()).contains("outputTokens");
      assertThat(usage.at("/daily/outputTokens").asLong()).isGreaterThan(0);
    } finally {
      compose.stop();
    }
  }

  private static InferenceRequest request(String id) {
    return InferenceRequest.newBuilder().setRequestId(id + "-" + UUID.randomUUID()).setTeamId(TEAM)
        .setPipelineId("compose-smoke").setSessionId("s-1").setTaskType("implementation").setTier("pro")
        .setMessages(List.of(new Message(Role.USER, "Add input validation to the order handler.", List.of())))
        .setSystemPrompt(null).setMaxTokens(1024).setTemperature(null).setModel("auto")
        .setPriority(Priority.INTERACTIVE).setDeadline(null).setMetadata(Map.of()).setCreatedAt(Instant.now())
        .build();
  }

  private static HttpResponse<String> send(HttpClient http, String method, String path, String token, String body)
      throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:8080" + path))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body());
  }
}
