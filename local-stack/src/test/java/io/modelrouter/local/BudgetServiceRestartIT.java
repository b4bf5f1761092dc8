package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * budget-service as its own process, killed with SIGKILL while admin changes stream in, then started again: every
 * change it acknowledged is on its topic once with its history record, no change is half written, no version is
 * handed out twice, and no reset is applied twice (issue 15: "budget-service killed and restarted under load").
 */
@IntegrationTest
class BudgetServiceRestartIT {
  private static final String MAIN = "io.modelrouter.budget.BudgetServiceMain";
  private static final String ADMIN = "admin-" + UUID.randomUUID();
  private static final int TEAMS = 4;
  /** Acknowledged changes before the kill, and again after the restart. */
  private static final int ACKNOWLEDGED_EACH_SIDE = 60;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One call by a team's writer: a budget PUT with a value unique to it, or a reset. */
  private record Attempt(String team, boolean reset, long value, int status, long version) {
    boolean acknowledged() {
      return reset ? status == 202 : status == 200;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final AtomicInteger acknowledged = new AtomicInteger();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private KafkaStack stack;
  private int port;

  @Test
  void killedUnderLoadLosesNoAcknowledgedChangeHalfWritesNoneAndRepeatsNoReset(KafkaStack stack,
      @TempDir Path dir) throws Exception {
    this.stack = stack;
    String prefix = stack.uniqueName("restart") + ".";
    Topics topics = stack.createTopics(prefix, 2);
    port = FreePorts.any();
    Map<String, String> environment = Map.of(
        "MR_KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers(),
        "MR_SCHEMA_REGISTRY_URL", stack.registryUrl(),
        "MR_TOPICS_PREFIX", prefix, "MR_TOPICS_PARTITIONS", "2",
        "MR_BUDGET_HTTP_HOST", "127.0.0.1", "MR_BUDGET_HTTP_PORT", Integer.toString(port),
        "MR_BUDGET_ADMIN_TOKEN", ADMIN);
    Path logback = ServiceProcess.verboseLogging(dir);

    // Given: budget-service, and one writer per team changing its budget and resetting it, as fast as it answers
    ServiceProcess first = ServiceProcess.start("budget-service", MAIN, environment, logback);
    first.awaitLine("budget-service listening on", Duration.ofSeconds(120));
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < TEAMS; t++) {
      String team = "team-" + t;
      writers.add(Thread.ofPlatform().name("writer-" + team).start(() -> write(team)));
    }

    // When: SIGKILL while changes are in flight, then a new process
    await().atMost(Duration.ofSeconds(120)).until(() -> acknowledged.get() >= ACKNOWLEDGED_EACH_SIDE);
    first.kill();
    int beforeKill = acknowledged.get();
    Instant killed = Instant.now();
    ServiceProcess second = ServiceProcess.start("budget-service-2", MAIN, environment, logback);
    second.awaitLine("budget-service listening on", Duration.ofSeconds(120));
    await().atMost(Duration.ofSeconds(120)).until(() -> acknowledged.get() >= beforeKill + ACKNOWLEDGED_EACH_SIDE);
    running.set(false);
    for (Thread writer : writers) {
      writer.join(30_000);
    }
    System.out.printf("budget-service restart: %d changes acknowledged before the SIGKILL, %d after the restart"
        + " (up again %d ms after the kill), %d attempts not acknowledged%n", beforeKill,
        acknowledged.get() - beforeKill, Duration.between(killed, Instant.now()).toMillis(),
        attempts.stream().filter(a -> !a.acknowledged()).count());

    // Then, per team, from what was committed
    List<Map.Entry<String, AdminChange>> changes = readAll(topics.adminChanges());
    List<Map.Entry<String, BudgetPolicy>> budgets = readAll(topics.budgetPolicies());
    List<Map.Entry<String, BudgetAction>> actions = readAll(topics.budgetActions());
    for (int t = 0; t < TEAMS; t++) {
      String team = "team-" + t;
      List<AdminChange> writes = values(changes, team).stream().filter(c -> c.getAction().equals("budget.write"))
          .toList();
      List<AdminChange> resets = values(changes, team).stream().filter(c -> c.getAction().equals("budget.reset"))
          .toList();
      List<BudgetPolicy> published = values(budgets, team);
      List<BudgetAction> manualResets = values(actions, team).stream().filter(BudgetAction::getManualReset).toList();
      List<Attempt> mine = attempts.stream().filter(a -> a.team().equals(team)).toList();

      // No version handed out twice, also across the restart; each change with its history record, and only so
      assertThat(writes).extracting(AdminChange::getVersion).as(team + " budget versions in history")
          .isSorted().doesNotHaveDuplicates();
      assertThat(published).extracting(BudgetPolicy::getVersion).as(team + " budget versions on the topic")
          .containsExactlyElementsOf(writes.stream().map(AdminChange::getVersion).toList());
      for (int i = 0; i < writes.size(); i++) {
        assertThat(limit(writes.get(i))).as(team + " v" + writes.get(i).getVersion())
            .isEqualTo(published.get(i).getDaily().getInputTokens());
      }
      // Every acknowledged change is there once, with the version its answer gave; one not acknowledged at most once
      for (Attempt attempt : mine.stream().filter(a -> !a.reset()).toList()) {
        List<AdminChange> applied = writes.stream().filter(c -> limit(c) == attempt.value()).toList();
        if (attempt.acknowledged()) {
          assertThat(applied).as("acknowledged " + attempt).hasSize(1);
          assertThat(applied.get(0).getVersion()).as("acknowledged " + attempt).isEqualTo(attempt.version());
        } else {
          assertThat(applied).as("not acknowledged " + attempt).hasSizeLessThanOrEqualTo(1);
        }
      }
      // Resets: one action per history record, none repeated by the restart
      long resetsAcknowledged = mine.stream().filter(a -> a.reset() && a.acknowledged()).count();
      long resetsTried = mine.stream().filter(Attempt::reset).count();
      assertThat(manualResets).as(team + " manual reset actions").hasSize(resets.size());
      assertThat((long) resets.size()).as(team + " resets applied").isBetween(resetsAcknowledged, resetsTried);
      // And the restarted process serves the last one
      JsonNode current = MAPPER.readTree(call("GET", "/teams/" + team + "/budget", null).body());
      assertThat(current.get("version").asLong()).isEqualTo(writes.getLast().getVersion());
      assertThat(current.get("daily").get("inputTokens").asLong()).isEqualTo(limit(writes.getLast()));
    }
    second.close();
  }

