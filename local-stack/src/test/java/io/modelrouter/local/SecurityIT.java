package io.modelrouter.local;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Security checks (docs/reliability.md, scenario 6), on every service: provider keys reach the providers (WireMock sees
 * them) and nothing else: no record of any topic, internal ones included, no log line at INFO (DEBUG for our own
 * code), no result, successful or failed; budget-service's tokens neither. The same services also run as their own
 * processes ({@code *Main}, configured by MR_* variables holding every secret), and nothing they print, from the
 * settings they log at start-up to their shutdown, holds a secret. budget-service refuses requests without a valid
 * token, and a team's token cannot read or change another team's budget, policy, usage or alerts.
 */
@IntegrationTest
class SecurityIT {
  private static final String RUN = UUID.randomUUID().toString().replace("-", "");
  private static final String ANTHROPIC_KEY = "sk-ant-api03-" + RUN + "-SECRET";
  private static final String OPENAI_KEY = "sk-proj-" + RUN + "-SECRET";
  private static final String ADMIN = "admin-" + RUN + "-SECRET";
  private static final String ALPHA = "alpha-" + RUN + "-SECRET";
  private static final String BETA = "beta-" + RUN + "-SECRET";
  /** Given only to the services run as their own processes (the shared registry accepts any credentials). */
  private static final String REGISTRY_TOKEN = "registry-" + RUN + "-SECRET";
  private static final List<String> SECRETS = List.of(ANTHROPIC_KEY, OPENAI_KEY, ADMIN, ALPHA, BETA, REGISTRY_TOKEN);
  /** Each service's *Main, and the line it logs once it is up. */
  private static final Map<String, String> MAINS = Map.of(
      "io.modelrouter.budget.BudgetServiceMain", "budget-service listening on",
      "io.modelrouter.aggregator.AggregatorMain", "usage aggregator started",
      "io.modelrouter.router.RouterMain", "router started",
      "io.modelrouter.router.learning.LearnerMain", "learner started",
      "io.modelrouter.worker.WorkerMain", " started: ");
  private static final String SONNET = """
      {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
       "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn", "stop_sequence": null,
       "usage": {"input_tokens": 50, "output_tokens": 10, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0}}
      """;
  /** A routing policy alpha may put for itself (and beta may not). */
  private static final String POLICY = "{\"profiles\": {\"fast\": {\"model\": \"gpt-4.1-mini\"}, \"primary\": "
      + "{\"model\": \"claude-sonnet-4-5\"}}, \"routing\": {\"codeReview\": \"primary\"}}";
  private static final String GPT = """
      {"id": "chatcmpl-1", "object": "chat.completion", "created": 1741569952, "model": "gpt-4.1-mini",
       "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done.", "refusal": null},
                    "logprobs": null, "finish_reason": "stop"}],
       "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}}
      """;

