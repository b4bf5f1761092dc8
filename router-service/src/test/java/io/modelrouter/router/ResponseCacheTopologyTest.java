package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResponseCaching;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The response cache: an identical request of the same team, within the TTL, is answered by the router itself. */
class ResponseCacheTopologyTest {
  private RouterDriver router;
  private TestInputTopic<String, byte[]> answers;
  private org.apache.kafka.streams.TestOutputTopic<String, io.modelrouter.avro.UsageEvent> usage;

  @BeforeEach
  void start() {
    router = new RouterDriver("response-cache");
    answers = router.driver.createInputTopic(router.topics.results().name(), new StringSerializer(),
        new ByteArraySerializer());
    usage = router.driver.createOutputTopic(router.topics.usage().name(),
        new org.apache.kafka.common.serialization.StringDeserializer(),
        router.topics.usage().valueSerde().deserializer());
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.setVersion(2);
    policy.setResponseCache(new ResponseCaching(600, List.of("interactiveChat", "codeExplanation"), false));
    router.policies.pipeInput("*", router.topics.routingPolicies().serializeValue(policy));
  }

  @AfterEach
  void stop() {
    router.close();
  }

  private static InferenceRequest ask(String id, String team, String prompt, Double temperature) {
    return request("interactiveChat", prompt).setRequestId(id).setTeamId(team).setTemperature(temperature)
        .setMetadata(java.util.Map.of("ticket", id)).build();
  }

  /** The worker's answer to a routed request, on llm.results. */
  private void answer(RoutedRequest routed, ResultStatus status, String content, long costMicros) {
    InferenceRequest request = routed.getRequest();
    InferenceResult result = InferenceResult.newBuilder()
        .setRequestId(request.getRequestId()).setTeamId(request.getTeamId()).setTaskType(request.getTaskType())
        .setStatus(status).setProfile(routed.getDecision().getProfile()).setProvider(routed.getDecision().getProvider())
        .setModel(routed.getDecision().getModel()).setContent(content)
        .setUsage(new TokenUsage(1_200L, 300L, 0L, 0L, 0L, false)).setCostMicros(costMicros)
        .setRoutingReason(routed.getDecision().getReason()).setCompletedAt(Instant.parse("2026-11-22T10:00:02Z"))
        .build();
    answers.pipeInput(request.getTeamId(), router.topics.results().serializeValue(result));
  }

  private RoutedRequest routedOnly() {
    List<RoutedRequest> routed = router.routed.readValuesToList();
    assertThat(routed).hasSize(1);
    return routed.get(0);
  }

  @Test
  void anIdenticalRequestOfTheSameTeamIsAnsweredFromTheCacheWithoutUsage() {
    // Given one answered request at temperature 0
    router.send(ask("r-1", "team-a", "What does HTTP 418 mean?", 0.0));
    answer(routedOnly(), ResultStatus.OK, "I'm a teapot.", 1_234);

    // When the same question comes again, with other ids and metadata
    router.send(ask("r-2", "team-a", "What does HTTP 418 mean?", 0.0));

    // Then the router answers it: the same content, no provider call, no usage, what it saved
    assertThat(router.routed.isEmpty()).isTrue();
    InferenceResult cached = router.results.readValue();
    assertThat(cached.getRequestId()).isEqualTo("r-2");
    assertThat(cached.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(cached.getContent()).isEqualTo("I'm a teapot.");
    assertThat(cached.getCachedFrom()).isEqualTo("r-1");
    assertThat(cached.getResponseCacheSavedMicros()).isEqualTo(1_234);
    assertThat(cached.getCostMicros()).isZero();
    assertThat(cached.getUsage().getInputTokens()).isZero();
    assertThat(cached.getUsage().getOutputTokens()).isZero();
    assertThat(cached.getAttempts()).isEmpty();
    assertThat(cached.getMetadata()).containsEntry("ticket", "r-2");
    assertThat(cached.getRoutingReason()).contains("; response cache: the answer to request r-1 of ");
    // and its usage event says so: no provider call, no tokens, no cost, what the reused answer cost
    io.modelrouter.avro.UsageEvent event = usage.readValue();
    assertThat(event.getRequestId()).isEqualTo("r-2");
    assertThat(event.getResponseCacheSavedMicros()).isEqualTo(1_234);
    assertThat(event.getInputTokens() + event.getOutputTokens() + event.getCostMicros()).isZero();
    assertThat(event.getFinalCall()).isTrue();

    // and a third time too, still naming the first answer
    router.send(ask("r-3", "team-a", "What does HTTP 418 mean?", 0.0));
    assertThat(router.results.readValue().getCachedFrom()).isEqualTo("r-1");
  }

  @Test
  void anotherTeamNeverGetsTheAnswer() {
    router.send(ask("a-1", "team-a", "What does HTTP 418 mean?", 0.0));
    answer(routedOnly(), ResultStatus.OK, "I'm a teapot.", 1_234);

    router.send(ask("b-1", "team-b", "What does HTTP 418 mean?", 0.0));

    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("b-1");
    assertThat(router.results.isEmpty()).isTrue();
  }

  @Test
  void onlyTemperatureZeroListedTaskTypesAndOkAnswersAreCachedAndOnlyForTheirTtl() {
    // A different question, a non-zero temperature, a task type not listed: all routed
    router.send(ask("r-1", "team-a", "What does HTTP 418 mean?", 0.0));
    answer(routedOnly(), ResultStatus.OK, "I'm a teapot.", 1_234);
    router.send(ask("r-2", "team-a", "What does HTTP 451 mean?", 0.0));
    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("r-2");
    router.send(ask("r-3", "team-a", "What does HTTP 418 mean?", 0.7));
    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("r-3");
    router.send(request("codeReview", "What does HTTP 418 mean?").setRequestId("r-4").setTemperature(0.0).build());
    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("r-4");

    // A failed answer is not kept
    router.send(ask("f-1", "team-a", "Summarize the incident.", 0.0));
    answer(routedOnly(), ResultStatus.FAILED, null, 0);
    router.send(ask("f-2", "team-a", "Summarize the incident.", 0.0));
    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("f-2");

    // Past the TTL (600 s), the kept answer is not used
    router.driver.advanceWallClockTime(Duration.ofSeconds(601));
    router.send(ask("r-5", "team-a", "What does HTTP 418 mean?", 0.0));
    assertThat(routedOnly().getRequest().getRequestId()).isEqualTo("r-5");
    assertThat(router.results.isEmpty()).isTrue();
  }
}