  private void write(String team) {
    long value = 1_000;
    while (running.get()) {
      value++;
      boolean reset = value % 4 == 0;
      int status;
      long version = -1;
      try {
        HttpResponse<String> response = reset ? call("POST", "/teams/" + team + "/budget/reset", null)
            : call("PUT", "/teams/" + team + "/budget", "{\"daily\": {\"inputTokens\": " + value + "}}");
        status = response.statusCode();
        if (status == 200) {
          version = MAPPER.readTree(response.body()).get("version").asLong();
        }
      } catch (Exception e) {
        status = -1; // refused or cut: the process is down
      }
      Attempt attempt = new Attempt(team, reset, value, status, version);
      attempts.add(attempt);
      if (attempt.acknowledged()) {
        acknowledged.incrementAndGet();
      } else {
        sleep(50);
      }
    }
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + ADMIN)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long limit(AdminChange change) {
    try {
      return MAPPER.readTree(change.getDocument()).get("daily").get("inputTokens").asLong();
    } catch (Exception e) {
      throw new AssertionError("unreadable document of " + change, e);
    }
  }

  private static <V> List<V> values(List<Map.Entry<String, V>> records, String key) {
    return records.stream().filter(e -> e.getKey().equals(key) && e.getValue() != null).map(Map.Entry::getValue)
        .toList();
  }

  private <V> List<Map.Entry<String, V>> readAll(Topic<String, V> topic) {
    return stack.readCommitted(topic);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