  private final WireMockServer wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final List<String> logLines = new CopyOnWriteArrayList<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final List<ServiceProcess> processes = new ArrayList<>();
  private Path state;
  private CapturingAppender appender;
  private Level rootLevel;
  private Level ownLevel;
  private KafkaStack stack;
  private Topics topics;
  private TestServices services;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    this.stack = stack;
    this.state = state;
    captureLogs();
    wiremock.start();
    // The primary answers, except for prompts that ask for an auth failure or a server error (error paths log more)
    wiremock.stubFor(post(urlEqualTo("/v1/messages")).willReturn(json(200, SONNET)));
    wiremock.stubFor(post(urlEqualTo("/v1/messages")).withRequestBody(containing("fail-auth"))
        .willReturn(json(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
            + "\"message\":\"invalid x-api-key\"},\"request_id\":\"req_01\"}")));
    wiremock.stubFor(post(urlEqualTo("/v1/messages")).withRequestBody(containing("fail-server"))
        .willReturn(json(500, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal\"}}")));
    wiremock.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(json(200, GPT)));

    String prefix = stack.uniqueName("security") + ".";
    topics = stack.createTopics(prefix, 2);
    services = new TestServices(stack, prefix, 2, state);
    Map<String, String> budgetOwn = Map.of("budget.admin.token", ADMIN, "budget.team.tokens",
        "alpha=" + ALPHA + ",beta=" + BETA);
    services.budget(budgetOwn);
    AggregatorService aggregator = services.aggregator(Map.of());
    RouterService router = services.router("router", Map.of());
    Map<String, String> workerOwn = Map.of("worker.simulate", "none", "worker.providers", "anthropic,openai",
        "providers.anthropic.base.url", "http://127.0.0.1:" + wiremock.port(),
        "providers.anthropic.api.key", ANTHROPIC_KEY,
        "providers.openai.base.url", "http://127.0.0.1:" + wiremock.port() + "/v1",
        "providers.openai.api.key", OPENAI_KEY,
        "providers.anthropic.retry.initial.backoff", "10");
    services.worker(workerOwn);
    reader = Thread.ofVirtual().start(() -> read(prefix));
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING
        && aggregator.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws Exception {
    for (ServiceProcess process : processes) {
      process.close();
    }
    reading.set(false);
    reader.join(10_000);
    services.close();
    wiremock.stop();
    releaseLogs();
  }

  @Test
  void keysAndTokensReachNoTopicLogOrResultAndTokensGuardEachTeam() throws Exception {
    // Given every service also started as its own process, every secret in its environment as a deployment would
    // pass them, so that what their main classes log (their settings first) is what is scanned
    startServiceProcesses();

    // And traffic that succeeds, fails authentication at the primary, and meets a server error there
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < 30; i++) {
        String team = i % 2 == 0 ? "alpha" : "beta";
        String prompt = switch (i % 3) {
          case 0 -> "Summarise the change log.";
          case 1 -> "fail-auth: summarise the change log.";
          default -> "fail-server: summarise the change log.";
        };
        String id = "sec-" + i;
        producer.send(new ProducerRecord<>(topics.requests().name(), team,
            topics.requests().serializeValue(request(id, team, prompt))));
        ids.add(id);
      }
      producer.flush();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> results.keySet().containsAll(ids));
    assertThat(results.values()).extracting(InferenceResult::getStatus).contains(ResultStatus.OK);
    assertThat(results.values()).anySatisfy(r -> assertThat(r.getAttempts()).anySatisfy(a ->
        assertThat(a.getHttpStatus()).isEqualTo(401)));

    // The keys were used: the providers received them
    List<LoggedRequest> calls = wiremock.getAllServeEvents().stream().map(e -> e.getRequest()).toList();
    assertThat(calls).anySatisfy(c -> assertThat(c.getHeaders().all().toString()).contains(ANTHROPIC_KEY));
    assertThat(calls).anySatisfy(c -> assertThat(c.getHeaders().all().toString()).contains(OPENAI_KEY));

    // budget-service: no token, a wrong token, another team's token; reads and writes
    String budgetBody = "{\"daily\": {\"outputTokens\": 1000}}";
    String betasBudget = "{\"daily\": {\"outputTokens\": 999999}}";
    for (String[] guarded : List.of(new String[] {"GET", "/teams/alpha/budget", null},
        new String[] {"PUT", "/teams/alpha/budget", budgetBody}, new String[] {"DELETE", "/teams/alpha/budget", null},
        new String[] {"POST", "/teams/alpha/budget/reset", null},
        new String[] {"PUT", "/teams/alpha/policy", POLICY})) {
      assertThat(call(guarded[0], guarded[1], null, guarded[2])).as("no token: %s %s", guarded[0], guarded[1])
          .isEqualTo(401);
      assertThat(call(guarded[0], guarded[1], "not-" + ALPHA, guarded[2]))
          .as("a wrong token: %s %s", guarded[0], guarded[1]).isEqualTo(401);
    }
    assertThat(call("GET", "/teams/alpha/usage", ALPHA, null)).isEqualTo(200);
    assertThat(call("PUT", "/teams/alpha/budget", ALPHA, budgetBody)).as("no self-service yet").isEqualTo(403);
    assertThat(call("PUT", "/teams/alpha/budget", ADMIN, "{\"selfService\": true, \"daily\": {\"outputTokens\": 1}}"))
        .isEqualTo(200);
    assertThat(call("PUT", "/teams/alpha/budget", ALPHA, budgetBody)).as("self-service granted").isEqualTo(200);
    for (String[] forbidden : List.of(
        new String[] {"GET", "/teams/alpha/budget", null}, new String[] {"PUT", "/teams/alpha/budget", betasBudget},
        new String[] {"DELETE", "/teams/alpha/budget", null}, new String[] {"POST", "/teams/alpha/budget/reset", null},
        new String[] {"GET", "/teams/alpha/policy", null}, new String[] {"PUT", "/teams/alpha/policy", POLICY},
        new String[] {"DELETE", "/teams/alpha/policy", null},
        new String[] {"GET", "/teams/alpha/usage", null}, new String[] {"GET", "/teams/alpha/alerts", null},
        new String[] {"GET", "/teams/alpha/state", null}, new String[] {"PUT", "/policies/default", "{}"},
        new String[] {"DELETE", "/models/claude-sonnet-4-5", null})) {
      assertThat(call(forbidden[0], forbidden[1], BETA, forbidden[2])).as("beta's token: %s %s", forbidden[0],
          forbidden[1]).isEqualTo(403);
    }
    // ... and what beta tried changed nothing: alpha's budget is alpha's, alpha has no policy of its own until the
    // admin puts the one beta could not
    assertThat(new ObjectMapper().readTree(send("GET", "/teams/alpha/budget", ALPHA, null).body())
        .path("daily").path("outputTokens").asLong()).as("alpha's daily output limit").isEqualTo(1000);
    assertThat(call("GET", "/teams/alpha/policy", ALPHA, null)).isEqualTo(404);
    assertThat(call("PUT", "/teams/alpha/policy", ALPHA, POLICY)).as("the admin's alone").isEqualTo(403);
    assertThat(call("PUT", "/teams/alpha/policy", ADMIN, POLICY)).isEqualTo(200);
    HttpResponse<String> alphasTeams = send("GET", "/teams", ALPHA, null);
    HttpResponse<String> betasTeams = send("GET", "/teams", BETA, null);
    assertThat(alphasTeams.statusCode()).isEqualTo(200);
    assertThat(alphasTeams.body()).contains("\"alpha\"");
    assertThat(betasTeams.statusCode()).isEqualTo(200);
    assertThat(betasTeams.body()).doesNotContain("alpha");

    // Then: no secret in any record of any topic (internal ones, aborted transactions included) ...
    Map<String, Integer> scanned = new HashMap<>();
    List<String> leaks = new ArrayList<>(scanTopics(scanned));
    // ... in any log line or stack trace of the services in this JVM, or in any result ...
    for (String line : logLines) {
      SECRETS.stream().filter(line::contains).forEach(s -> leaks.add("log: " + line));
    }
    for (InferenceResult result : results.values()) {
      SECRETS.stream().filter(result.toString()::contains).forEach(s -> leaks.add("result " + result.getRequestId()));
    }
    // ... nor in anything the services' own processes wrote, from their settings at start-up to their shutdown
    int processLines = 0;
    for (ServiceProcess process : processes) {
      process.close();
      for (String line : process.lines()) {
        processLines++;
        SECRETS.stream().filter(line::contains).forEach(s -> leaks.add(process.name() + ": " + line));
      }
    }
    assertThat(leaks).isEmpty();
    // The processes logged their settings, the secret ones masked, and the worker found its keys (real providers)
    assertThat(processes).allSatisfy(p -> assertThat(p.logged("config schema.registry.bearer.token = ***"))
        .as(p.name() + " logged its masked registry token").isTrue());
    ServiceProcess budget = process("BudgetServiceMain");
    assertThat(budget.logged("config budget.admin.token = ***")).isTrue();
    assertThat(budget.logged("config budget.team.tokens = ***")).isTrue();
    ServiceProcess worker = process("WorkerMain");
    assertThat(worker.logged("provider anthropic: real anthropic API at http://127.0.0.1:" + wiremock.port()))
        .as("the worker process read its Anthropic key").isTrue();
    assertThat(worker.logged("provider openai: real openai API at http://127.0.0.1:" + wiremock.port()))
        .as("the worker process read its OpenAI key").isTrue();
    assertThat(scanned).containsKeys(topics.requests().name(), topics.results().name(), topics.usage().name());
    // routed requests in one lane or the other (BATCH requests go to llm.requests.routed.batch)
    assertThat(scanned.keySet()).containsAnyOf(topics.routed().name(), topics.routedBatch().name());
    System.out.printf("security: scanned %d topics (%d records), %d log lines in the test's JVM and %d lines from the "
            + "services' own processes for %d secrets: no leak%n", scanned.size(),
        scanned.values().stream().mapToInt(Integer::intValue).sum(), logLines.size(), processLines, SECRETS.size());
  }

  /**
   * Starts budget-service, the aggregator, the router and the worker as their own JVMs (under topics and groups of
   * their own), each with every secret in its environment, and waits until each says it is up.
   */
  private void startServiceProcesses() throws Exception {
    Path logback = ServiceProcess.verboseLogging(state);
    String own = topics.requests().name().substring(0, topics.requests().name().indexOf("llm.requests"))
        + "processes.";
    String wiremockUrl = "http://127.0.0.1:" + wiremock.port();
    Map<String, String> environment = new HashMap<>(Map.ofEntries(
        Map.entry("MR_KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers()),
        Map.entry("MR_SCHEMA_REGISTRY_URL", stack.registryUrl()),
        Map.entry("MR_SCHEMA_REGISTRY_BEARER_TOKEN", REGISTRY_TOKEN),
        Map.entry("MR_TOPICS_PREFIX", own), Map.entry("MR_TOPICS_PARTITIONS", "1"),
        Map.entry("MR_BUDGET_HTTP_HOST", "127.0.0.1"), Map.entry("MR_BUDGET_HTTP_PORT", "0"),
        Map.entry("MR_BUDGET_ADMIN_TOKEN", ADMIN),
        Map.entry("MR_BUDGET_TEAM_TOKENS", "alpha=" + ALPHA + ",beta=" + BETA),
        Map.entry("MR_ROUTER_APPLICATION_ID", own + "router"), Map.entry("MR_ROUTER_METRICS_PORT", "-1"),
        Map.entry("MR_ROUTER_STATE_DIR", state.resolve("process-router").toString()),
        Map.entry("MR_AGGREGATOR_APPLICATION_ID", own + "aggregator"), Map.entry("MR_AGGREGATOR_METRICS_PORT", "-1"),
        Map.entry("MR_AGGREGATOR_STATE_DIR", state.resolve("process-aggregator").toString()),
        Map.entry("MR_WORKER_GROUP_ID", own + "worker"), Map.entry("MR_WORKER_INSTANCE_ID", own + "w1"),
        Map.entry("MR_WORKER_METRICS_PORT", "-1"),
        Map.entry("MR_WORKER_PROVIDERS", "anthropic,openai"), Map.entry("MR_WORKER_SIMULATE", "auto"),
        Map.entry("MR_PROVIDERS_ANTHROPIC_BASE_URL", wiremockUrl),
        Map.entry("MR_PROVIDERS_ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        Map.entry("MR_PROVIDERS_OPENAI_BASE_URL", wiremockUrl + "/v1"),
        Map.entry("MR_PROVIDERS_OPENAI_API_KEY", OPENAI_KEY),
        Map.entry("ANTHROPIC_API_KEY", ANTHROPIC_KEY), Map.entry("OPENAI_API_KEY", OPENAI_KEY)));
    for (String main : MAINS.keySet()) {
      processes.add(ServiceProcess.start(main.substring(main.lastIndexOf('.') + 1), main, environment, logback));
    }
    for (ServiceProcess process : processes) {
      process.awaitLine(MAINS.get(process.mainClass()), Duration.ofSeconds(120));
    }
  }

  private ServiceProcess process(String name) {
    return processes.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  /** Every record of every topic on the broker, from the start, read_uncommitted so that aborted data counts too. */
  private List<String> scanTopics(Map<String, Integer> scanned) throws Exception {
    String prefix = topics.requests().name().substring(0, topics.requests().name().indexOf("llm.requests"));
    List<String> leaks = new ArrayList<>();
    // This test's topics (the services' internal changelog and repartition topics carry its prefix too), the
    // broker's internal ones and the registry's; other tests' topics on the shared broker are theirs to check.
    Set<String> names = stack.admin().listTopics(new ListTopicsOptions().listInternal(true)).names().get().stream()
        .filter(n -> n.startsWith(prefix) || n.startsWith("__") || n.startsWith("_schemas"))
        .collect(java.util.stream.Collectors.toSet());
    Map<String, Object> config = new HashMap<>(stack.consumerConfig("security-scan-" + RUN));
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String name : names) {
        consumer.partitionsFor(name).forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.currentTimeMillis() + 60_000;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))
          && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          scanned.merge(record.topic(), 1, Integer::sum);
          List<byte[]> parts = new ArrayList<>();
          parts.add(record.key());
          parts.add(record.value());
          for (Header header : record.headers()) {
            parts.add(header.value());
          }
          for (byte[] part : parts) {
            if (part == null) {
              continue;
            }
            String text = new String(part, StandardCharsets.ISO_8859_1);
            for (String secret : SECRETS) {
              if (text.contains(secret)) {
                leaks.add("topic " + record.topic() + "-" + record.partition() + "@" + record.offset());
              }
            }
          }
        }
      }
      List<TopicPartition> unread = partitions.stream().filter(p -> consumer.position(p) < ends.get(p)).toList();
      assertThat(unread).as("partitions not scanned to the end within 60 s").isEmpty();
    }
    return leaks;
  }

  private int call(String method, String path, String token, String body) throws Exception {
    return services.call(method, path, token, body).statusCode();
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    return services.call(method, path, token, body);
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(int status, String body) {
    return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
  }

  private static InferenceRequest request(String id, String team, String prompt) {
    return InferenceRequest.newBuilder().setRequestId(id).setTeamId(team).setPipelineId("security-it")
        .setSessionId(null).setTaskType("codeReview").setTier("pro")
        .setMessages(List.of(new Message(Role.USER, prompt, List.of()))).setSystemPrompt(null).setMaxTokens(null)
        .setTemperature(null).setModel("auto").setPriority(Priority.BATCH).setDeadline(null).setMetadata(Map.of())
        .setCreatedAt(Instant.now()).build();
  }

  private void read(String prefix) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          results.put(result.getRequestId(), result);
        }
      }
    }
  }

  /** Every log event of every logger at INFO (DEBUG for io.modelrouter), formatted, with its stack trace. */
  private void captureLogs() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger own = context.getLogger("io.modelrouter");
    rootLevel = root.getLevel();
    ownLevel = own.getLevel();
    root.setLevel(Level.INFO);
    own.setLevel(Level.DEBUG);
    appender = new CapturingAppender(logLines);
    appender.setContext(context);
    appender.start();
    root.addAppender(appender);
  }

  private void releaseLogs() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(appender);
    appender.stop();
    root.setLevel(rootLevel);
    context.getLogger("io.modelrouter").setLevel(ownLevel);
  }

  private static final class CapturingAppender extends AppenderBase<ILoggingEvent> {
    private final List<String> lines;

    CapturingAppender(List<String> lines) {
      this.lines = lines;
    }

    @Override
    protected void append(ILoggingEvent event) {
      StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ').append(event.getFormattedMessage());
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
          line.append(' ').append(frame.getSTEAsString());
        }
      }
      lines.add(line.toString());
    }
  }
}
