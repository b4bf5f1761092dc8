package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.budget.BudgetService;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo on every real service (simulated provider, fast): seed 003's loop is routed by the shipped policy (the
 * lexical model; validation, deep audit and review never below their table profile), the
 * small-budget team goes NOTIFY → RESTRICT → PAUSE while the others stay within budget, and the console summary's
 * numbers are those on {@code llm.results}.
 */
@IntegrationTest
class DemoWorkloadIT {
  private static final String ADMIN = "demo-admin-token";
  private static final long SMALL_BUDGET = 15_000;
  private static final String TINY = "team-tiny";
  private static final String PRO = "team-borealis";
  private static final List<String> POWER = List.of("team-atlas", "team-cosmos");
  /** Seed 003's tiers as the default routing table names them. */
  private static final Map<String, String> SEED_003 = Map.ofEntries(
      Map.entry("research", "frontier"), Map.entry("planning", "frontier"), Map.entry("validation", "frontier"),
      Map.entry("deepAudit", "frontier"), Map.entry("buildPlan", "primary"), Map.entry("implementation", "primary"),
      Map.entry("review", "primary"), Map.entry("remediation", "primary"), Map.entry("e2eTesting", "primary"),
      Map.entry("chat", "fast"), Map.entry("hooks", "fast"), Map.entry("documentationUpdate", "fast"));
  /** The shipped policy's never-demoted task types among seed 003's steps. */
  private static final Set<String> NEVER_DEMOTED = Set.of("validation", "deepAudit", "review");

  private final List<InferenceResult> results = new CopyOnWriteArrayList<>();
  private final List<BudgetAction> actions = new CopyOnWriteArrayList<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private KafkaStack stack;
  private String prefix;
  private Topics topics;
  private TestServices services;
  private BudgetService budget;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    this.stack = stack;
    prefix = stack.uniqueName("demo") + ".";
    topics = stack.createTopics(prefix, 2);
    services = new TestServices(stack, prefix, 2, state);
    budget = services.budget(Map.of("budget.admin.token", ADMIN));
    AggregatorService aggregator = services.aggregator(Map.of("aggregator.totals.interval", "200"));
    RouterService router = services.router("router", Map.of());
    services.worker(Map.of("worker.simulate", "all", "simulator.latency", "20", "simulator.output.tokens", "300"));
    reader = Thread.ofVirtual().start(this::read);
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING
        && aggregator.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws Exception {
    reading.set(false);
    reader.join(10_000);
    services.close();
  }

