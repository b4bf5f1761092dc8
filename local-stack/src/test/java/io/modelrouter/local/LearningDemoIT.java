package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.router.learning.LearnerService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The learning demo against the real services: its pipeline's CI outcomes reach the learner as feedback, the
 * learner publishes versions of team-learner's model, the router routes the team's requests with them, and the
 * console line reports the judged requests. (How much the routing improves is measured by LearningCurveBenchmark.)
 */
@IntegrationTest
class LearningDemoIT {
  private static final String ADMIN = "learning-admin-token";
  private TestServices services;
  private LearningDemo demo;
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    String prefix = stack.uniqueName("learning") + ".";
    Topics topics = stack.createTopics(prefix, 2);
    services = new TestServices(stack, prefix, 2, state);
    services.budget(Map.of("budget.admin.token", ADMIN));
    RouterService router = services.router("router", Map.of());
    LearnerService learner = services.learner(Map.of());
    services.worker(Map.of("worker.simulate", "all", "simulator.latency", "10"));
    await().atMost(Duration.ofSeconds(90)).until(() -> router.state() == KafkaStreams.State.RUNNING
        && learner.streams().state() == KafkaStreams.State.RUNNING);
    demo = new LearningDemo(topics, stack.producerConfig(), stack.consumerConfig(prefix + "demo"),
        URI.create("http://localhost:" + services.budgetPort()), ADMIN, 20, DefaultPolicies.catalogById(),
        new PrintStream(console, true, StandardCharsets.UTF_8), Duration.ofSeconds(1)).start();
  }

  @AfterEach
  void stop() throws Exception {
    demo.close();
    services.close();
  }

  @Test
  void thePipelinesOutcomesBecomeVersionsOfTheTeamsModelThatRouteItsRequests() throws Exception {
    ObjectMapper json = new ObjectMapper();
    // The learner publishes team-learner's model from the CI outcomes ...
    await().atMost(Duration.ofSeconds(120)).until(() -> {
      JsonNode model = json.readTree(services.call("GET", "/teams/" + LearningDemo.TEAM + "/learned-model", ADMIN,
          null).body());
      return model.path("latest").asLong() >= 2 && model.path("versions").get(0).path("exemplars").asInt() > 0;
    });
    // ... the router routes the team's requests with it, and the console says how they are judged
    await().atMost(Duration.ofSeconds(60)).until(() -> demo.snapshot().modelVersion()
        .startsWith(LearningDemo.TEAM + "@"));
    LearningDemo.Snapshot snapshot = demo.snapshot();
    assertThat(snapshot.judged()).isPositive();
    assertThat(snapshot.first().n()).isPositive();
    // (printed every second)
    await().atMost(Duration.ofSeconds(10)).until(() -> console.toString(StandardCharsets.UTF_8)
        .contains("learning demo (team-learner, model team-learner@"));
  }
}
