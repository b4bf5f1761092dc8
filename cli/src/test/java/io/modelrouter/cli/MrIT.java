package io.modelrouter.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.budget.BudgetService;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each mr command against the real budget-service on the embedded broker and registry. */
@IntegrationTest
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
class MrIT {
  private static final String ADMIN = "admin-token-for-mr-it";
  private static final String POLICY = """
      {"profiles": {"fast": {"provider": "anthropic", "model": "claude-haiku-4-5", "maxTokens": 1024},
                    "primary": {"provider": "anthropic", "model": "claude-sonnet-4-5", "maxTokens": 4096}},
       "routing": {"interactiveChat": "fast", "codeReview": "primary"},
       "defaultProfile": "primary", "restrictProfile": "fast",
       "auto": {"strategy": "rules"}}
      """;

  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private BudgetService budget;
  private Path tokenFile;

  /** What a command printed and its exit status. */
  record Run(int exit, String out, String err) {}

  @org.junit.jupiter.api.BeforeAll
  void start(KafkaStack stack) throws Exception {
    Path dir = Files.createTempDirectory("mr-it");
    this.stack = stack;
    prefix = stack.uniqueName("mr") + ".";
    topics = stack.createTopics(prefix, 2);
    budget = new BudgetService(Settings.of(Map.of("kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(), "topics.prefix", prefix, "topics.partitions", "2",
        "budget.http.port", "0", "budget.admin.token", ADMIN))).start();
    tokenFile = Files.writeString(dir.resolve("token"), ADMIN + "\n");
    await().atMost(Duration.ofSeconds(60)).until(() -> mr("usage", "payments").exit() == 0);
  }

  @org.junit.jupiter.api.AfterAll
  void stop() {
    budget.close();
  }

  private Run mr(String... args) {
    return mrWith(Map.of(), true, args);
  }

  private Run mrWith(Map<String, String> environment, boolean withTokenFile, String... args) {
    Mr mr = new Mr();
    mr.environment = environment;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var line = Mr.commandLine(mr);
    line.setOut(new PrintWriter(out));
    line.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of("--url", "http://localhost:" + budget.port(),
        "--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.registryUrl(),
        "--topic-prefix", prefix));
    if (withTokenFile) {
      all.addAll(List.of("--token-file", tokenFile.toString()));
    }
    all.addAll(List.of(args));
    int exit = line.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void usagePrintsKirosReportAsTextOrJson() {
    Run text = mr("usage", "payments");
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains("Daily usage:").contains("Monthly usage:").contains("Budget state: NORMAL");

    Run json = mr("usage", "payments", "--json");
    assertThat(json.exit()).isZero();
    assertThat(json.out()).contains("\"daily\"").contains("\"monthly\"");
  }

  @Test
  void theTokenComesFromTheEnvironmentOrAFileNeverFromAnOption() {
    Run none = mrWith(Map.of(), false, "usage", "payments");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("no API token: set MR_TOKEN or pass --token-file FILE");

    Run fromEnvironment = mrWith(Map.of("MR_TOKEN", ADMIN), false, "usage", "payments");
    assertThat(fromEnvironment.exit()).isZero();

    Run wrong = mrWith(Map.of("MR_TOKEN", "not-the-token"), false, "usage", "payments");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err()).contains("401").doesNotContain("not-the-token");

