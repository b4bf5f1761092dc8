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
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client on Kafka's mock producer and consumers and an in-memory registry: correlation, timeouts, failures. */
class RouterClientTest {
  private static final AtomicInteger SCOPE = new AtomicInteger();

  private FakeKafka kafka;
  private RouterClient client;
  private Topics topics;

  @BeforeEach
  void start() {
    kafka = new FakeKafka().topic("t.llm.results", 3).topic("t.llm.budget.alerts", 2);
    client = builder().build();
    topics = client.topics();
  }

  @AfterEach
  void stop() {
    client.close();
  }

  private RouterClientBuilder builder() {
    return RouterClient.builder()
        .bootstrapServers("broker:9092")
        .schemaRegistryUrl("mock://client-test-" + SCOPE.incrementAndGet())
        .topicPrefix("t.")
        .kafkaClients(kafka);
  }

  @Test
  void writesTheRequestKeyedByTeamAndCompletesWithTheResultOfThatRequest() {
    // Given a submitted request
    CompletableFuture<InferenceResult> future = client.submit(request("r-1", "team-a"));
    ProducerRecord<String, byte[]> sent = kafka.producer.history().get(0);
    kafka.producer.completeNext();

    // When results arrive on different partitions: another client's, then this one's
    answer("someone-else", "team-a", 0);
    answer("r-1", "team-a", 2);

    // Then the request went to the requests topic keyed by team, and the future has its result
    assertThat(sent.topic()).isEqualTo("t.llm.requests");
    assertThat(sent.key()).isEqualTo("team-a");
    assertThat(topics.requests().deserializeValue(sent.value()).getRequestId()).isEqualTo("r-1");
    InferenceResult result = future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();
    assertThat(result.getRequestId()).isEqualTo("r-1");
    assertThat(client.pending()).isZero();
  }

  @Test
  void usesAnIdempotentAllAcksProducerAndReadCommittedConsumersWithoutAGroup() {
    RouterClient configured = builder()
        .kafkaProperty("group.id", "not-for-the-client")
        .kafkaProperty("isolation.level", "read_uncommitted")
        .kafkaProperty("linger.ms", 20)
        .build();
    try (configured) {
      Map<String, Object> producer = kafka.producerConfigs.get(1);
      Map<String, Object> results = kafka.consumerConfigs.get("results");
      assertThat(producer).containsEntry("enable.idempotence", true).containsEntry("acks", "all")
          .containsEntry("linger.ms", 20).containsEntry("bootstrap.servers", "broker:9092");
      assertThat(results).containsEntry("isolation.level", "read_committed")
          .containsEntry("enable.auto.commit", false).doesNotContainKey("group.id");
    }
  }

