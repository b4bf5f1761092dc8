package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
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

/** The router on a real broker and registry: a mixed workload, a policy change, then RESTRICT and PAUSE, live. */
@IntegrationTest
class RouterIT {
  private Topics topics;
  private RouterService router;
  private KafkaProducer<String, byte[]> producer;
  private final Map<String, RoutedRequest> routed = new ConcurrentHashMap<>();
  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final List<ConsumerRecord<byte[], byte[]>> dead = java.util.Collections.synchronizedList(new ArrayList<>());
  private final List<String> duplicates = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    String prefix = stack.uniqueName("router") + ".";
    topics = stack.createTopics(prefix, 4);
    router = new RouterService(settings(stack, prefix, state)).start();
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    reader = Thread.ofVirtual().start(() -> readOutputs(stack, prefix));
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
  }

  /** A router instance of the test's application, with its own state directory. */
  private static Settings settings(KafkaStack stack, String prefix, Path state) {
    return Settings.of(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4",
        "router.application.id", prefix + "router",
        "router.state.dir", state.toString(),
        "router.threads", "1"));
  }

  @AfterEach
  void stop() throws InterruptedException {
    reading.set(false);
    reader.join(10_000);
    producer.close();
    router.close();
  }

  /**
   * The mixed workload, one request a line, with where the shipped policy (default-routing-policy.json) sends it,
   * worked out by hand: id, team, tier, task type, model asked for; then the profile and model expected.
   *
   * <p>Every prompt is "Task n: update the handler.": about ten tokens, no file, code block, integration or
   * reasoning keyword, and no maxTokens, so the complexity score is 0.30 × the task type's prior (research 0.27,
   * planning 0.255, validation and specGeneration 0.24, implementation 0.165, codeReview 0.15, interactiveChat and
   * documentationUpdate 0.06, hookActions 0.03). None is above a promotion threshold (fast 0.40, primary 0.80);
   * research and planning (table: frontier) fall below demoteBelow 0.30 and are demoted to primary, validation is
   * never demoted and stays frontier. The pro tier allows primary, fast and local: a frontier choice and the model
   * pin claude-sonnet-4-0 (no pro profile uses it) fall back to its first profile, primary; the power tier allows
   * everything, so its pin is routed as "pinned". The explicit profile pin "fast" is allowed in both tiers.
   */
  private static final String WORKLOAD = """
      mixed-0   team-a  power  research             auto               primary   claude-sonnet-4-5
      mixed-1   team-b  pro    planning             auto               primary   claude-sonnet-4-5
      mixed-2   team-c  power  implementation       auto               primary   claude-sonnet-4-5
      mixed-3   team-a  pro    codeReview           fast               fast      claude-haiku-4-5
      mixed-4   team-b  power  interactiveChat      claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-5   team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-6   team-a  power  specGeneration       auto               primary   claude-sonnet-4-5
      mixed-7   team-b  pro    documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-8   team-c  power  validation           auto               frontier  claude-opus-4-5
      mixed-9   team-a  pro    research             claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-10  team-b  power  planning             fast               fast      claude-haiku-4-5
      mixed-11  team-c  pro    implementation       auto               primary   claude-sonnet-4-5
      mixed-12  team-a  power  codeReview           auto               primary   claude-sonnet-4-5
      mixed-13  team-b  pro    interactiveChat      auto               fast      claude-haiku-4-5
      mixed-14  team-c  power  hookActions          claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-15  team-a  pro    specGeneration       auto               primary   claude-sonnet-4-5
      mixed-16  team-b  power  documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-17  team-c  pro    validation           fast               fast      claude-haiku-4-5
      mixed-18  team-a  power  research             auto               primary   claude-sonnet-4-5
      mixed-19  team-b  pro    planning             claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-20  team-c  power  implementation       auto               primary   claude-sonnet-4-5
      mixed-21  team-a  pro    codeReview           auto               primary   claude-sonnet-4-5
      mixed-22  team-b  power  interactiveChat      auto               fast      claude-haiku-4-5
      mixed-23  team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-24  team-a  power  specGeneration       fast               fast      claude-haiku-4-5
      mixed-25  team-b  pro    documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-26  team-c  power  validation           auto               frontier  claude-opus-4-5
      mixed-27  team-a  pro    research             auto               primary   claude-sonnet-4-5
      mixed-28  team-b  power  planning             auto               primary   claude-sonnet-4-5
      mixed-29  team-c  pro    implementation       claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-30  team-a  power  codeReview           auto               primary   claude-sonnet-4-5
      mixed-31  team-b  pro    interactiveChat      fast               fast      claude-haiku-4-5
      mixed-32  team-c  power  hookActions          auto               fast      claude-haiku-4-5
      mixed-33  team-a  pro    specGeneration       auto               primary   claude-sonnet-4-5
      mixed-34  team-b  power  documentationUpdate  claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-35  team-c  pro    validation           auto               primary   claude-sonnet-4-5
      mixed-36  team-a  power  research             auto               primary   claude-sonnet-4-5
      mixed-37  team-b  pro    planning             auto               primary   claude-sonnet-4-5
      mixed-38  team-c  power  implementation       fast               fast      claude-haiku-4-5
      mixed-39  team-a  pro    codeReview           claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-40  team-b  power  interactiveChat      auto               fast      claude-haiku-4-5
      mixed-41  team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-42  team-a  power  specGeneration       auto               primary   claude-sonnet-4-5
      mixed-43  team-b  pro    documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-44  team-c  power  validation           claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-45  team-a  pro    research             fast               fast      claude-haiku-4-5
      mixed-46  team-b  power  planning             auto               primary   claude-sonnet-4-5
      mixed-47  team-c  pro    implementation       auto               primary   claude-sonnet-4-5
      mixed-48  team-a  power  codeReview           auto               primary   claude-sonnet-4-5
      mixed-49  team-b  pro    interactiveChat      claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-50  team-c  power  hookActions          auto               fast      claude-haiku-4-5
      mixed-51  team-a  pro    specGeneration       auto               primary   claude-sonnet-4-5
      mixed-52  team-b  power  documentationUpdate  fast               fast      claude-haiku-4-5
      mixed-53  team-c  pro    validation           auto               primary   claude-sonnet-4-5
      mixed-54  team-a  power  research             claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-55  team-b  pro    planning             auto               primary   claude-sonnet-4-5
      mixed-56  team-c  power  implementation       auto               primary   claude-sonnet-4-5
      mixed-57  team-a  pro    codeReview           auto               primary   claude-sonnet-4-5
      mixed-58  team-b  power  interactiveChat      auto               fast      claude-haiku-4-5
      mixed-59  team-c  pro    hookActions          fast               fast      claude-haiku-4-5
      mixed-60  team-a  power  specGeneration       auto               primary   claude-sonnet-4-5
      mixed-61  team-b  pro    documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-62  team-c  power  validation           auto               frontier  claude-opus-4-5
      mixed-63  team-a  pro    research             auto               primary   claude-sonnet-4-5
      mixed-64  team-b  power  planning             claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-65  team-c  pro    implementation       auto               primary   claude-sonnet-4-5
      mixed-66  team-a  power  codeReview           fast               fast      claude-haiku-4-5
      mixed-67  team-b  pro    interactiveChat      auto               fast      claude-haiku-4-5
      mixed-68  team-c  power  hookActions          auto               fast      claude-haiku-4-5
      mixed-69  team-a  pro    specGeneration       claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-70  team-b  power  documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-71  team-c  pro    validation           auto               primary   claude-sonnet-4-5
      mixed-72  team-a  power  research             auto               primary   claude-sonnet-4-5
      mixed-73  team-b  pro    planning             fast               fast      claude-haiku-4-5
      mixed-74  team-c  power  implementation       claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-75  team-a  pro    codeReview           auto               primary   claude-sonnet-4-5
      mixed-76  team-b  power  interactiveChat      auto               fast      claude-haiku-4-5
      mixed-77  team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-78  team-a  power  specGeneration       auto               primary   claude-sonnet-4-5
      mixed-79  team-b  pro    documentationUpdate  claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-80  team-c  power  validation           fast               fast      claude-haiku-4-5
      mixed-81  team-a  pro    research             auto               primary   claude-sonnet-4-5
      mixed-82  team-b  power  planning             auto               primary   claude-sonnet-4-5
      mixed-83  team-c  pro    implementation       auto               primary   claude-sonnet-4-5
      mixed-84  team-a  power  codeReview           claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-85  team-b  pro    interactiveChat      auto               fast      claude-haiku-4-5
      mixed-86  team-c  power  hookActions          auto               fast      claude-haiku-4-5
      mixed-87  team-a  pro    specGeneration       fast               fast      claude-haiku-4-5
      mixed-88  team-b  power  documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-89  team-c  pro    validation           claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-90  team-a  power  research             auto               primary   claude-sonnet-4-5
      mixed-91  team-b  pro    planning             auto               primary   claude-sonnet-4-5
      mixed-92  team-c  power  implementation       auto               primary   claude-sonnet-4-5
      mixed-93  team-a  pro    codeReview           auto               primary   claude-sonnet-4-5
      mixed-94  team-b  power  interactiveChat      fast               fast      claude-haiku-4-5
      mixed-95  team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-96  team-a  power  specGeneration       auto               primary   claude-sonnet-4-5
      mixed-97  team-b  pro    documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-98  team-c  power  validation           auto               frontier  claude-opus-4-5
      mixed-99  team-a  pro    research             claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-100 team-b  power  planning             auto               primary   claude-sonnet-4-5
      mixed-101 team-c  pro    implementation       fast               fast      claude-haiku-4-5
      mixed-102 team-a  power  codeReview           auto               primary   claude-sonnet-4-5
      mixed-103 team-b  pro    interactiveChat      auto               fast      claude-haiku-4-5
      mixed-104 team-c  power  hookActions          claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-105 team-a  pro    specGeneration       auto               primary   claude-sonnet-4-5
      mixed-106 team-b  power  documentationUpdate  auto               fast      claude-haiku-4-5
      mixed-107 team-c  pro    validation           auto               primary   claude-sonnet-4-5
      mixed-108 team-a  power  research             fast               fast      claude-haiku-4-5
      mixed-109 team-b  pro    planning             claude-sonnet-4-0  primary   claude-sonnet-4-5
      mixed-110 team-c  power  implementation       auto               primary   claude-sonnet-4-5
      mixed-111 team-a  pro    codeReview           auto               primary   claude-sonnet-4-5
      mixed-112 team-b  power  interactiveChat      auto               fast      claude-haiku-4-5
      mixed-113 team-c  pro    hookActions          auto               fast      claude-haiku-4-5
      mixed-114 team-a  power  specGeneration       claude-sonnet-4-0  pinned    claude-sonnet-4-0
      mixed-115 team-b  pro    documentationUpdate  fast               fast      claude-haiku-4-5
      mixed-116 team-c  power  validation           auto               frontier  claude-opus-4-5
      mixed-117 team-a  pro    research             auto               primary   claude-sonnet-4-5
      mixed-118 team-b  power  planning             auto               primary   claude-sonnet-4-5
      mixed-119 team-c  pro    implementation       claude-sonnet-4-0  primary   claude-sonnet-4-5
      """;

  /** One line of {@link #WORKLOAD}. */
  private record Expected(InferenceRequest request, String profile, String model) {
    static Expected parse(String line) {
      String[] f = line.trim().split("\\s+");
      if (f.length != 7) {
        throw new IllegalArgumentException("a workload line has 7 columns: " + line);
      }
      InferenceRequest request = io.modelrouter.router.routing.Requests.request(f[3], "Task " + f[0].substring("mixed-".length()) + ": update the handler.")
          .setRequestId(f[0]).setTeamId(f[1]).setTier(f[2]).setModel(f[4]).build();
      return new Expected(request, f[5], f[6]);
    }
  }

  @Test
  void aTeamsRateLimitHoldsAcrossTwoRoutersAndItsWaitingRequestsSurviveTheOwnersShutdown(KafkaStack stack,
      @TempDir Path secondState) throws Exception {
    // Given team "metered" limited to 120 requests a minute (two a second, two at once), and a second router
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("metered");
    policy.setVersion(1);
    policy.setRateLimits(new io.modelrouter.avro.RateLimits(120L, null, 1.0, 1_000));
    producer.send(new ProducerRecord<>(topics.routingPolicies().name(), "metered",
        topics.routingPolicies().serializeValue(policy))).get();
    String prefix = topics.config().prefix();
    RouterService second = new RouterService(settings(stack, prefix, secondState)).start();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING
          && second.state() == KafkaStreams.State.RUNNING && owner(router, second) != null);
      // (the probes took from the bucket: a bucket not yet full again only makes the bound below stricter)
      probeUntil("metered", "interactiveChat", r -> r.getDecision().getPolicyVersion().equals("metered@1"));

      // When 16 requests arrive at once, and the router that owns the team's partition shuts down after 4 went
      for (int i = 0; i < 16; i++) {
        send(request("interactiveChat", "Summarize ticket " + i).setRequestId("metered-" + i).setTeamId("metered")
            .build());
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> meteredRouted().size() >= 4);
      RouterService owner = owner(router, second);
      assertThat(owner).isNotNull();
      owner.close();

      // Then every one is routed exactly once, none failed, in arrival order
      await().atMost(Duration.ofSeconds(90)).until(() -> meteredRouted().size() == 16);
      List<RoutedRequest> inOrder = meteredRouted();
      assertThat(duplicates).isEmpty();
      assertThat(results.keySet().stream().filter(id -> id.startsWith("metered-")).toList()).isEmpty();
      assertThat(inOrder).extracting(r -> r.getRequest().getRequestId())
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 16).mapToObj(i -> "metered-" + i).toList());
      // and never faster than the limit, across the handover: between any two decisions, at most two (the bucket)
      // plus one per half second
      for (int i = 0; i < inOrder.size(); i++) {
        for (int j = i + 1; j < inOrder.size(); j++) {
          long apart = inOrder.get(j).getDecision().getDecidedAt().toEpochMilli()
              - inOrder.get(i).getDecision().getDecidedAt().toEpochMilli();
          assertThat((long) (j - i)).as("decisions %d and %d, %d ms apart", i, j, apart).isLessThanOrEqualTo(2 + apart / 500);
        }
      }
      assertThat(inOrder.get(15).getDecision().getRateLimitWaitMs()).isGreaterThanOrEqualTo(6_000);
      assertThat(inOrder.get(15).getDecision().getReason()).contains("for the team's rate limit (120 requests/min)");
    } finally {
      second.close();
    }
  }

  /** The routed requests of team "metered", in the order the router decided them. */
  private List<RoutedRequest> meteredRouted() {
    return routed.values().stream().filter(r -> r.getRequest().getRequestId().startsWith("metered-"))
        .sorted(java.util.Comparator.comparing((RoutedRequest r) -> r.getDecision().getDecidedAt())
            .thenComparing(r -> Integer.parseInt(r.getRequest().getRequestId().substring("metered-".length()))))
        .toList();
  }

  /** The router whose task holds team "metered"'s partition of llm.requests, or null while unassigned. */
  private RouterService owner(RouterService... routers) {
    byte[] key = "metered".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int partition = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(key))
        % 4;
    org.apache.kafka.common.TopicPartition wanted =
        new org.apache.kafka.common.TopicPartition(topics.requests().name(), partition);
    for (RouterService candidate : routers) {
      boolean owns = candidate.streams().metadataForLocalThreads().stream()
          .flatMap(thread -> thread.activeTasks().stream())
          .anyMatch(task -> task.topicPartitions().contains(wanted));
      if (owns) {
        return candidate;
      }
    }
    return null;
  }

  @Test
  void routesAMixedWorkloadThenAppliesAPolicyChangeARestrictAndAPauseWhileRunning() throws Exception {
    // A mixed workload: three teams, the development loop's task types, two tiers, some pinning a profile or a
    // catalog model; then two invalid requests and a poison record
    Map<String, Expected> valid = new java.util.LinkedHashMap<>();
    WORKLOAD.lines().filter(line -> !line.isBlank()).map(Expected::parse)
        .forEach(e -> valid.put(e.request().getRequestId(), e));
    assertThat(valid).hasSize(120);
    // The built-in policy judges with the lexical model, fitted as the router starts
    RoutedRequest shipped = probeUntil("team-a", "hookActions", r -> true);
    assertThat(shipped.getDecision().getPolicyVersion()).isEqualTo("*@0");
    assertThat(shipped.getDecision().getReason()).startsWith("learned lexical-");
    // The workload's expected profiles are the routing table's: publish the table's strategy as the default first
    RoutingPolicy table = DefaultPolicies.hybridRoutingPolicy();
    table.setVersion(1);
    producer.send(new ProducerRecord<>(topics.routingPolicies().name(), Topics.DEFAULT_POLICY_KEY,
        topics.routingPolicies().serializeValue(table))).get();
    probeUntil("team-a", "codeExplanation", r -> r.getDecision().getPolicyVersion().equals("*@1"));
    for (Expected e : valid.values()) {
      send(e.request());
    }
    send(request("interactiveChat", "x").setRequestId("bad-empty").setMessages(List.of()).build());
    send(request("interactiveChat", "x").setRequestId("bad-pin").setModel("gpt-17").build());
    producer.send(new ProducerRecord<>(topics.requests().name(), "team-a", new byte[] {9, 9, 9, 9, 9, 9})).get();

    await().atMost(Duration.ofSeconds(60)).until(() -> routed.keySet().containsAll(valid.keySet())
        && results.containsKey("bad-empty") && results.containsKey("bad-pin") && !dead.isEmpty());
    // Every routed request went where the workload table says
    for (Expected e : valid.values()) {
      InferenceRequest r = e.request();
      RoutedRequest out = routed.get(r.getRequestId());
      assertThat(out.getDecision().getProfile())
          .as("%s: %s, tier %s, model %s; reason: %s", r.getRequestId(), r.getTaskType(), r.getTier(), r.getModel(),
              out.getDecision().getReason())
          .isEqualTo(e.profile());
      assertThat(out.getDecision().getModel()).as("%s: model", r.getRequestId()).isEqualTo(e.model());
    }
    assertThat(results.get("bad-empty").getErrorMessage()).isEqualTo("messages: must hold at least one message");
    assertThat(results.get("bad-pin").getErrorCode()).isEqualTo("UNKNOWN_MODEL");
    assertThat(new String(dead.get(0).headers().lastHeader("dlq.error.class").value()))
        .endsWith("WireFormatException");

    // When team-b's policy changes on the topic, its next chats follow it, with the new version on the decision
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("team-b");
    policy.setVersion(2);
    policy.getRouting().put("interactiveChat", "primary");
    producer.send(new ProducerRecord<>(topics.routingPolicies().name(), "team-b",
        topics.routingPolicies().serializeValue(policy))).get();
    RoutedRequest afterPolicy = probeUntil("team-b", "interactiveChat", r -> r.getDecision().getPolicyVersion().equals("team-b@2"));
    assertThat(afterPolicy.getDecision().getProfile()).isEqualTo("primary");

    // When team-a is restricted, everything it sends goes to the fast profile
    publish(BudgetState.RESTRICT);
    RoutedRequest restricted = probeUntil("team-a", "specGeneration",
        r -> r.getDecision().getBudgetState() == BudgetState.RESTRICT);
    assertThat(restricted.getDecision().getProfile()).isEqualTo("fast");
    assertThat(restricted.getDecision().getReason()).contains("budget RESTRICT: primary → fast");

    // When team-a is paused, it gets PAUSED results at once and nothing is routed
    publish(BudgetState.PAUSE);
    InferenceResult paused = probePausedUntil("team-a");
    assertThat(paused.getErrorMessage()).contains("POST /teams/team-a/budget/reset");

    // Nothing was doubled: every request has exactly one outcome
    assertThat(duplicates).isEmpty();
    assertThat(routed.keySet()).doesNotContainAnyElementsOf(results.keySet());

    // The router counted what it did, for Prometheus
    String scrape = router.registry().scrape();
    assertThat(scrape).contains("router_requests_total{budget_state=\"RESTRICT\",code=\"\",model=\"claude-haiku-4-5\","
        + "outcome=\"routed\",profile=\"fast\",reason=\"restrict\"");
    assertThat(scrape).contains("outcome=\"paused\"").contains("outcome=\"rejected\"")
        .contains("outcome=\"dead_lettered\"");
    assertThat(scrape).contains("kafka_consumer_fetch_manager_records_lag_max");
    assertThat(router.health().healthy()).isTrue();
  }

  /** Sends probe requests until one is routed the way {@code done} expects (the change took effect). */
  private RoutedRequest probeUntil(String team, String taskType, java.util.function.Predicate<RoutedRequest> done) {
    int[] n = {0};
    RoutedRequest[] seen = new RoutedRequest[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      String id = "probe-" + team + "-" + taskType + "-" + n[0]++;
      send(request(taskType, "probe").setRequestId(id).setTeamId(team).build());
      await().atMost(Duration.ofSeconds(20)).until(() -> routed.containsKey(id) || results.containsKey(id));
      seen[0] = routed.get(id);
      return seen[0] != null && done.test(seen[0]);
    });
    return seen[0];
  }

  private InferenceResult probePausedUntil(String team) {
    int[] n = {0};
    InferenceResult[] seen = new InferenceResult[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      String id = "pause-" + n[0]++;
      send(request("specGeneration", "probe").setRequestId(id).setTeamId(team).build());
      await().atMost(Duration.ofSeconds(20)).until(() -> routed.containsKey(id) || results.containsKey(id));
      seen[0] = results.get(id);
      return seen[0] != null && seen[0].getStatus() == ResultStatus.PAUSED;
    });
    return seen[0];
  }

  private void publish(BudgetState state) throws Exception {
    BudgetAction action = BudgetAction.newBuilder().setTeamId("team-a").setState(state).setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22").setMetric("inputTokens").setUsage(1).setLimit(1).setFraction(1.0)
        .setDailyState(state).setMonthlyState(BudgetState.NORMAL).setReason("test " + state)
        .setSince(Instant.now()).setPolicyVersion(1).setManualReset(false).build();
    producer.send(new ProducerRecord<>(topics.budgetActions().name(), "team-a",
        topics.budgetActions().serializeValue(action))).get();
  }

  private void send(InferenceRequest request) throws Exception {
    producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
        topics.requests().serializeValue(request))).get();
  }

  private void readOutputs(KafkaStack stack, String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer());
        KafkaConsumer<byte[], byte[]> dlqConsumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "dlq-reader"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.routed().name(), topics.results().name()));
      dlqConsumer.subscribe(List.of(topics.dlq().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.routed().name())) {
            RoutedRequest r = topics.routed().deserializeValue(record.value());
            if (routed.put(r.getRequest().getRequestId(), r) != null) {
              duplicates.add(r.getRequest().getRequestId());
            }
          } else {
            InferenceResult r = topics.results().deserializeValue(record.value());
            if (results.put(r.getRequestId(), r) != null) {
              duplicates.add(r.getRequestId());
            }
          }
        }
        dlqConsumer.poll(Duration.ofMillis(10)).forEach(dead::add);
      }
    }
  }
}