    Run option = mr("--token", ADMIN, "usage", "payments");
    assertThat(option.exit()).isEqualTo(2);
  }

  @Test
  void aBadPolicyFileIsRefusedWithItsJsonPathsAndNothingIsPublished(@TempDir Path dir) throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.json"), """
        {"profiles": {"fast": {"provider": "anthropic", "model": "no-such-model", "maxTokens": 0}},
         "routing": {"interactiveChat": "missing"}, "auto": {"strategy": "rules"}}
        """);

    Run validate = mr("policy", "validate", bad.toString(), "--team", "billing");
    Run apply = mr("policy", "apply", bad.toString(), "--team", "billing");

    assertThat(validate.exit()).isEqualTo(1);
    assertThat(validate.err()).contains("is not a valid routing policy (nothing was published)")
        .contains("$.profiles.fast.maxTokens");
    assertThat(apply.exit()).isEqualTo(1);
    assertThat(mr("policy", "get", "--team", "billing").err())
        .contains("team billing has no routing policy of its own");
  }

  @Test
  void aGoodPolicyIsValidatedAppliedAndRead(@TempDir Path dir) throws Exception {
    Path good = Files.writeString(dir.resolve("good.json"), POLICY);

    assertThat(mr("policy", "validate", good.toString(), "--offline").out()).contains("is valid: 2 profiles");
    Run apply = mr("policy", "apply", good.toString(), "--team", "payments");
    assertThat(apply.exit()).as(apply.err()).isZero();
    assertThat(apply.out()).contains("applied: team payments's routing policy version");

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
        mr("policy", "get", "--team", "payments").out()).contains("claude-haiku-4-5").contains("\"codeReview\""));
  }

  @Test
  void budgetsAreSetReadAndResetAndAnUnknownTeamIsNamed(@TempDir Path dir) throws Exception {
    Path limits = Files.writeString(dir.resolve("budget.json"),
        "{\"daily\": {\"outputTokens\": 50000, \"alertThresholds\": [0.8], \"action\": \"pause\"}}");
    Path invalid = Files.writeString(dir.resolve("invalid.json"), "{\"daily\": {\"outputTokens\": -5}}");

    Run set = mr("budget", "set", "payments", limits.toString());
    assertThat(set.exit()).as(set.err()).isZero();
    assertThat(set.out()).contains("budget of payments set: version");
    Run refused = mr("budget", "set", "payments", invalid.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("$.daily.outputTokens");
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(mr("budget", "get", "payments").out()).contains("50000"));
    assertThat(mr("budget", "reset", "payments").exit()).isZero();

    Run unknown = mr("budget", "get", "no-such-team");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("404").contains("no-such-team");
    Run badId = mr("usage", "bad team!");
    assertThat(badId.exit()).isEqualTo(1);
    assertThat(badId.err()).contains("invalid team id");
  }

  @Test
  void explainShowsEveryStepOfTheDecisionAndSendsNothing() {
    long before = recordsIn(topics.requests().name());
    Run explain = mr("explain", "--team", "ledger", "--task-type", "codeReview",
        "Review the OAuth callback for token leakage and race conditions.");

    assertThat(explain.exit()).as(explain.err()).isZero();
    assertThat(explain.out()).contains("policy: the default").contains("decision: ")
        .contains("steps:").contains("fallbacks:").contains("(nothing was sent)");
    assertThat(recordsIn(topics.requests().name())).isEqualTo(before);
  }

  @Test
  void tailDecodesResultsFilteredByTeamAndStatus() throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (String[] r : new String[][] {{"a-1", "alpha", "OK"}, {"b-1", "beta", "OK"}, {"a-2", "alpha", "FAILED"},
          {"a-3", "alpha", "OK"}}) {
        InferenceResult result = Results.of(SampleRecords.request(r[0], r[1])).setStatus(ResultStatus.valueOf(r[2]))
            .setProvider("anthropic").setModel("claude-haiku-4-5").setCompletedAt(Instant.now())
            .setErrorCode(r[2].equals("OK") ? null : "NO_MODEL").setErrorMessage(r[2].equals("OK") ? null : "down")
            // a-3: answered from the response cache (a-1's answer) after waiting 2.5 s for the team's rate limit
            .setCachedFrom(r[0].equals("a-3") ? "a-1" : null)
            .setResponseCacheSavedMicros(r[0].equals("a-3") ? 12_500 : 0)
            .setRateLimitWaitMs(r[0].equals("a-3") ? 2_500 : 0)
            .build();
        producer.send(new ProducerRecord<>(topics.results().name(), r[1].getBytes(StandardCharsets.UTF_8),
            topics.results().serializeValue(result))).get();
      }
    }

    Run tail = mr("tail", "results", "--from-beginning", "--team", "alpha", "--idle", "3s");
    Run failed = mr("tail", "results", "--from-beginning", "--status", "FAILED", "--idle", "3s");

    assertThat(tail.exit()).isZero();
    assertThat(tail.out().lines()).hasSize(3).allMatch(l -> l.contains(" alpha "));
    assertThat(tail.out()).contains("a-1 OK anthropic/claude-haiku-4-5").contains("a-2 FAILED NO_MODEL: down");
    assertThat(tail.out().lines().filter(l -> l.contains(" a-3 ")).findFirst().orElseThrow())
        .endsWith(" cached-from=a-1 saved=$0.0125 rate-limit-wait=2.5s");
    assertThat(failed.out().lines()).singleElement().asString().contains("a-2");
  }

  @Test
  void replayDlqRepublishesWhatNowDecodesOnceAndKeepsTheRest() throws Exception {
    byte[] good = topics.requests().serializeValue(SampleRecords.request("replayed-1", "alpha"));
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      producer.send(new ProducerRecord<>(topics.dlq().name(), null, "alpha".getBytes(StandardCharsets.UTF_8), good,
          dlqHeaders(topics.requests().name()))).get();
      producer.send(new ProducerRecord<>(topics.dlq().name(), null, "alpha".getBytes(StandardCharsets.UTF_8),
          "not avro".getBytes(StandardCharsets.UTF_8), dlqHeaders(topics.requests().name()))).get();
    }

    long before = recordsIn(topics.requests().name());
    Run dry = mr("replay-dlq", "--dry-run");
    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("would replay to " + topics.requests().name()).contains("would replay 1, kept 1");
    assertThat(recordsIn(topics.requests().name())).isEqualTo(before);

    Run replay = mr("replay-dlq");
    assertThat(replay.out()).contains("replayed 1, kept 1");
    assertThat(replay.err()).contains("2 dead letter(s) to look at");
    assertThat(recordsIn(topics.requests().name())).isEqualTo(before + 1);

    Run again = mr("replay-dlq");
    assertThat(again.out()).contains("replayed 0, kept 0");
    assertThat(recordsIn(topics.requests().name())).isEqualTo(before + 1);
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()), new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  private static RecordHeaders dlqHeaders(String source) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(DeadLetters.SOURCE_TOPIC, source.getBytes(StandardCharsets.UTF_8));
    headers.add(DeadLetters.SOURCE_PARTITION, "0".getBytes(StandardCharsets.UTF_8));
    headers.add(DeadLetters.SOURCE_OFFSET, "7".getBytes(StandardCharsets.UTF_8));
    headers.add(DeadLetters.ERROR_CLASS, "SchemaSerdeException".getBytes(StandardCharsets.UTF_8));
    headers.add(DeadLetters.SERVICE, "router".getBytes(StandardCharsets.UTF_8));
    return headers;
  }

  private long recordsIn(String topic) {
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
        "bootstrap.servers", stack.bootstrapServers()),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
