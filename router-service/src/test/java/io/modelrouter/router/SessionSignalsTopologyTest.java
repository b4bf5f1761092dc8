package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.policy.DefaultPolicies;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The implicit signals of a learned team's sessions, through the router topology with the real learned model: the
 * same prompt again in a session says the previous answer needed the next tier up; the same prompt pinned to a
 * dearer profile says it needed that one. Each is a FeedbackEvent on llm.feedback, in the routed request's
 * transaction.
 */
class SessionSignalsTopologyTest {
  private static final String CHORE = "bump the version in package.json to 2.4.1";
  private RouterDriver router;
  private TestOutputTopic<String, FeedbackEvent> feedback;

  @BeforeEach
  void start() {
    router = new RouterDriver("router-session-signals");
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("team-a");
    policy.setVersion(2);
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    router.policies.pipeInput("team-a", router.topics.routingPolicies().serializeValue(policy));
    feedback = router.driver.createOutputTopic(router.topics.feedback().name(), new StringDeserializer(),
        router.topics.feedback().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    router.close();
  }

  private String route(String id, String session, String prompt, String model) {
    router.send(request("taskExecution", prompt).setRequestId(id).setSessionId(session).setModel(model)
        .setTier("power").build());
    return router.routed.readValue().getDecision().getProfile();
  }

  @Test
  void theSamePromptAgainOrEscalatedJudgesThePreviousRequest() {
    // A chore: the learned model sends it to fast (and the routed record says which model decided, for the learner)
    router.send(request("taskExecution", CHORE).setRequestId("r-1").setSessionId("s-1").setTier("power").build());
    org.apache.kafka.streams.test.TestRecord<String, io.modelrouter.avro.RoutedRequest> first = router.routed.readRecord();
    assertThat(first.getValue().getDecision().getProfile()).isEqualTo("fast");
    assertThat(new String(first.getHeaders().lastHeader(io.modelrouter.schemas.Topics.LEARNED_MODEL_HEADER).value(),
        java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("shipped-437");
    assertThat(feedback.isEmpty()).isTrue();

    // The same prompt again in the session: r-1's answer did not do, it needed the next tier (primary)
    route("r-2", "s-1", CHORE, "auto");
    FeedbackEvent repeat = feedback.readValue();
    assertThat(repeat.getRequestId()).isEqualTo("r-1");
    assertThat(repeat.getTeamId()).isEqualTo("team-a");
    assertThat(repeat.getSource()).isEqualTo(FeedbackSource.IMPLICIT);
    assertThat(repeat.getScore()).isZero();
    assertThat(repeat.getNeededProfile()).isEqualTo("primary");
    assertThat(repeat.getComment()).startsWith("implicit: the same prompt again in session s-1 within 10 minutes");

    // Then pinned to frontier: the caller escalated r-2 (routed fast again) to frontier
    assertThat(route("r-3", "s-1", CHORE, "frontier")).isEqualTo("frontier");
    FeedbackEvent escalation = feedback.readValue();
    assertThat(escalation.getRequestId()).isEqualTo("r-2");
    assertThat(escalation.getNeededProfile()).isEqualTo("frontier");

    // A redelivery of the same request, another prompt, or another session says nothing
    route("r-4", "s-1", "what does HTTP 418 mean", "auto");
    route("r-4", "s-1", "what does HTTP 418 mean", "auto");
    route("r-5", "s-2", CHORE, "auto");
    assertThat(feedback.isEmpty()).isTrue();
  }
}