  @Test
  void refusesKafkaPropertiesThatWouldWeakenTheProducersGuarantees() {
    // Given: an MR_KAFKA_ACKS=1 meant for some other program, read with the client's settings
    Settings settings = Settings.from(Map.of("MR_KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
        "MR_SCHEMA_REGISTRY_URL", "mock://client-acks", "MR_KAFKA_ACKS", "1"), Map.of());
    int producersBefore = kafka.producerConfigs.size();

    // When / Then: the client refuses to build, names the property, and creates no producer
    assertThatThrownBy(() -> RouterClient.builder().settings(settings).kafkaClients(kafka).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Kafka property acks=1 is refused")
        .hasMessageContaining("acks=all and enable.idempotence=true", "MR_KAFKA_ACKS");
    assertThatThrownBy(() -> builder().kafkaProperty("enable.idempotence", false).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Kafka property enable.idempotence=false is refused");
    assertThatThrownBy(() -> builder().kafkaProperty("acks", 0).build())
        .hasMessageStartingWith("Kafka property acks=0 is refused");
    assertThat(kafka.producerConfigs).hasSize(producersBefore);
  }

  @Test
  void acceptsTheValuesTheProducerUsesAnyway() {
    try (RouterClient configured = builder().kafkaProperty("acks", "-1").kafkaProperty("enable.idempotence", "TRUE")
        .build()) {
      assertThat(kafka.producerConfigs.getLast()).containsEntry("acks", "all").containsEntry("enable.idempotence", true);
    }
  }

  @Test
  void givesARequestWithoutAnIdOneAndLeavesTheCallersRecordAsItWas() {
    InferenceRequest withoutId = request(null, "team-a");

    client.submit(withoutId, Duration.ofSeconds(30));

    InferenceRequest sent = topics.requests().deserializeValue(kafka.producer.history().get(0).value());
    assertThat(sent.getRequestId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    assertThat(withoutId.getRequestId()).isNull();
    assertThat(client.pending()).isEqualTo(1);
  }

  @Test
  void setsCreatedAtAndADeadlineOfSubmitTimePlusTimeoutWhenMissing() {
    Instant before = Instant.now();
    InferenceRequest withDeadline = request("has-deadline", "team-a");
    withDeadline.setDeadline(Instant.parse("2030-01-01T00:00:00Z"));

    client.submit(request("no-deadline", "team-a"), Duration.ofSeconds(30));
    client.submit(withDeadline, Duration.ofSeconds(30));

    InferenceRequest stamped = topics.requests().deserializeValue(kafka.producer.history().get(0).value());
    InferenceRequest kept = topics.requests().deserializeValue(kafka.producer.history().get(1).value());
    assertThat(stamped.getCreatedAt()).isBetween(before.minusMillis(1), Instant.now().plusMillis(1));
    assertThat(stamped.getDeadline()).isEqualTo(stamped.getCreatedAt().plusSeconds(30));
    assertThat(kept.getDeadline()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
  }

  @Test
  void failsTheFutureWithSubmitFailedExceptionWhenTheSendFails() {
    CompletableFuture<InferenceResult> future = client.submit(request("too-big", "team-a"));

    kafka.producer.errorNext(new RecordTooLargeException("the request is too large"));

    assertThatThrownBy(() -> future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join())
        .isInstanceOf(CompletionException.class).cause()
        .isInstanceOfSatisfying(SubmitFailedException.class, e -> {
          assertThat(e.requestId()).isEqualTo("too-big");
          assertThat(e).hasCauseInstanceOf(RecordTooLargeException.class);
        });
    assertThat(client.pending()).isZero();
  }

  @Test
  void failsTheFutureWhenTheProducerRefusesTheRecordOutright() {
    kafka.producer.sendException = new org.apache.kafka.common.errors.TimeoutException("metadata not available");

    CompletableFuture<InferenceResult> future = client.submit(request("refused", "team-a"));

    assertThatThrownBy(() -> future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join())
        .cause().isInstanceOf(SubmitFailedException.class).hasMessageContaining("metadata not available");
    assertThat(client.pending()).isZero();
  }

  @Test
  void failsTheFutureWithResultTimeoutExceptionAndForgetsTheRequest() {
    CompletableFuture<InferenceResult> future = client.submit(request("slow", "team-a"), Duration.ofMillis(150));

    assertThatThrownBy(() -> future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join())
        .cause().isInstanceOfSatisfying(ResultTimeoutException.class,
            e -> assertThat(e.requestId()).isEqualTo("slow"));
    assertThat(client.pending()).isZero();

    // A result arriving afterwards is ignored, and the client goes on answering
    answer("slow", "team-a", 0);
    CompletableFuture<InferenceResult> next = client.submit(request("next", "team-a"));
    answer("next", "team-a", 1);
    assertThat(next.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join().getRequestId()).isEqualTo("next");
  }

  @Test
  void skipsAResultThatDoesNotDecodeAndKeepsReading() {
    CompletableFuture<InferenceResult> future = client.submit(request("after-garbage", "team-a"));

    kafka.append("t.llm.results", 0, "team-a", new byte[] {0, 0, 0, 0, 42, 7});
    answer("after-garbage", "team-a", 0);

    assertThat(future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join().getRequestId())
        .isEqualTo("after-garbage");
  }

  @Test
  void readsPartitionsAddedToTheResultsTopicFromTheirBeginning() {
    try (RouterClient refreshing = builder().partitionRefreshInterval(Duration.ofMillis(50)).build()) {
      CompletableFuture<InferenceResult> future = refreshing.submit(request("on-new-partition", "team-a"));

      TopicPartition added = kafka.addPartition("t.llm.results");
      await().atMost(Duration.ofSeconds(5)).until(() -> kafka.reads(added));
      kafka.append(added.topic(), added.partition(), "team-a", refreshing.topics().results().serializeValue(
          InferenceResult.newBuilder().setRequestId("on-new-partition").setTeamId("team-a")
              .setUsage(new TokenUsage(1L, 1L, 0L, false)).build()));

      assertThat(future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join().getRequestId())
          .isEqualTo("on-new-partition");
    }
  }

  @Test
  void closeFailsPendingRequestsWithClientClosedExceptionAndRefusesNewOnes() {
    CompletableFuture<InferenceResult> future = client.submit(request("orphan", "team-a"));

    client.close();

    assertThatThrownBy(future::join).cause().isInstanceOfSatisfying(ClientClosedException.class, e -> {
      assertThat(e.requestId()).isEqualTo("orphan");
      assertThat(e).hasMessageContaining("t.llm.results");
    });
    assertThatThrownBy(() -> client.submit(request("too-late", "team-a")))
        .isInstanceOf(IllegalStateException.class).hasMessageEndingWith("is closed");
  }

  @Test
  void closeWithADrainWaitsForResultsStillOnTheirWay() throws Exception {
    CompletableFuture<InferenceResult> future = client.submit(request("draining", "team-a"));
    Thread answering = Thread.ofVirtual().start(() -> {
      sleep(200);
      answer("draining", "team-a", 1);
    });

    client.close(Duration.ofSeconds(5));
    answering.join();

    assertThat(future).isCompleted();
    assertThat(future.join().getRequestId()).isEqualTo("draining");
  }

  @Test
  void submitAllReturnsResultsInInputOrderAndKeepsThemWhenOneRequestTimesOut() {
    // Given a batch of three, of which two are answered (in reverse order) and one never is
    List<InferenceRequest> batch = List.of(request("b-0", "team-a"), request("b-1", "team-b"),
        request("b-2", "team-a"));
    CompletableFuture<BatchResult> future = client.submitAll(batch, Duration.ofMillis(300));
    answer("b-2", "team-a", 0);
    answer("b-0", "team-a", 1);

    // When the batch settles
    BatchResult result = future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();

    // Then both results are there in input order, and the third request is a failure to retry
    assertThat(result.size()).isEqualTo(3);
    assertThat(result.results()).extracting(InferenceResult::getRequestId).containsExactly("b-0", "b-2");
    assertThat(result.failures()).singleElement().satisfies(f -> {
      assertThat(f.requestId()).isEqualTo("b-1");
      assertThat(f.error()).isInstanceOf(ResultTimeoutException.class);
      assertThat(f.request().getTeamId()).isEqualTo("team-b");
    });
    assertThat(result.allAnswered()).isFalse();
    assertThat(kafka.producer.history()).extracting(ProducerRecord::key).containsExactly("team-a", "team-b", "team-a");
  }

  @Test
  void submitAllChecksEveryRequestBeforeSendingAny() {
    List<InferenceRequest> noTeam = List.of(request("ok", "team-a"), request("no-team", null));
    List<InferenceRequest> twice = List.of(request("same", "team-a"), request("same", "team-a"));

    assertThatThrownBy(() -> client.submitAll(noTeam)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("requests[1].teamId is required");
    assertThatThrownBy(() -> client.submitAll(twice)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("requests[1].requestId 'same' is used twice");
    assertThat(kafka.producer.history()).isEmpty();
    assertThat(client.pending()).isZero();
  }

  @Test
  void anEmptyBatchCompletesAtOnce() {
    assertThat(client.submitAll(List.of()).join().size()).isZero();
  }

  @Test
  void deliversAlertsOnlyToTheTeamThatSubscribedUntilTheSubscriptionIsClosed() {
    // Given a listener for team-a
    List<BudgetAlert> received = Collections.synchronizedList(new ArrayList<>());
    AlertSubscription subscription = client.onAlert("team-a", received::add);

    // When alerts for team-b and team-a are published
    alert("team-b", "b|DAILY|0.8", 0);
    alert("team-a", "a|DAILY|0.8", 1);
    alert("team-a", "a|DAILY|1.0", 0);

    // Then only team-a's arrive
    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(received).extracting(BudgetAlert::getTeamId).containsOnly("team-a");
    assertThat(kafka.consumerConfigs.get("alerts")).containsEntry("isolation.level", "read_committed");

    // And once closed, nothing more reaches the listener
    subscription.close();
    alert("team-a", "a|MONTHLY|0.5", 1);
    List<BudgetAlert> later = Collections.synchronizedList(new ArrayList<>());
    client.onAlert("team-a", later::add);
    alert("team-a", "a|MONTHLY|0.8", 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> !later.isEmpty());
    assertThat(received).hasSize(2);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    List<BudgetAlert> received = Collections.synchronizedList(new ArrayList<>());
    client.onAlert("team-a", alert -> {
      throw new IllegalStateException("listener bug");
    });
    client.onAlert("team-a", received::add);

    alert("team-a", "a|DAILY|0.5", 0);
    alert("team-a", "a|DAILY|0.8", 0);

    await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
  }

  @Test
  void refusesToStartWhenTheResultsTopicDoesNotExist() {
    kafka = new FakeKafka().topic("t.llm.budget.alerts", 1);

    assertThatThrownBy(() -> builder().build()).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("topic t.llm.results does not exist");
    assertThat(kafka.producer.closed()).isTrue();
  }

  @Test
  void builderSaysWhatIsMissingOrInvalid() {
    assertThatThrownBy(() -> RouterClient.builder().schemaRegistryUrl("http://registry:8081").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bootstrapServers is required (e.g. localhost:9092), got 'null'");
    assertThatThrownBy(() -> RouterClient.builder().bootstrapServers("b:9092").kafkaClients(kafka).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("schema.registry.url is required");
    assertThatThrownBy(() -> builder().defaultTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("defaultTimeout must be positive, got PT0S");
    assertThatThrownBy(() -> client.submit(request("x", "team-a"), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be positive, got PT-0.001S");
  }

  @Test
  void readsTheServicesSettings() {
    Settings settings = Settings.of(Map.of(
        "kafka.bootstrap.servers", "settings-broker:9092",
        "schema.registry.url", "mock://client-settings",
        "topics.prefix", "t.",
        "kafka.security.protocol", "SSL",
        "client.timeout", "PT0.2S",
        "client.id", "enrichment"));

    try (RouterClient configured = RouterClient.builder().settings(settings).kafkaClients(kafka).build()) {
      CompletableFuture<InferenceResult> future = configured.submit(request("from-settings", "team-a"));

      assertThat(configured.topics().results().name()).isEqualTo("t.llm.results");
      assertThat(kafka.producerConfigs.get(1)).containsEntry("bootstrap.servers", "settings-broker:9092")
          .containsEntry("security.protocol", "SSL").containsEntry("client.id", "enrichment-producer");
      assertThatThrownBy(() -> future.orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join())
          .cause().isInstanceOf(ResultTimeoutException.class);
    }
  }

  private void answer(String requestId, String teamId, int partition) {
    InferenceResult result = InferenceResult.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setStatus(ResultStatus.OK)
        .setContent("answer to " + requestId)
        .setUsage(new TokenUsage(12L, 34L, 0L, false))
        .build();
    kafka.append(topics.results().name(), partition, teamId, topics.results().serializeValue(result));
  }

  private void alert(String teamId, String alertId, int partition) {
    BudgetAlert alert = BudgetAlert.newBuilder()
        .setAlertId(alertId)
        .setTeamId(teamId)
        .setWindowStart("2026-03-01")
        .setState(BudgetState.NOTIFY)
        .setAt(Instant.parse("2026-03-01T12:00:00Z"))
        .build();
    kafka.append(topics.budgetAlerts().name(), partition, teamId, topics.budgetAlerts().serializeValue(alert));
  }

  static InferenceRequest request(String requestId, String teamId) {
    return InferenceRequest.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setTaskType("interactiveChat")
        .setMessages(List.of(new Message(Role.USER, "Hello")))
        .build();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
