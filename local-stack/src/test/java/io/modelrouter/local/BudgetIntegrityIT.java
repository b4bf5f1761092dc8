package io.modelrouter.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.aggregator.internal.AggregatorStores;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.router.internal.RouterStores;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.AvroSerde;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;


/**
 * Budget integrity (docs/reliability.md, scenario 5): twenty teams burst at once, each asking for about twice its daily
 * output budget, through two router instances of one application (the replicas LiteLLM's users see multiply a
 * limit), the worker and the aggregator. No team may overshoot its limit by more than the bound admission control
 * gives, computed for each team from what the router's ledger held at its last admission; every team must get close
 * to its limit (admission is not just refusing); and /usage must count exactly the usage events (calls, input and
 * output tokens, cost, in all and by model).
 *
 * <p>The bound: admission control reserves each request's expected output (the team's learned mean plus the margin,
 * at most its maxTokens) and admits a request while settled usage plus the reservations in flight are below the pause
 * point. After the team's last admitted request nothing more is admitted, so the team writes what was settled then,
 * plus what its n requests in flight then write (each at most maxTokens), plus that request's output (at most
 * maxTokens): over the limit by at most maxTokens + n x maxTokens - (their reservations) = maxTokens + n x (maxTokens
 * - their mean reservation). The test reads n and the reservations from the changelog of the routers' ledger store,
 * so the bound follows the run (more requests in flight on a slower machine, a larger bound) instead of an assumed
 * rate and latency.
 */
