package io.modelrouter.router.learning;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
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
 * The router and the learner on a real broker and registry, with the real MiniLM embeddings: feedback on a learned
 * decision becomes a new version of the team's model, which the running router uses for that team only; an admin
 * pin rolls it back; feedback that is poison, out of range or about another team's request goes to the DLQ.
 */
@IntegrationTest
class LearnerIT {
  /** Unlike every shipped exemplar, so that one learned exemplar of the same text decides it. */
  private static final String PROMPT = "Our greenhouse sensor firmware logs humidity twice per minute; "
      + "summarise yesterday's readings for the gardeners.";

  private Topics topics;
  private RouterService router;
  private LearnerService learner;
  private KafkaProducer<String, byte[]> producer;
  private final Map<String, RoutedRequest> routed = new ConcurrentHashMap<>();
  private final Map<String, RouterModel> models = new ConcurrentHashMap<>();
  private final List<Headers> dead = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final AtomicInteger sequence = new AtomicInteger();
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) throws Exception {
    String prefix = stack.uniqueName("learner") + ".";
    topics = stack.createTopics(prefix, 2);
    Map<String, String> common = Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "2");
    Map<String, String> routerSettings = new HashMap<>(common);
    routerSettings.putAll(Map.of("router.application.id", prefix + "router",
        "router.state.dir", state.resolve("router").toString(), "router.threads", "1"));
    Map<String, String> learnerSettings = new HashMap<>(common);
    learnerSettings.putAll(Map.of("learner.application.id", prefix + "learner",
        "learner.state.dir", state.resolve("learner").toString(), "learner.publish.interval", "500"));
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    for (String team : List.of("team-a", "team-b")) {
      RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
      policy.setTeamId(team);
      policy.setVersion(1);
      policy.getAuto().setStrategy(AutoStrategy.LEARNED);
      producer.send(new ProducerRecord<>(topics.routingPolicies().name(), team,
          topics.routingPolicies().serializeValue(policy))).get();
    }
    router = new RouterService(Settings.of(routerSettings)).start();
    learner = new LearnerService(Settings.of(learnerSettings)).start();
    reader = Thread.ofVirtual().start(() -> readOutputs(stack, prefix));
    await().atMost(Duration.ofSeconds(90)).until(() -> router.state() == KafkaStreams.State.RUNNING
        && learner.streams().state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws InterruptedException {
    reading.set(false);
    reader.join(10_000);
    producer.close();
    learner.close();
    router.close();
  }

  @Test
  void feedbackBecomesANewVersionOfTheTeamsModelThatTheRouterUsesForThatTeamOnly() throws Exception {
    // The shipped model's choice for the prompt, for both teams
    RoutedRequest first = route("team-a", "first");
    String shipped = first.getDecision().getLearnedModel();
    assertThat(shipped).isEqualTo("shipped-437");
    String before = first.getDecision().getProfile();
    String needed = before.equals("frontier") ? "fast" : "frontier";

    // Bad feedback first: an out-of-range score, bytes that are not a record, team-b judging team-a's request, and a
    // record over the learner's size limit
    send(feedback("bad-score", "first", "team-a", 7.0, null));
    producer.send(new ProducerRecord<>(topics.feedback().name(), "team-a", new byte[] {0, 0, 0, 0, 1, 2})).get();
    send(feedback("other-team", "first", "team-b", 0.0, "frontier"));
    FeedbackEvent bloated = feedback("bloated", "first", "team-a", 0.0, "frontier");
    bloated.setComment("c".repeat(100_000)); // written around the SDK's and the HTTP API's checks
    send(bloated);
    // Then a judge says which profile the request needed
    send(feedback("judged", "first", "team-a", 0.2, needed));

    await().atMost(Duration.ofSeconds(60)).until(() -> models.containsKey(Topics.routerModelKey("team-a", 1)));
    RouterModel version1 = models.get(Topics.routerModelKey("team-a", 1));
    assertThat(version1.getExemplars()).singleElement().satisfies(e -> {
      assertThat(e.getId()).isEqualTo("fb:first");
      assertThat(e.getAtLeast().name()).isEqualTo(e.getAtMost().name());
      assertThat(e.getEmbedding().remaining()).isEqualTo(384);
    });
    assertThat(models.keySet()).noneMatch(key -> key.startsWith("team-b@"));

    // The running router picks the new version up: the same prompt goes where the judge said, naming the version
    RoutedRequest after = routeUntil("team-a", r -> "team-a@1".equals(r.getDecision().getLearnedModel()));
    assertThat(after.getDecision().getProfile()).isEqualTo(needed);
    assertThat(after.getDecision().getReason()).contains("learned team-a@1", "fb:first");
    // team-b's routing did not change
    RoutedRequest otherTeam = route("team-b", "b-1");
    assertThat(otherTeam.getDecision().getLearnedModel()).isEqualTo(shipped);
    assertThat(otherTeam.getDecision().getProfile()).isEqualTo(before);

    // An admin pins team-a to version 0 (the shipped model): its routing rolls back without a restart
    producer.send(new ProducerRecord<>(topics.routerModelPins().name(), "team-a", topics.routerModelPins()
        .serializeValue(new RouterModelPin("team-a", 0L, "roll back", "admin", Instant.now())))).get();
    RoutedRequest pinned = routeUntil("team-a", r -> shipped.equals(r.getDecision().getLearnedModel()));
    assertThat(pinned.getDecision().getProfile()).isEqualTo(before);
    // and unpinning follows the latest again
    producer.send(new ProducerRecord<String, byte[]>(topics.routerModelPins().name(), "team-a", null)).get();
    routeUntil("team-a", r -> "team-a@1".equals(r.getDecision().getLearnedModel()));

    // The four bad judgements are in the DLQ with the learner's headers and the reason
    await().atMost(Duration.ofSeconds(30)).until(() -> dead.size() >= 4);
    List<String> reasons = dead.stream()
        .map(h -> DeadLetters.header(h, DeadLetters.SERVICE) + ": " + DeadLetters.header(h, DeadLetters.ERROR_MESSAGE))
        .toList();
    assertThat(reasons).hasSize(4).allMatch(r -> r.startsWith("learner: "));
    assertThat(reasons).anyMatch(r -> r.contains("limit of 65,536 bytes (learner.max.feedback.bytes)"));
    assertThat(reasons).anyMatch(r -> r.contains("score: must be a number from 0 to 1, got 7.0"));
    assertThat(reasons).anyMatch(r -> r.contains("feedback of team 'team-b' on request first of team 'team-a'"));
    assertThat(learner.registry().scrape()).contains("learner_feedback_total{outcome=\"learned\",service=\"learner\"} 1.0")
        .contains("learner_feedback_total{outcome=\"dead_letter\",service=\"learner\"} 4.0");
  }

  @Test
  void aTeamOnTheShippedPolicyTeachesTheLexicalModelOnceItJudgesResults() throws Exception {
    // team-c has no policy of its own: the shipped one, the lexical model
    RoutedRequest first = route("team-c", "c-first");
    assertThat(first.getDecision().getLearnedModel()).isEqualTo("lexical-437");
    String needed = first.getDecision().getProfile().equals("frontier") ? "fast" : "frontier";
    // Its first judgement finds nothing kept (the learner keeps the lexical model's decisions of teams that judge),
    // and makes it a team that judges
    send(feedback("c-judged-first", "c-first", "team-c", 0.0, needed));
    // Its next requests are kept; judged again and again, the same prompt goes where the judge says
    RoutedRequest taught = routeUntil("team-c", r -> {
      if (r.getDecision().getLearnedModel().startsWith("team-c@") && needed.equals(r.getDecision().getProfile())) {
        return true;
      }
      try {
        send(feedback("judged-" + r.getRequest().getRequestId(), r.getRequest().getRequestId(), "team-c",
            0.0, needed));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return false;
    });
    assertThat(taught.getDecision().getReason()).startsWith("learned team-c@").contains("nearest fb:");
    RouterModel version1 = models.get(Topics.routerModelKey("team-c", 1));
    assertThat(version1.getExemplars()).allSatisfy(e -> {
      assertThat(e.getLexical().remaining()).as("n-gram vector").isPositive().isEqualTo(
          3 * (e.getLexical().remaining() / 3));
      assertThat(e.getEmbedding().remaining()).isEqualTo(384);
    });
    assertThat(learner.registry().scrape()).contains("learner_feedback_total{outcome=\"unmatched\",service=\"learner\"}");
    // team-a, which judged nothing, is still on the policy it was given
    assertThat(models.keySet()).noneMatch(key -> key.startsWith("team-a@"));
  }

  private RoutedRequest route(String team, String requestId) throws Exception {
    // each probe in a session of its own: the same prompt again in one session would be implicit feedback
    InferenceRequest request = request("interactiveChat", PROMPT).setRequestId(requestId).setTeamId(team)
        .setSessionId("session-" + requestId)
        .setTier("power").build();
    producer.send(new ProducerRecord<>(topics.requests().name(), team, topics.requests().serializeValue(request)))
        .get();
    await().atMost(Duration.ofSeconds(60)).until(() -> routed.containsKey(requestId));
    return routed.get(requestId);
  }

  /** Sends the prompt until a decision satisfies {@code done} (a new version or pin reaches the router within ~1 s). */
  private RoutedRequest routeUntil(String team, java.util.function.Predicate<RoutedRequest> done) throws Exception {
    RoutedRequest[] last = new RoutedRequest[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
      last[0] = route(team, team + "-probe-" + sequence.incrementAndGet());
      return done.test(last[0]);
    });
    return last[0];
  }

  private FeedbackEvent feedback(String id, String requestId, String team, double score, String needed) {
    return new FeedbackEvent(id, requestId, team, null, score, FeedbackSource.JUDGE, needed, null, Instant.now());
  }

  private void send(FeedbackEvent feedback) throws Exception {
    producer.send(new ProducerRecord<>(topics.feedback().name(), feedback.getTeamId(),
        topics.feedback().serializeValue(feedback))).get();
  }

  private void readOutputs(KafkaStack stack, String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.routed().name(), topics.routerModels().name(), topics.dlq().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (r.topic().equals(topics.routed().name())) {
            RoutedRequest value = topics.routed().deserializeValue(r.value());
            routed.put(value.getRequest().getRequestId(), value);
          } else if (r.topic().equals(topics.routerModels().name()) && r.value() != null) {
            models.put(r.key(), topics.routerModels().deserializeValue(r.value()));
          } else if (r.topic().equals(topics.dlq().name())) {
            dead.add(r.headers());
          }
        }
      }
    }
  }
}
