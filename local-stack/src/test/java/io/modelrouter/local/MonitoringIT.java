package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.budget.BudgetService;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.worker.WorkerService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ready-made monitoring (docker/monitoring: Prometheus alert rules, the Grafana dashboard) names only metrics the
 * services export: the services run a few requests on the embedded broker, and every metric in every rule and panel
 * must be in one of their scrapes.
 */
@IntegrationTest
class MonitoringIT {
  /** PromQL words that are not metrics. */
  private static final Set<String> PROMQL = Set.of("sum", "max", "min", "avg", "count", "rate", "increase", "irate",
      "histogram_quantile", "by", "without", "on", "ignoring", "and", "or", "unless", "bool", "topk", "bottomk",
      "abs", "delta", "deriv", "clamp_min", "clamp_max", "offset", "le");
  private static final Pattern WORD = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_:]*");

  @Test
  void everyMetricTheRulesAndTheDashboardNameIsExported(KafkaStack stack, @TempDir Path state) throws Exception {
    // Given every service running, a budget in NOTIFY and a few requests answered
    String prefix = stack.uniqueName("monitoring") + ".";
    Topics topics = stack.createTopics(prefix, 2);
    List<String> scrapes = new ArrayList<>();
    try (TestServices services = new TestServices(stack, prefix, 2, state)) {
      BudgetService budget = services.budget(Map.of("budget.admin.token", "monitoring-admin"));
      AggregatorService aggregator = services.aggregator(Map.of());
      RouterService router = services.router("r1", Map.of());
      WorkerService worker = services.worker(Map.of("worker.simulate", "all", "simulator.latency", "10"));
      await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
      assertThat(services.call("PUT", "/teams/team-m/budget", "monitoring-admin",
          "{\"daily\": {\"outputTokens\": 100, \"alertThresholds\": [0.5], \"action\": \"notify\"}}").statusCode())
          .isEqualTo(200);
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
        for (int i = 0; i < 10; i++) {
          var request = SampleRecords.request("mon-" + i, "team-m");
          request.setDeadline(null);
          producer.send(new ProducerRecord<>(topics.requests().name(), "team-m",
              topics.requests().serializeValue(request))).get();
        }
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> stack.readCommitted(topics.results()).size() >= 10);
      await().atMost(Duration.ofSeconds(60)).until(() -> aggregator.registry().scrape().contains("budget_team_state"));
      scrapes.add(router.registry().scrape());
      scrapes.add(worker.registry().scrape());
      scrapes.add(aggregator.registry().scrape());
      scrapes.add(budget.registry().scrape());
    }
    Set<String> exported = new TreeSet<>();
    for (String scrape : scrapes) {
      scrape.lines().filter(l -> !l.startsWith("#") && !l.isBlank())
          .forEach(l -> exported.add(l.split("[{ ]", 2)[0]));
    }

    // Then every metric the rules and the dashboard name is one of them
    Path monitoring = ProjectFiles.root().resolve("docker/monitoring");
    List<String> expressions = new ArrayList<>();
    Matcher expr = Pattern.compile("(?m)^\\s*expr:\\s*(.+)$").matcher(Files.readString(monitoring.resolve(
        "alert-rules.yml")));
    while (expr.find()) {
      expressions.add(expr.group(1));
    }
    JsonNode dashboard = new ObjectMapper().readTree(monitoring.resolve("grafana/dashboards/model-router.json")
        .toFile());
    dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));
    assertThat(expressions).hasSizeGreaterThanOrEqualTo(10);
    Set<String> named = new TreeSet<>();
    for (String e : expressions) {
      named.addAll(metrics(e));
    }
    assertThat(named).contains("budget_team_state", "router_requests_total",
        "resilience4j_circuitbreaker_state", "kafka_consumer_fetch_manager_records_lag_max",
        "worker_result_latency_seconds_bucket");
    assertThat(exported).as("metrics the services export").containsAll(named);
  }

  /** The metric names of a PromQL expression: its words, less strings, label matchers, ranges and functions. */
  static Set<String> metrics(String expression) {
    String bare = expression.replaceAll("\"[^\"]*\"", "").replaceAll("\\{[^}]*\\}", "")
        .replaceAll("\\[[^\\]]*\\]", "").replaceAll("(by|without)\\s*\\([^)]*\\)", "");
    Set<String> out = new TreeSet<>();
    Matcher m = WORD.matcher(bare);
    while (m.find()) {
      String word = m.group();
      if (!PROMQL.contains(word) && word.contains("_")) {
        out.add(word);
      }
    }
    return out;
  }

  @Test
  void thePromqlWordsAreToldFromTheMetrics() {
    assertThat(metrics("histogram_quantile(0.99, sum by (le, model) (rate(worker_provider_call_seconds_bucket[5m])))"))
        .containsExactly("worker_provider_call_seconds_bucket");
    assertThat(metrics("max by (job, client_id) (kafka_consumer_fetch_manager_records_lag_max) > 10000"))
        .containsExactly("kafka_consumer_fetch_manager_records_lag_max");
  }
}