  @Test
  void theDemoRoutesSeed003sLoopAndPausesOnlyTheSmallBudgetTeam() throws Exception {
    // Given: budgets left by an earlier run, the summary reading, then the demo at 30 requests/s with a small budget
    // of 15,000 output tokens
    assertThat(putBudget("team-atlas", 123_456_789).statusCode()).isEqualTo(200);
    assertThat(putBudget(TINY, 999_999).statusCode()).isEqualTo(200);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    ConsoleSummary summary = new ConsoleSummary(topics, stack.consumerConfig(prefix + "summary"),
        DefaultPolicies.catalogById(), new PrintStream(printed, true, StandardCharsets.UTF_8), Duration.ofSeconds(1))
        .start();
    services.closeLater(summary);
    DemoWorkload.Options options = DemoWorkload.Options.defaults().withRequestsPerSecond(30).withSeed(7)
        .withSmallBudgetOutputTokens(SMALL_BUDGET);
    DemoWorkload workload = new DemoWorkload(topics, stack.producerConfig(),
        URI.create("http://localhost:" + budget.port()), ADMIN, options);

    // When: it runs until the small team is paused and every team has been through the loop
    try (workload) {
      workload.start();
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
          states(TINY).contains(BudgetState.PAUSE)
              && results.stream().anyMatch(r -> r.getTeamId().equals(TINY) && r.getStatus() == ResultStatus.PAUSED)
              && POWER.stream().allMatch(team -> okTaskTypes(team).containsAll(SEED_003.keySet()))
              && okTaskTypes(PRO).containsAll(SEED_003.keySet()));
    }
    // Every request sent gets exactly one result, and the summary has read them all
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() == workload.sent());
    await().atMost(Duration.ofSeconds(30)).until(() -> summary.snapshot().results() == results.size());
    assertThat(workload.counts().failed()).isZero();
    assertThat(results).extracting(InferenceResult::getRequestId).doesNotHaveDuplicates();

    // Then: an earlier budget is kept, except the small team's, which is sized for this run
    assertThat(getBudget("team-atlas")).contains("\"outputTokens\":123456789");
    assertThat(getBudget(TINY)).contains("\"outputTokens\":" + SMALL_BUDGET);
    assertThat(getBudget("team-cosmos")).contains("\"outputTokens\":" + DemoWorkload.GENEROUS_DAILY_OUTPUT);

    // The power teams' calls were judged by the shipped policy's lexical model, and the never-demoted steps stayed at
    // least where seed 003 puts them
    List<String> cheapestFirst = List.of("fast", "primary", "frontier");
    for (String team : POWER) {
      assertThat(ok(team)).as(team).isNotEmpty().allSatisfy(r -> {
        assertThat(r.getRoutingReason()).as("%s %s", team, r.getTaskType()).startsWith("learned lexical-");
        if (NEVER_DEMOTED.contains(r.getTaskType())) {
          assertThat(cheapestFirst.indexOf(r.getProfile())).as("%s %s: %s", team, r.getTaskType(),
              r.getRoutingReason()).isGreaterThanOrEqualTo(cheapestFirst.indexOf(SEED_003.get(r.getTaskType())));
        }
      });
    }
    // The pro tier may not use frontier: its validation and deep audit steps (never demoted below frontier) went to
    // primary, and the reason says so; nothing of it reached frontier
    assertThat(ok(PRO)).filteredOn(r -> NEVER_DEMOTED.contains(r.getTaskType())
        && SEED_003.get(r.getTaskType()).equals("frontier")).isNotEmpty()
        .allSatisfy(r -> {
          assertThat(r.getProfile()).isEqualTo("primary");
          assertThat(r.getRoutingReason()).contains("tier pro");
        });
    assertThat(ok(PRO)).extracting(InferenceResult::getProfile).doesNotContain("frontier");

    // The small team went NOTIFY → RESTRICT (everything to fast) → PAUSE (answered at once)
    assertThat(states(TINY)).containsSubsequence(BudgetState.NOTIFY, BudgetState.RESTRICT, BudgetState.PAUSE);
    assertThat(ok(TINY)).anySatisfy(r -> {
      assertThat(r.getProfile()).isEqualTo("fast");
      assertThat(r.getRoutingReason()).contains("budget RESTRICT");
    });
    assertThat(results).filteredOn(r -> r.getTeamId().equals(TINY) && r.getStatus() == ResultStatus.PAUSED)
        .isNotEmpty();
    // The others never left NORMAL or NOTIFY
    for (String team : List.of("team-atlas", PRO, "team-cosmos")) {
      assertThat(states(team)).as(team).isSubsetOf(BudgetState.NORMAL, BudgetState.NOTIFY);
      assertThat(results).filteredOn(r -> r.getTeamId().equals(team))
          .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ResultStatus.OK));
    }

    // And the summary's numbers are those on llm.results
    ConsoleSummary.Snapshot s = summary.snapshot();
    for (ResultStatus status : ResultStatus.values()) {
      assertThat(s.count(status)).as(status.name())
          .isEqualTo(results.stream().filter(r -> r.getStatus() == status).count());
    }
    assertThat(s.costMicros()).isEqualTo(results.stream().mapToLong(InferenceResult::getCostMicros).sum());
    assertThat(s.routes().stream().mapToLong(ConsoleSummary.Route::requests).sum())
        .isEqualTo(results.stream().filter(r -> r.getModel() != null).count());
    for (DemoWorkload.Team team : workload.teams()) {
      assertThat(s.team(team.id()).requests()).as(team.id())
          .isEqualTo(results.stream().filter(r -> r.getTeamId().equals(team.id())).count())
          .isEqualTo(workload.counts().byTeam().get(team.id()));
    }
    assertThat(s.team(TINY).state()).isEqualTo(BudgetState.PAUSE);
    assertThat(s.savedPercent()).isPresent();
    assertThat(s.savedPercent().getAsDouble()).isPositive();
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("routing saved", TINY, "PAUSE");
    System.out.print(summary.render());
  }

  private HttpResponse<String> putBudget(String team, long dailyOutputTokens) throws Exception {
    return services.call("PUT", "/teams/" + team + "/budget", ADMIN,
        "{\"daily\": {\"outputTokens\": " + dailyOutputTokens + "}}");
  }

  private String getBudget(String team) throws Exception {
    HttpResponse<String> response = services.call("GET", "/teams/" + team + "/budget", ADMIN, null);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body().replace(" ", "");
  }

  private List<InferenceResult> ok(String team) {
    return results.stream().filter(r -> r.getTeamId().equals(team) && r.getStatus() == ResultStatus.OK).toList();
  }

  private Set<String> okTaskTypes(String team) {
    return ok(team).stream().map(InferenceResult::getTaskType).collect(Collectors.toSet());
  }

  private List<BudgetState> states(String team) {
    List<BudgetState> states = new ArrayList<>();
    for (BudgetAction action : actions) {
      if (action.getTeamId().equals(team) && (states.isEmpty() || states.getLast() != action.getState())) {
        states.add(action.getState());
      }
    }
    return states;
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name(), topics.budgetActions().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.value() == null) {
            continue;
          }
          if (record.topic().equals(topics.results().name())) {
            results.add(topics.results().deserializeValue(record.value()));
          } else {
            actions.add(topics.budgetActions().deserializeValue(record.value()));
          }
        }
      }
    }
  }
}
