package io.modelrouter.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.worker.WorkerService;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against the real router and worker (simulated providers, each call taking exactly 300 ms) on the
 * embedded broker and schema registry.
 */
@IntegrationTest
class RouterClientIT {
  private static final Duration PROVIDER_LATENCY = Duration.ofMillis(300);

  private KafkaStack stack;
  private String prefix;
  private Topics topics;
  private RouterService router;
  private WorkerService worker;
  private RouterClient client;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    this.stack = stack;
    prefix = stack.uniqueName("client") + ".";
    topics = stack.createTopics(prefix, 4);
    Map<String, String> common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4");
    router = new RouterService(settings(common, Map.of(
        "router.application.id", prefix + "router",
        "router.state.dir", state.toString(),
        "router.threads", "1"))).start();
    worker = new WorkerService(settings(common, Map.of(
        "worker.group.id", prefix + "workers",
        "worker.instance.id", prefix + "worker",
        "worker.simulate", "all",
        "simulator.latency", Long.toString(PROVIDER_LATENCY.toMillis()),
        "simulator.latency.spread", "0",
        "worker.transaction.timeout", "5000"))).start();
    client = RouterClient.builder()
        .bootstrapServers(stack.bootstrapServers())
        .schemaRegistryUrl(stack.registryUrl())
        .topicPrefix(prefix)
        .defaultTimeout(Duration.ofSeconds(60))
        .build();
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
  }

  private static Settings settings(Map<String, String> common, Map<String, String> own) {
    Map<String, String> all = new java.util.HashMap<>(common);
    all.putAll(own);
    return Settings.of(all);
  }

  @AfterEach
  void stop() {
    // Whatever started is stopped, also when start() failed half-way.
    for (AutoCloseable started : new AutoCloseable[] {client, worker, router}) {
      if (started != null) {
        try {
          started.close();
        } catch (Exception e) {
          throw new IllegalStateException("stopping " + started + " failed", e);
        }
      }
    }
  }

  @Test
  void aBatchSentThroughTheRouterAndWorkerGetsEveryResult() {
    // Given a batch for three teams over the development loop's task types, one request invalid, no ids given
    List<String> taskTypes = List.of("interactiveChat", "codeReview", "specGeneration", "documentationUpdate");
    List<InferenceRequest> batch = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      batch.add(request(null, "team-" + (char) ('a' + i % 3), taskTypes.get(i % taskTypes.size()),
          "Task " + i + ": summarize the change."));
    }
    InferenceRequest invalid = request("invalid-1", "team-a", "interactiveChat", "unused");
    invalid.setMessages(List.of());
    batch.add(invalid);

    // When it is submitted
    BatchResult result = client.submitAll(batch).orTimeout(90, TimeUnit.SECONDS).join();

    // Then every request has its own result: the valid ones answered by a (simulated) provider,
    // the invalid one rejected by the router with the field named
    assertThat(result.allAnswered()).as(result.toString()).isTrue();
    assertThat(result.outcomes()).allSatisfy(o -> assertThat(o.result().getRequestId()).isEqualTo(o.requestId()));
    assertThat(result.outcomes().stream().map(BatchResult.Outcome::requestId).distinct()).hasSize(batch.size());
    List<InferenceResult> answered = result.results().subList(0, 60);
    assertThat(answered).allSatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
      assertThat(r.getSimulated()).isTrue();
      assertThat(r.getContent()).startsWith("[simulated ");
      assertThat(r.getUsage().getOutputTokens()).isPositive();
    });
    assertThat(answered).extracting(InferenceResult::getTeamId)
        .isEqualTo(batch.subList(0, 60).stream().map(InferenceRequest::getTeamId).toList());
    InferenceResult rejected = result.results().get(60);
    assertThat(rejected.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(rejected.getErrorMessage()).isEqualTo("messages: must hold at least one message");
    assertThat(client.pending()).isZero();
  }

  @Test
  void aRequestNotAnsweredInTimeFailsWithResultTimeoutExceptionAndTheClientGoesOn() {
    // Given a request that asks for an answer sooner than the provider can give one (its own deadline is later,
    // so the worker does call the provider and a result does arrive, late)
    InferenceRequest slow = request("slow-1", "team-a", "interactiveChat", "Take your time.");
    slow.setDeadline(Instant.now().plusSeconds(60));
    CompletableFuture<InferenceResult> future = client.submit(slow, Duration.ofMillis(100));

    // When the timeout passes, the future fails and the request is no longer pending
    assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join()).cause()
        .isInstanceOfSatisfying(ResultTimeoutException.class, e -> assertThat(e.requestId()).isEqualTo("slow-1"));
    assertThat(client.pending()).isZero();

    // Then its late result is ignored, and the next request is answered normally
    assertThat(resultsOnTopic("slow-1")).singleElement()
        .satisfies(r -> assertThat(r.getStatus()).isEqualTo(ResultStatus.OK));
    InferenceResult next = client.submit(request("after-timeout", "team-a", "interactiveChat", "Hello"))
        .orTimeout(60, TimeUnit.SECONDS).join();
    assertThat(next.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(client.pending()).isZero();
  }

  @Test
  void aRequestWhoseCallerStoppedWaitingIsNeverSentToAProvider() {
    // Given a request with no deadline of its own and a 1 ms timeout: the client gives it submit time + 1 ms
    CompletableFuture<InferenceResult> future =
        client.submit(request("impatient-1", "team-b", "codeReview", "Review this."), Duration.ofMillis(1));

    assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join()).cause()
        .isInstanceOf(ResultTimeoutException.class);

    // Then the worker answers EXPIRED without calling any provider: nothing was billed
    InferenceResult expired = resultsOnTopic("impatient-1").get(0);
    assertThat(expired.getStatus()).isEqualTo(ResultStatus.EXPIRED);
    assertThat(expired.getErrorCode()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(expired.getAttempts()).isEmpty();
    assertThat(expired.getCostMicros()).isZero();
  }

  @Test
  void deliversTheBudgetAlertsOfTheSubscribedTeamOnly() throws Exception {
    // Given an alert of team-a published before anyone subscribed
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      publish(producer, alert("team-a", "before-subscribing"));
      List<BudgetAlert> received = Collections.synchronizedList(new ArrayList<>());

      // When team-a subscribes and alerts of team-b and team-a follow on the same partition, in that order
      try (AlertSubscription subscription = client.onAlert("team-a", received::add)) {
        publish(producer, alert("team-b", "other-team"));
        publish(producer, alert("team-a", "mine"));

        // Then only team-a's new alert arrives: the other team's was read first and not delivered
        await().atMost(Duration.ofSeconds(30)).until(() -> !received.isEmpty());
        assertThat(subscription.teamId()).isEqualTo("team-a");
      }
      assertThat(received).extracting(BudgetAlert::getAlertId).containsExactly("mine");
      assertThat(received.get(0).getState()).isEqualTo(BudgetState.RESTRICT);
    }
  }

  @Test
  void feedbackOnAResultIsWrittenKeyedByTheTeamAndInvalidFeedbackIsRefusedBeforeSending() throws Exception {
    // Given a request answered through the router and the worker
    InferenceResult answered = client.submit(request("fb-1", "team-a", "interactiveChat", "What does git rebase do?"))
        .get(60, java.util.concurrent.TimeUnit.SECONDS);

    // When its caller reports that the answer was wrong and needed the primary profile, then sends a bad score
    // (an event without feedbackId and eventTime: the client fills them in)
    io.modelrouter.avro.FeedbackEvent judgement = new io.modelrouter.avro.FeedbackEvent();
    judgement.setRequestId(answered.getRequestId());
    judgement.setTeamId("team-a");
    judgement.setSessionId("s-1");
    judgement.setScore(0.1);
    judgement.setSource(io.modelrouter.avro.FeedbackSource.TEST);
    judgement.setNeededProfile("primary");
    judgement.setComment("the test suite failed");
    io.modelrouter.avro.FeedbackEvent sent = client.feedback(judgement).get(30, java.util.concurrent.TimeUnit.SECONDS);

    // Then the feedback is on llm.feedback under the team's key, with an id and a time filled in
    assertThat(sent.getFeedbackId()).isNotBlank();
    assertThat(sent.getEventTime()).isNotNull();
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName(prefix + "feedback-observer")), new StringDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.feedback().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        return !records.isEmpty();
      });
    }
    assertThat(records).singleElement().satisfies(record -> {
      assertThat(record.key()).isEqualTo("team-a");
      io.modelrouter.avro.FeedbackEvent onTopic = topics.feedback().deserializeValue(record.value());
      assertThat(onTopic).isEqualTo(sent);
      assertThat(onTopic.getRequestId()).isEqualTo("fb-1");
      assertThat(onTopic.getScore()).isEqualTo(0.1);
      assertThat(onTopic.getNeededProfile()).isEqualTo("primary");
    });
    assertThatThrownBy(() -> client.feedback("team-a", "fb-1", 1.5, io.modelrouter.avro.FeedbackSource.HUMAN))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("score: must be a number from 0 to 1");
  }

  private void publish(KafkaProducer<String, byte[]> producer, BudgetAlert alert) throws Exception {
    producer.send(new ProducerRecord<>(topics.budgetAlerts().name(), 0, alert.getTeamId(),
        topics.budgetAlerts().serializeValue(alert))).get();
  }

  /** Every result for this request id on the results topic, read by a consumer of the test's own. */
  private List<InferenceResult> resultsOnTopic(String requestId) {
    List<InferenceResult> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName(prefix + "observer")), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          if (result.getRequestId().equals(requestId)) {
            found.add(result);
          }
        }
        return !found.isEmpty();
      });
    }
    return found;
  }

  private static BudgetAlert alert(String teamId, String alertId) {
    return BudgetAlert.newBuilder()
        .setAlertId(alertId)
        .setTeamId(teamId)
        .setWindow(WindowKind.DAILY)
        .setWindowStart("2026-03-01")
        .setThreshold(0.8)
        .setFraction(0.83)
        .setMetric("outputTokens")
        .setUsage(83_000)
        .setLimit(100_000)
        .setState(BudgetState.RESTRICT)
        .setPreviousState(BudgetState.NORMAL)
        .setMessage(teamId + " used 83% of its daily output tokens")
        .setAt(Instant.now())
        .build();
  }

  private static InferenceRequest request(String requestId, String teamId, String taskType, String prompt) {
    return InferenceRequest.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setPipelineId("client-it")
        .setTaskType(taskType)
        .setMessages(List.of(new Message(Role.USER, prompt, List.of())))
        .build();
  }
}