@IntegrationTest
class BudgetIntegrityIT {
  private static final String ADMIN = "integrity-admin-token";
  private static final int TEAMS = 20;
  private static final int REQUESTS_PER_TEAM = 150;
  private static final long DAILY_OUTPUT = 25_000;
  /**
   * All teams together, requests/s: a burst over a few seconds. (Sent all at once, admission is conservative: every
   * request in flight holds a reservation of up to its maxTokens, so a team is paused at admission before it has
   * written its limit; later requests are admitted again as the reservations settle.)
   */
  private static final int RATE = 600;
  /** Caps each request's output, so that a request can exceed its reservation by little (and the bound is small). */
  private static final int MAX_TOKENS = 400;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final Map<String, UsageEvent> usage = new ConcurrentHashMap<>();
  private final AtomicInteger duplicates = new AtomicInteger();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final List<RouterService> routers = new ArrayList<>();
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private TestServices services;
  private AggregatorService aggregator;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    this.stack = stack;
    prefix = stack.uniqueName("integrity") + ".";
    topics = stack.createTopics(prefix, 4);
    services = new TestServices(stack, prefix, 4, state);
    services.budget(Map.of("budget.admin.token", ADMIN));
    aggregator = services.aggregator(Map.of("aggregator.totals.interval", "200"));
    routers.add(services.router("r1", Map.of()));
    routers.add(services.router("r2", Map.of()));
    services.worker(Map.of("worker.simulate", "all", "simulator.latency", "100", "simulator.output.tokens", "300"));
    reader = Thread.ofVirtual().start(() -> read(prefix));
    await().atMost(Duration.ofSeconds(90)).until(() -> routers.stream().allMatch(r -> r.state()
        == KafkaStreams.State.RUNNING && !r.streams().metadataForLocalThreads().iterator().next().activeTasks()
        .isEmpty()));
  }

  @AfterEach
  void stop() throws Exception {
    reading.set(false);
    reader.join(10_000);
    services.close();
  }

  @Test
  void concurrentBurstsAcrossTwoRoutersStayWithinEachTeamsLimitAndUsageAddsUp() throws Exception {
    // Given: twenty teams with the same daily output budget, pause at the limit
    for (int t = 0; t < TEAMS; t++) {
      HttpResponse<String> put = send("PUT", "/teams/" + team(t) + "/budget",
          "{\"daily\": {\"outputTokens\": " + DAILY_OUTPUT + ", \"alertThresholds\": [0.5], \"action\": \"pause\"}}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    }
    // ... which the routers and the aggregator have read from llm.budget.policies before the burst starts
    await().atMost(Duration.ofSeconds(30)).until(() -> IntStream.range(0, TEAMS).mapToObj(BudgetIntegrityIT::team)
        .allMatch(team -> routers.stream().anyMatch(r -> budgetOf(r.streams(), RouterStores.BUDGET_POLICIES,
            team) != null) && budgetOf(aggregator.streams(), AggregatorStores.POLICIES, team) != null));

    // When: every team bursts at the same time, interleaved, about twice its budget each
    int total = TEAMS * REQUESTS_PER_TEAM;
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      long start = System.nanoTime();
      for (int i = 0; i < total; i++) {
        long wait = start + i * 1_000_000_000L / RATE - System.nanoTime();
        if (wait > 1_000_000) {
          Thread.sleep(wait / 1_000_000);
        }
        String team = team(i % TEAMS);
        producer.send(new ProducerRecord<>(topics.requests().name(), team,
            topics.requests().serializeValue(request("burst-" + i, team))));
      }
      producer.flush();
    }
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> results.size() >= total);
    // Each OK result came with its one usage event, in the same transaction; the reader may see it a poll later
    await().atMost(Duration.ofSeconds(30)).until(() -> usage.size() >= results.values().stream()
        .filter(r -> r.getStatus() == ResultStatus.OK).count());

    // Then: each team spent close to its limit, and over it by no more than the bound its own run gives: what the
    // router's ledger held when it admitted the team's last request (read back from its changelog)
    Map<String, LastAdmission> lastAdmissions = lastAdmissions();
    List<String> lines = new ArrayList<>();
    double worst = 0;
    double worstBound = 0;
    for (int t = 0; t < TEAMS; t++) {
      String team = team(t);
      long written = usage.values().stream().filter(u -> u.getTeamId().equals(team))
          .mapToLong(UsageEvent::getOutputTokens).sum();
      long paused = results.values().stream().filter(r -> r.getTeamId().equals(team)
          && r.getStatus() == ResultStatus.PAUSED).count();
      LastAdmission last = lastAdmissions.get(team);
      assertThat(last).as(team + ": its last admission in the router's ledger").isNotNull();
      // It was admitted because settled usage plus the reservations in flight were below the pause point ...
      assertThat(last.settledOutput() + last.reservedOutput()).as(team + " settled + reserved at its last admission")
          .isLessThan(DAILY_OUTPUT);
      // ... so the team can write at most that request's output plus what those in flight write beyond their
      // reservations: maxTokens + n x (maxTokens - their mean reservation)
      long bound = MAX_TOKENS + last.inFlight() * (long) MAX_TOKENS - last.reservedOutput();
      long over = written - DAILY_OUTPUT;
      worst = Math.max(worst, Math.max(0, over) * 100.0 / DAILY_OUTPUT);
      worstBound = Math.max(worstBound, bound * 100.0 / DAILY_OUTPUT);
      lines.add(String.format(Locale.ROOT, "%s wrote %,d of %,d (%+.2f%%); bound %,d (%.2f%%): %d in flight reserving "
              + "%,d at its last admission; %d paused", team, written, DAILY_OUTPUT, over * 100.0 / DAILY_OUTPUT,
          bound, bound * 100.0 / DAILY_OUTPUT, last.inFlight(), last.reservedOutput(), paused));
      assertThat(over).as(team + " output tokens over its limit").isLessThanOrEqualTo(bound);
      assertThat(written).as(team + " output tokens").isGreaterThanOrEqualTo(DAILY_OUTPUT * 80 / 100);
      assertThat(paused).as(team + " requests paused at admission").isPositive();
    }
    assertThat(duplicates.get()).as("results or usage events seen twice").isZero();
    assertThat(results).hasSize(total);

    // And /usage counts exactly the usage events on the topic, team by team: calls, tokens and cost, in all and by
    // model
    for (int t = 0; t < TEAMS; t++) {
      String team = team(t);
      List<UsageEvent> events = usage.values().stream().filter(u -> u.getTeamId().equals(team)).toList();
      Map<String, List<UsageEvent>> byModel = events.stream().collect(Collectors.groupingBy(UsageEvent::getModel));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode report = MAPPER.readTree(send("GET", "/teams/" + team + "/usage", null).body());
        assertSums(team + " /usage daily", report.get("daily"), events);
        List<String> models = new ArrayList<>();
        report.get("byModel").fieldNames().forEachRemaining(models::add);
        assertThat(models).as(team + " /usage models").containsExactlyInAnyOrderElementsOf(byModel.keySet());
        byModel.forEach((model, ofModel) -> assertSums(team + " /usage " + model, report.get("byModel").get(model),
            ofModel));
      });
    }
    lines.forEach(line -> System.out.println("budget integrity: " + line));
    System.out.printf(Locale.ROOT, "budget integrity: %d teams x %d requests over 2 routers; worst overshoot %.2f%%, "
        + "largest bound %.2f%%; /usage = usage events (calls, input and output tokens, cost, by model)%n", TEAMS,
        REQUESTS_PER_TEAM, worst, worstBound);
  }

  /** Calls, input and output tokens and cost in a /usage node equal the sums over these usage events. */
  private static void assertSums(String what, JsonNode node, List<UsageEvent> events) {
    assertThat(node.get("calls").asLong()).as(what + " calls").isEqualTo(events.size());
    assertThat(node.get("inputTokens").asLong()).as(what + " input tokens")
        .isEqualTo(events.stream().mapToLong(UsageEvent::getInputTokens).sum());
    assertThat(node.get("outputTokens").asLong()).as(what + " output tokens")
        .isEqualTo(events.stream().mapToLong(UsageEvent::getOutputTokens).sum());
    assertThat(node.get("costMicros").asLong()).as(what + " cost (micro-dollars)")
        .isEqualTo(events.stream().mapToLong(UsageEvent::getCostMicros).sum());
  }

  /**
   * The router's ledger of a team just before it admitted the team's last request: settled output, the output
   * reserved by its requests in flight, and how many they were.
   */
  private record LastAdmission(long settledOutput, long reservedOutput, int inFlight) {}

  /**
   * Every team's {@link LastAdmission}, from the changelog of the routers' ledger store: it holds every state of each
   * team's ledger in the order the router wrote them (the store has no cache; a team's ledger is in one partition),
   * and an admission is a state with one reservation more than the one before.
   */
  private Map<String, LastAdmission> lastAdmissions() {
    String changelog = prefix + "router-" + RouterStores.LEDGERS + "-changelog";
    Map<String, List<SpendLedger>> history = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "ledger-reader"),
        new StringDeserializer(), new ByteArrayDeserializer());
        Serde<SpendLedger> serde = AvroSerde.forValues(SpendLedger.class, topics.config().client(),
            topics.config().serde())) {
      List<TopicPartition> partitions = consumer.partitionsFor(changelog).stream()
          .map(p -> new TopicPartition(changelog, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.value() != null) {
            history.computeIfAbsent(record.key(), k -> new ArrayList<>())
                .add(serde.deserializer().deserialize(changelog, record.value()));
          }
        }
        return partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p));
      });
    }
    Map<String, LastAdmission> last = new HashMap<>();
    history.forEach((team, states) -> {
      for (int i = states.size() - 1; i >= 0; i--) {
        SpendLedger before = i == 0 ? null : states.get(i - 1);
        int reservationsBefore = before == null ? 0 : before.getReservations();
        if (states.get(i).getReservations() > reservationsBefore) {
          last.put(team, before == null ? new LastAdmission(0, 0, 0)
              : new LastAdmission(before.getDailyOutput(), before.getReservedOutput(), before.getReservations()));
          break;
        }
      }
    });
    return last;
  }

  /** The budget a Kafka Streams app holds for the team in its local store (null: none, or another instance's). */
  private static BudgetPolicy budgetOf(KafkaStreams streams, String store, String team) {
    try {
      ReadOnlyKeyValueStore<String, BudgetPolicy> policies = streams.store(StoreQueryParameters.fromNameAndType(
          store, QueryableStoreTypes.<String, BudgetPolicy>keyValueStore()));
      return policies.get(team);
    } catch (InvalidStateStoreException e) {
      return null;   // not queryable yet (rebalancing)
    }
  }

  private static String team(int t) {
    return "burst-team-" + t;
  }

  private static InferenceRequest request(String id, String team) {
    return InferenceRequest.newBuilder().setRequestId(id).setTeamId(team).setPipelineId("integrity-it")
        .setSessionId("s-" + team).setTaskType("implementation").setTier("pro")
        .setMessages(List.of(new Message(Role.USER, "Implement the retry policy for the order handler.", List.of())))
        .setSystemPrompt(null).setMaxTokens(MAX_TOKENS).setTemperature(null).setModel("auto")
        .setPriority(Priority.BATCH).setDeadline(null).setMetadata(Map.of()).setCreatedAt(Instant.now()).build();
  }

  private void read(String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name(), topics.usage().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.results().name())) {
            InferenceResult result = topics.results().deserializeValue(record.value());
            if (results.putIfAbsent(result.getRequestId(), result) != null) {
              duplicates.incrementAndGet();
            }
          } else {
            UsageEvent event = topics.usage().deserializeValue(record.value());
            if (usage.putIfAbsent(event.getEventId(), event) != null) {
              duplicates.incrementAndGet();
            }
          }
        }
      }
    }
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return services.call(method, path, ADMIN, body);
  }
}
