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
import io.modelrouter.client.internal.KafkaClients;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client on the embedded broker and schema registry, the test playing the router and the worker: it reads what
 * the client wrote to the requests topic and writes results and budget alerts as they would. Correlation, timeouts,
 * send failures, the Kafka properties the client insists on, close, alerts.
 */
@IntegrationTest
class RouterClientKafkaIT {
  private KafkaStack stack;
  private String prefix;
  private Topics topics;
  private KafkaProducer<String, byte[]> producer;
  private RecordingKafkaClients clients;
  private RouterClient client;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("client-kafka") + ".";
    topics = stack.createTopics(prefix, 3);
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    clients = new RecordingKafkaClients();
    client = builder(clients).build();
  }

  @AfterEach
  void stop() {
    try {
      if (client != null) {
        client.close();
      }
    } finally {
      producer.close();
    }
  }

  private RouterClientBuilder builder(RecordingKafkaClients kafkaClients) {
    return RouterClient.builder()
        .bootstrapServers(stack.bootstrapServers())
        .schemaRegistryUrl(stack.registryUrl())
        .topicPrefix(prefix)
        .kafkaClients(kafkaClients);
  }

  // --- requests and their results ---------------------------------------------------------------------------------

  @Test
  void writesTheRequestKeyedByTeamAndCompletesWithTheResultOfThatRequest() throws Exception {
    // Given a submitted request
    CompletableFuture<InferenceResult> future = client.submit(request("r-1", "team-a"));

    // When results arrive on different partitions: another client's, then this one's
    answer("someone-else", "team-a", 0);
    answer("r-1", "team-a", 2);

    // Then the request went to the requests topic keyed by team, and the future has its result
    ConsumerRecord<String, byte[]> sent = requestsSent(1).get(0);
    assertThat(sent.topic()).isEqualTo(prefix + "llm.requests");
    assertThat(sent.key()).isEqualTo("team-a");
    assertThat(topics.requests().deserializeValue(sent.value()).getRequestId()).isEqualTo("r-1");
    InferenceResult result = future.orTimeout(30, TimeUnit.SECONDS).join();
    assertThat(result.getRequestId()).isEqualTo("r-1");
    assertThat(result.getContent()).isEqualTo("answer to r-1");
    assertThat(client.pending()).isZero();
  }

  @Test
  void givesARequestWithoutAnIdOneAndLeavesTheCallersRecordAsItWas() {
    InferenceRequest withoutId = request(null, "team-a");

    client.submit(withoutId, Duration.ofSeconds(30));

    InferenceRequest sent = topics.requests().deserializeValue(requestsSent(1).get(0).value());
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
    Instant after = Instant.now();

    // Both keyed team-a: one partition, in the order sent
    List<ConsumerRecord<String, byte[]>> sent = requestsSent(2);
    InferenceRequest stamped = topics.requests().deserializeValue(sent.get(0).value());
    InferenceRequest kept = topics.requests().deserializeValue(sent.get(1).value());
    assertThat(stamped.getRequestId()).isEqualTo("no-deadline");
    // timestamp-millis: the submit time, truncated to the millisecond
    assertThat(stamped.getCreatedAt()).isBetween(before.minusMillis(1), after);
    assertThat(stamped.getDeadline()).isEqualTo(stamped.getCreatedAt().plusSeconds(30));
    assertThat(kept.getRequestId()).isEqualTo("has-deadline");
    assertThat(kept.getDeadline()).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
  }

  @Test
  void failsTheFutureWithResultTimeoutExceptionAndForgetsTheRequest() throws Exception {
    CompletableFuture<InferenceResult> future = client.submit(request("slow", "team-a"), Duration.ofMillis(150));

    assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join())
        .cause().isInstanceOfSatisfying(ResultTimeoutException.class,
            e -> assertThat(e.requestId()).isEqualTo("slow"));
    assertThat(client.pending()).isZero();

    // A result arriving afterwards is ignored, and the client goes on answering
    answer("slow", "team-a", 0);
    CompletableFuture<InferenceResult> next = client.submit(request("next", "team-a"));
    answer("next", "team-a", 1);
    assertThat(next.orTimeout(30, TimeUnit.SECONDS).join().getRequestId()).isEqualTo("next");
  }

  @Test
  void skipsResultsThatDoNotDecodeAndKeepsReading() throws Exception {
    CompletableFuture<InferenceResult> future = client.submit(request("after-garbage", "team-a"));

    // Not the wire format (magic byte 1), then a schema id the registry has never given
    write(topics.results().name(), 0, "team-a", new byte[] {1, 0, 0, 0, 1, 7});
    write(topics.results().name(), 0, "team-a", new byte[] {0, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xf0, 7});
    answer("after-garbage", "team-a", 0);

    assertThat(future.orTimeout(30, TimeUnit.SECONDS).join().getRequestId()).isEqualTo("after-garbage");
  }

  @Test
  void readsPartitionsAddedToTheResultsTopicFromTheirBeginning() throws Exception {
    // Given a client that looks for new partitions every 5 s
    long started = System.nanoTime();
    try (RouterClient refreshing = builder(new RecordingKafkaClients())
        .partitionRefreshInterval(Duration.ofSeconds(5)).build()) {
      CompletableFuture<InferenceResult> future = refreshing.submit(request("on-new-partition", "team-a"));

      // When a partition is added to the results topic and the result is written there before the client's first
      // look for new partitions
      try (Admin admin = stack.admin()) {
        admin.createPartitions(Map.of(topics.results().name(), NewPartitions.increaseTo(4))).all()
            .get(30, TimeUnit.SECONDS);
      }
      answer("on-new-partition", "team-a", 3);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("time from building the client to the result on the new partition: it must be written before the "
              + "client's first refresh, or this would not test reading the partition from its beginning")
          .isLessThan(Duration.ofSeconds(5));

      // Then the client finds it: it read the new partition from its beginning, not from its end
      assertThat(future.orTimeout(30, TimeUnit.SECONDS).join().getRequestId()).isEqualTo("on-new-partition");
    }
  }

  // --- sends that fail --------------------------------------------------------------------------------------------

  @Test
  void failsTheFutureWithSubmitFailedExceptionWhenTheProducerFailsTheSend() {
    // Given a producer whose requests may not exceed 2 KB, and a 10 KB request
    try (RouterClient small = builder(new RecordingKafkaClients()).kafkaProperty("max.request.size", 2048).build()) {
      InferenceRequest tooBig = request("too-big", "team-a");
      tooBig.setMessages(List.of(new Message(Role.USER, "x".repeat(10_000), List.of())));

      CompletableFuture<InferenceResult> future = small.submit(tooBig);

      assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join())
          .isInstanceOf(CompletionException.class).cause()
          .isInstanceOfSatisfying(SubmitFailedException.class, e -> {
            assertThat(e.requestId()).isEqualTo("too-big");
            assertThat(e).hasCauseInstanceOf(RecordTooLargeException.class);
          });
      assertThat(small.pending()).isZero();
    }
  }

  @Test
  void failsTheFutureWhenTheRequestsTopicDoesNotExist() throws Exception {
    // Given topics where the results and alerts topics exist but the requests topic does not (and the broker does
    // not create topics on demand), and a producer that waits 1 s for a topic's metadata
    String lonely = stack.uniqueName("client-no-requests") + ".";
    Topics partial = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(stack.registryUrl()))
        .prefix(lonely).build());
    try (Admin admin = stack.admin()) {
      TopicAdmin.ensureTopics(admin, List.<Topic<?, ?>>of(partial.results(), partial.budgetAlerts()), 1, (short) 1,
          Duration.ofSeconds(30));
    }
    try (RouterClient orphan = RouterClient.builder().bootstrapServers(stack.bootstrapServers())
        .schemaRegistryUrl(stack.registryUrl()).topicPrefix(lonely).kafkaProperty("max.block.ms", 1000).build()) {

      CompletableFuture<InferenceResult> future = orphan.submit(request("nowhere", "team-a"));

      assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join()).cause()
          .isInstanceOfSatisfying(SubmitFailedException.class, e -> {
            assertThat(e.requestId()).isEqualTo("nowhere");
            assertThat(e).hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
            assertThat(e.getMessage()).contains(lonely + "llm.requests");
          });
      assertThat(orphan.pending()).isZero();
    }
  }

  @Test
  void failsTheFutureWhenTheRequestCannotBeEncoded() {
    // A record the caller built with null in a field the schema does not allow null in (model): id, createdAt and
    // deadline are set, so the client sends the caller's record as it is
    InferenceRequest broken = request("unencodable", "team-a");
    broken.setCreatedAt(Instant.now());
    broken.setDeadline(Instant.now().plusSeconds(60));
    broken.setModel(null);

    CompletableFuture<InferenceResult> future = client.submit(broken);

    assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join()).cause()
        .isInstanceOfSatisfying(SubmitFailedException.class, e -> {
          assertThat(e.requestId()).isEqualTo("unencodable");
          assertThat(e).hasCauseInstanceOf(SchemaSerdeException.class);
        });
    assertThat(client.pending()).isZero();
    client.close();
    assertThat(recordsOn(topics.requests().name())).as("records written to the requests topic").isZero();
  }

  // --- batches ----------------------------------------------------------------------------------------------------

  @Test
  void submitAllReturnsResultsInInputOrderAndKeepsThemWhenOneRequestTimesOut() throws Exception {
    // Given a batch of three, of which two are answered (in reverse order) and one never is
    List<InferenceRequest> batch = List.of(request("b-0", "team-a"), request("b-1", "team-b"),
        request("b-2", "team-a"));
    CompletableFuture<BatchResult> future = client.submitAll(batch, Duration.ofSeconds(3));
    answer("b-2", "team-a", 0);
    answer("b-0", "team-a", 1);

    // When the batch settles
    BatchResult result = future.orTimeout(30, TimeUnit.SECONDS).join();

    // Then both results are there in input order, and the third request is a failure to retry
    assertThat(result.size()).isEqualTo(3);
    assertThat(result.results()).extracting(InferenceResult::getRequestId).containsExactly("b-0", "b-2");
    assertThat(result.failures()).singleElement().satisfies(f -> {
      assertThat(f.requestId()).isEqualTo("b-1");
      assertThat(f.error()).isInstanceOf(ResultTimeoutException.class);
      assertThat(f.request().getTeamId()).isEqualTo("team-b");
    });
    assertThat(result.allAnswered()).isFalse();
    Map<String, String> keys = new HashMap<>();
    requestsSent(3).forEach(r -> keys.put(topics.requests().deserializeValue(r.value()).getRequestId(), r.key()));
    assertThat(keys).containsExactlyInAnyOrderEntriesOf(Map.of("b-0", "team-a", "b-1", "team-b", "b-2", "team-a"));
  }

  @Test
  void submitAllChecksEveryRequestBeforeSendingAny() {
    List<InferenceRequest> noTeam = List.of(request("ok", "team-a"), request("no-team", null));
    List<InferenceRequest> twice = List.of(request("same", "team-a"), request("same", "team-a"));

    assertThatThrownBy(() -> client.submitAll(noTeam)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("requests[1].teamId is required");
    assertThatThrownBy(() -> client.submitAll(twice)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("requests[1].requestId 'same' is used twice");
    assertThat(client.pending()).isZero();
    // Closing flushes the producer: whatever it had been given would now be on the topic
    client.close();
    assertThat(recordsOn(topics.requests().name())).as("records written to the requests topic").isZero();
  }

  @Test
  void anEmptyBatchCompletesAtOnce() {
    assertThat(client.submitAll(List.of()).join().size()).isZero();
  }

  // --- close ------------------------------------------------------------------------------------------------------

  @Test
  void closeFailsPendingRequestsWithClientClosedExceptionAndRefusesNewOnes() {
    CompletableFuture<InferenceResult> future = client.submit(request("orphan", "team-a"));

    client.close();

    assertThatThrownBy(future::join).cause().isInstanceOfSatisfying(ClientClosedException.class, e -> {
      assertThat(e.requestId()).isEqualTo("orphan");
      assertThat(e).hasMessageContaining(prefix + "llm.results");
    });
    assertThatThrownBy(() -> client.submit(request("too-late", "team-a")))
        .isInstanceOf(IllegalStateException.class).hasMessageEndingWith("is closed");
  }

  @Test
  void closeWithADrainWaitsForResultsStillOnTheirWay() throws Exception {
    CompletableFuture<InferenceResult> future = client.submit(request("draining", "team-a"));
    Thread answering = Thread.ofVirtual().start(() -> {
      try {
        Thread.sleep(200);
        answer("draining", "team-a", 1);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    client.close(Duration.ofSeconds(20));
    answering.join();

    assertThat(future).isCompleted();
    assertThat(future.join().getRequestId()).isEqualTo("draining");
  }

  // --- budget alerts ----------------------------------------------------------------------------------------------

  @Test
  void deliversAlertsOnlyToTheTeamThatSubscribedUntilTheSubscriptionIsClosed() throws Exception {
    // Given a listener for team-a
    List<BudgetAlert> received = Collections.synchronizedList(new ArrayList<>());
    AlertSubscription subscription = client.onAlert("team-a", received::add);

    // When alerts for team-b and team-a are published
    alert("team-b", "b|DAILY|0.8", 0);
    alert("team-a", "a|DAILY|0.8", 1);
    alert("team-a", "a|DAILY|1.0", 0);

    // Then only team-a's arrive
    await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 2);
    assertThat(received).extracting(BudgetAlert::getAlertId).containsExactlyInAnyOrder("a|DAILY|0.8", "a|DAILY|1.0");
    assertThat(clients.consumerConfigs.get("alerts")).containsEntry("isolation.level", "read_committed")
        .doesNotContainKey("group.id");

    // And once closed, nothing more reaches the listener
    subscription.close();
    alert("team-a", "a|MONTHLY|0.5", 1);
    List<BudgetAlert> later = Collections.synchronizedList(new ArrayList<>());
    client.onAlert("team-a", later::add);
    alert("team-a", "a|MONTHLY|0.8", 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> later.stream().anyMatch(a -> a.getAlertId()
        .equals("a|MONTHLY|0.8")));
    assertThat(received).hasSize(2);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() throws Exception {
    List<BudgetAlert> received = Collections.synchronizedList(new ArrayList<>());
    client.onAlert("team-a", alert -> {
      throw new IllegalStateException("listener bug");
    });
    client.onAlert("team-a", received::add);

    alert("team-a", "a|DAILY|0.5", 0);
    alert("team-a", "a|DAILY|0.8", 0);

    await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 2);
  }

  // --- the Kafka properties the client insists on ------------------------------------------------------------------

  @Test
  void usesAnIdempotentAllAcksProducerAndReadCommittedConsumersWithoutAGroup() throws Exception {
    // Given a caller's properties that would weaken the consumers
    RecordingKafkaClients recorded = new RecordingKafkaClients();
    try (RouterClient configured = builder(recorded)
        .kafkaProperty("group.id", "not-for-the-client")
        .kafkaProperty("isolation.level", "read_uncommitted")
        .kafkaProperty("linger.ms", 20)
        .build()) {
      Map<String, Object> producerConfig = recorded.producerConfigs.get(0);
      Map<String, Object> resultsConfig = recorded.consumerConfigs.get("results");
      assertThat(producerConfig).containsEntry("enable.idempotence", true).containsEntry("acks", "all")
          .containsEntry("linger.ms", 20).containsEntry("bootstrap.servers", stack.bootstrapServers());
      assertThat(resultsConfig).containsEntry("isolation.level", "read_committed")
          .containsEntry("enable.auto.commit", false).doesNotContainKey("group.id");

      // When the worker writes a result for a pending request in a transaction it aborts, then commits another
      CompletableFuture<InferenceResult> future = configured.submit(request("tx-1", "team-a"));
      Map<String, Object> transactional = new HashMap<>(stack.producerConfig());
      transactional.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, stack.uniqueName(prefix + "worker-tx"));
      try (KafkaProducer<String, byte[]> worker = new KafkaProducer<>(transactional, new StringSerializer(),
          new ByteArraySerializer())) {
        worker.initTransactions();
        worker.beginTransaction();
        worker.send(resultRecord("tx-1", "team-a", 0, "aborted")).get();
        worker.abortTransaction();
        worker.beginTransaction();
        worker.send(resultRecord("tx-1", "team-a", 0, "committed")).get();
        worker.commitTransaction();
      }

      // Then the future has the committed result: the aborted one, earlier in the log, was never read
      assertThat(future.orTimeout(30, TimeUnit.SECONDS).join().getContent()).isEqualTo("committed");
    }
  }

  @Test
  void refusesKafkaPropertiesThatWouldWeakenTheProducersGuarantees() {
    // Given: an MR_KAFKA_ACKS=1 meant for some other program, read with the client's settings
    Settings settings = Settings.from(Map.of("MR_KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers(),
        "MR_SCHEMA_REGISTRY_URL", stack.registryUrl(), "MR_KAFKA_ACKS", "1"), Map.of());
    RecordingKafkaClients recorded = new RecordingKafkaClients();

    // When / Then: the client refuses to build, names the property, and creates no producer
    assertThatThrownBy(() -> RouterClient.builder().settings(settings).kafkaClients(recorded).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Kafka property acks=1 is refused")
        .hasMessageContaining("acks=all and enable.idempotence=true", "MR_KAFKA_ACKS");
    assertThatThrownBy(() -> builder(recorded).kafkaProperty("enable.idempotence", false).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Kafka property enable.idempotence=false is refused");
    assertThatThrownBy(() -> builder(recorded).kafkaProperty("acks", 0).build())
        .hasMessageStartingWith("Kafka property acks=0 is refused");
    assertThat(recorded.producerConfigs).isEmpty();
    assertThat(recorded.consumerConfigs).isEmpty();
  }

  @Test
  void acceptsTheValuesTheProducerUsesAnyway() {
    RecordingKafkaClients recorded = new RecordingKafkaClients();
    try (RouterClient configured = builder(recorded).kafkaProperty("acks", "-1")
        .kafkaProperty("enable.idempotence", "TRUE").build()) {
      assertThat(recorded.producerConfigs.get(0)).containsEntry("acks", "all")
          .containsEntry("enable.idempotence", true);
      assertThat(configured.pending()).isZero();
    }
  }

  @Test
  void readsTheServicesSettings() {
    Settings settings = Settings.of(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "kafka.request.timeout.ms", "25000",
        "client.timeout", "PT0.2S",
        "client.id", "enrichment"));
    RecordingKafkaClients recorded = new RecordingKafkaClients();

    try (RouterClient configured = RouterClient.builder().settings(settings).kafkaClients(recorded).build()) {
      CompletableFuture<InferenceResult> future = configured.submit(request("from-settings", "team-a"));

      assertThat(configured.topics().results().name()).isEqualTo(prefix + "llm.results");
      assertThat(recorded.producerConfigs.get(0)).containsEntry("bootstrap.servers", stack.bootstrapServers())
          .containsEntry("request.timeout.ms", "25000").containsEntry("client.id", "enrichment-producer");
      assertThatThrownBy(() -> future.orTimeout(30, TimeUnit.SECONDS).join())
          .cause().isInstanceOf(ResultTimeoutException.class);
    }
    assertThat(topics.requests().deserializeValue(requestsSent(1).get(0).value()).getRequestId())
        .isEqualTo("from-settings");
  }

  @Test
  void refusesToStartWhenTheResultsTopicDoesNotExist() {
    RecordingKafkaClients recorded = new RecordingKafkaClients();
    String empty = stack.uniqueName("client-no-topics") + ".";

    assertThatThrownBy(() -> RouterClient.builder().bootstrapServers(stack.bootstrapServers())
        .schemaRegistryUrl(stack.registryUrl()).topicPrefix(empty).kafkaClients(recorded).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("topic " + empty + "llm.results does not exist");
    // The producer it had made is closed again
    assertThat(recorded.producers).singleElement().satisfies(made -> assertThatThrownBy(
        () -> made.send(new ProducerRecord<>(empty + "llm.requests", "team-a", new byte[] {0})))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed"));
  }

  @Test
  void builderSaysWhatIsMissingOrInvalid() {
    assertThatThrownBy(() -> RouterClient.builder().schemaRegistryUrl(stack.registryUrl()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bootstrapServers is required (e.g. localhost:9092), got 'null'");
    assertThatThrownBy(() -> RouterClient.builder().bootstrapServers(stack.bootstrapServers()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("schema.registry.url is required");
    assertThatThrownBy(() -> builder(new RecordingKafkaClients()).defaultTimeout(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessage("defaultTimeout must be positive, got PT0S");
    assertThatThrownBy(() -> client.submit(request("x", "team-a"), Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be positive, got PT-0.001S");
  }

  // --- helpers ----------------------------------------------------------------------------------------------------

  /** Writes the result the worker would write for the request, to the given partition of the results topic. */
  private void answer(String requestId, String teamId, int partition) throws Exception {
    producer.send(resultRecord(requestId, teamId, partition, "answer to " + requestId)).get(30, TimeUnit.SECONDS);
  }

  private ProducerRecord<String, byte[]> resultRecord(String requestId, String teamId, int partition,
      String content) {
    InferenceResult result = InferenceResult.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setStatus(ResultStatus.OK)
        .setContent(content)
        .setUsage(new TokenUsage(12L, 34L, 0L, 0L, 0L, false))
        .build();
    return new ProducerRecord<>(topics.results().name(), partition, teamId, topics.results().serializeValue(result));
  }

  private void alert(String teamId, String alertId, int partition) throws Exception {
    BudgetAlert alert = BudgetAlert.newBuilder()
        .setAlertId(alertId)
        .setTeamId(teamId)
        .setWindowStart("2026-03-01")
        .setState(BudgetState.NOTIFY)
        .setAt(Instant.parse("2026-03-01T12:00:00Z"))
        .build();
    write(topics.budgetAlerts().name(), partition, teamId, topics.budgetAlerts().serializeValue(alert));
  }

  private void write(String topic, int partition, String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, partition, key, value)).get(30, TimeUnit.SECONDS);
  }

  /** The first {@code count} records on the requests topic, read by a consumer of the test's own. */
  private List<ConsumerRecord<String, byte[]>> requestsSent(int count) {
    List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName(prefix + "observer")), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.requests().name()));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        consumer.poll(Duration.ofMillis(200)).forEach(found::add);
        return found.size() >= count;
      });
    }
    return found;
  }

  /** How many records a topic holds: the sum of its partitions' end offsets. */
  private long recordsOn(String topic) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        stack.consumerConfig(stack.uniqueName(prefix + "counter")), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  static InferenceRequest request(String requestId, String teamId) {
    return InferenceRequest.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setTaskType("interactiveChat")
        .setMessages(List.of(new Message(Role.USER, "Hello", List.of())))
        .build();
  }

  /**
   * Real Kafka clients, as the client makes them by default, with a record of the configs it asked for and of the
   * producers made: what the client configures is checked on the configs, what it does on the broker.
   */
  static final class RecordingKafkaClients implements KafkaClients {
    final List<Map<String, Object>> producerConfigs = new CopyOnWriteArrayList<>();
    /** By the role that ends the consumer's client id: results, alerts. */
    final Map<String, Map<String, Object>> consumerConfigs = new ConcurrentHashMap<>();
    final List<Producer<String, byte[]>> producers = new CopyOnWriteArrayList<>();

    @Override
    public Producer<String, byte[]> producer(Map<String, Object> config) {
      producerConfigs.add(new HashMap<>(config));
      Producer<String, byte[]> made = KafkaClients.KAFKA.producer(config);
      producers.add(made);
      return made;
    }

    @Override
    public Consumer<String, byte[]> consumer(Map<String, Object> config) {
      String clientId = config.get(ConsumerConfig.CLIENT_ID_CONFIG).toString();
      consumerConfigs.put(clientId.substring(clientId.lastIndexOf('-') + 1), new HashMap<>(config));
      return KafkaClients.KAFKA.consumer(config);
    }
  }
}
