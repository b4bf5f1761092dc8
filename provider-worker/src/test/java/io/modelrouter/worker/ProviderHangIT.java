package io.modelrouter.worker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A provider that hangs (issue 15: "a provider hanging for 120 s"): Anthropic's Messages API behind WireMock accepts
 * every call and answers nothing for 120 s, while OpenAI's chat completions (another WireMock) stays healthy. The
 * hanging provider's bulkhead must bound the calls it holds, the excess moving on to the fallback; a request's
 * deadline must cut its call (EXPIRED), not the provider's timeout; a request without one must fall back when the
 * provider's timeout ends the call; and requests for the other provider must be served meanwhile, each request with
 * exactly one result.
 */
@IntegrationTest
class ProviderHangIT {
  private static final int BULKHEAD = 6;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final int EACH = 30;
  private static final String SONNET = """
      {"id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
       "model": "claude-sonnet-4-5-20250929",
       "content": [{"type": "text", "text": "From Claude, two minutes late."}],
       "stop_reason": "end_turn", "stop_sequence": null,
       "usage": {"input_tokens": 120, "output_tokens": 40, "cache_creation_input_tokens": 0,
                 "cache_read_input_tokens": 0}}
      """;
  private static final String GPT = """
      {"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
       "model": "gpt-4.1-mini-2025-04-14",
       "choices": [{"index": 0, "message": {"role": "assistant", "content": "From GPT.", "refusal": null,
                    "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
       "usage": {"prompt_tokens": 118, "completion_tokens": 30, "total_tokens": 148,
                 "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                   "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
       "service_tier": "default", "system_fingerprint": "fp_44709d6fcb"}
      """;

  private final WireMockServer hanging = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
      .containerThreads(200));
  private final WireMockServer healthy = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private final Map<String, List<InferenceResult>> results = new ConcurrentHashMap<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final AtomicInteger read = new AtomicInteger();
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private WorkerService worker;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("hang") + ".";
    topics = stack.createTopics(prefix, 4);
    hanging.start();
    healthy.start();
    hanging.stubFor(post(urlEqualTo("/v1/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(SONNET).withFixedDelay(120_000)));
    healthy.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(GPT).withFixedDelay(50)));
    Map<String, String> settings = new HashMap<>(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4",
        "worker.group.id", prefix + "workers",
        "worker.instance.id", prefix + "w1",
        "worker.simulate", "none",
        "worker.providers", "anthropic,openai"));
    settings.put("providers.anthropic.base.url", "http://127.0.0.1:" + hanging.port());
    settings.put("providers.anthropic.api.key", "test-key-anthropic");
    settings.put("providers.anthropic.timeout", Long.toString(TIMEOUT.toMillis()));
    settings.put("providers.anthropic.max.concurrent", Integer.toString(BULKHEAD));
    settings.put("providers.anthropic.retry.max.attempts", "1");
    settings.put("providers.openai.base.url", "http://127.0.0.1:" + healthy.port() + "/v1");
    settings.put("providers.openai.api.key", "test-key-openai");
    worker = new WorkerService(Settings.of(settings)).start();
    reader = Thread.ofVirtual().start(this::read);
  }

  @AfterEach
  void stop() throws InterruptedException {
    worker.close();
    reading.set(false);
    reader.join(10_000);
    hanging.stop();
    healthy.stop();
  }

  @Test
  void theBulkheadBoundsTheHangDeadlinesCutItAndTheOtherProviderServes() throws Exception {
    // When: requests with a deadline for the hanging provider (falling back to the healthy one); then requests
    // without one, and requests for the healthy provider alone, at once
    Instant sent = Instant.now();
    List<String> withDeadline = send("deadline", true, true);
    await().atMost(Duration.ofSeconds(60)).until(() -> results.keySet().containsAll(withDeadline));
    Instant secondWave = Instant.now();
    List<String> withoutDeadline = send("patient", true, false);
    List<String> other = send("other", false, false);
    List<String> all = new ArrayList<>(withDeadline);
    all.addAll(withoutDeadline);
    all.addAll(other);
    await().atMost(Duration.ofSeconds(90)).until(() -> results.keySet().containsAll(all));
    Duration took = Duration.between(sent, Instant.now());

    // Then: one result each, and the hanging provider never answered
    assertThat(all).allSatisfy(id -> assertThat(results.get(id)).as(id).hasSize(1));
    assertThat(read.get()).isEqualTo(all.size());
    List<InferenceResult> deadlined = withDeadline.stream().map(id -> results.get(id).get(0)).toList();
    List<InferenceResult> patient = withoutDeadline.stream().map(id -> results.get(id).get(0)).toList();
    List<InferenceResult> others = other.stream().map(id -> results.get(id).get(0)).toList();
    List<Attempt> hangingCalls = new ArrayList<>();
    for (InferenceResult result : results.values().stream().map(l -> l.get(0)).toList()) {
      result.getAttempts().stream().filter(a -> a.getProvider().equals("anthropic")
          && a.getOutcome() != AttemptOutcome.BULKHEAD_FULL).forEach(hangingCalls::add);
    }
    assertThat(hangingCalls).as("calls to the hanging provider").isNotEmpty()
        .allSatisfy(a -> assertThat(a.getOutcome()).isEqualTo(AttemptOutcome.TIMEOUT));

    // The bulkhead: never more than its size in flight at the hanging provider; the rest refused at once and served
    // by the fallback
    assertThat(maxOverlap(hangingCalls)).as("calls in flight at the hanging provider at once")
        .isLessThanOrEqualTo(BULKHEAD);
    long refused = results.values().stream().flatMap(l -> l.get(0).getAttempts().stream())
        .filter(a -> a.getOutcome() == AttemptOutcome.BULKHEAD_FULL).count();
    assertThat(refused).as("calls the bulkhead refused").isPositive();

    // Deadlines: a request holding a slot is cut at its deadline (EXPIRED, the call well short of the provider's
    // timeout); one refused by the bulkhead was answered by the fallback in time
    assertThat(deadlined).extracting(InferenceResult::getStatus).containsOnly(ResultStatus.EXPIRED, ResultStatus.OK);
    List<InferenceResult> expired = deadlined.stream().filter(r -> r.getStatus() == ResultStatus.EXPIRED).toList();
    assertThat(expired).as("requests cut at their deadline").isNotEmpty().allSatisfy(r -> {
      assertThat(r.getErrorCode()).isEqualTo("DEADLINE_EXCEEDED");
      assertThat(r.getErrorMessage()).contains("deadline passed during the call to anthropic/claude-sonnet-4-5");
      Attempt cut = r.getAttempts().getLast();
      assertThat(cut.getOutcome()).isEqualTo(AttemptOutcome.TIMEOUT);
      assertThat(cut.getLatencyMs()).as("the cut call's duration").isLessThan(TIMEOUT.toMillis());
    });
    assertThat(deadlined.stream().filter(r -> r.getStatus() == ResultStatus.OK))
        .allSatisfy(r -> assertThat(r.getModel()).isEqualTo("gpt-4.1-mini"));

    // Without a deadline: the provider's timeout ends the call and the fallback answers
    assertThat(patient).allSatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
      assertThat(r.getModel()).isEqualTo("gpt-4.1-mini");
    });
    assertThat(patient.stream().filter(r -> r.getAttempts().stream().anyMatch(a -> a.getOutcome()
        == AttemptOutcome.TIMEOUT))).as("requests that waited out the provider's timeout").isNotEmpty();

    // The other provider kept serving: none of its requests waited for the hanging one
    assertThat(others).allSatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
      assertThat(r.getAttempts()).hasSize(1);
      assertThat(r.getCompletedAt()).as("answered before the hanging calls sent with it timed out")
          .isBefore(secondWave.plus(TIMEOUT));
    });
    System.out.printf("provider hang: %d calls held by the hanging provider (at most %d at once), %d refused by its"
            + " bulkhead; %d of %d deadline requests EXPIRED at their deadline, the rest answered by the fallback; %d"
            + " requests waited out the %d s timeout and fell back; %d requests for the other provider all OK; %d ms%n",
        hangingCalls.size(), maxOverlap(hangingCalls), refused, expired.size(), deadlined.size(),
        patient.stream().filter(r -> r.getAttempts().stream().anyMatch(a -> a.getOutcome() == AttemptOutcome.TIMEOUT))
            .count(), TIMEOUT.toSeconds(), others.size(), took.toMillis());
  }

  /** The most calls whose [start, start + latency) intervals overlap at one instant. */
  private static int maxOverlap(List<Attempt> calls) {
    List<long[]> edges = new ArrayList<>();
    for (Attempt a : calls) {
      long start = a.getStartedAt().toEpochMilli();
      edges.add(new long[] {start, 1});
      edges.add(new long[] {start + a.getLatencyMs(), -1});
    }
    edges.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
    int open = 0;
    int max = 0;
    for (long[] edge : edges) {
      open += (int) edge[1];
      max = Math.max(max, open);
    }
    return max;
  }

  private List<String> send(String label, boolean toHanging, boolean deadline) throws Exception {
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < EACH; i++) {
        String id = label + "-" + i;
        String team = "team-" + (i % 5);
        RoutingDecision decision = SampleRecords.decision();
        if (toHanging) {
          decision.setProvider("anthropic");
          decision.setModel("claude-sonnet-4-5");
          decision.setProviderModelId("claude-sonnet-4-5-20250929");
          decision.setFallbacks(List.of(new ModelRef("gpt-4.1-mini", "openai", "gpt-4.1-mini")));
        } else {
          decision.setProvider("openai");
          decision.setModel("gpt-4.1-mini");
          decision.setProviderModelId("gpt-4.1-mini");
          decision.setFallbacks(List.of());
        }
        RoutedRequest routed = new RoutedRequest(SampleRecords.request(id, team), decision);
        routed.getRequest().setDeadline(deadline ? Instant.now().plus(DEADLINE) : null);
        producer.send(new ProducerRecord<>(topics.routed().name(), team, topics.routed().serializeValue(routed)));
        ids.add(id);
      }
      producer.flush();
    }
    return ids;
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          results.computeIfAbsent(result.getRequestId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
              .add(result);
          read.incrementAndGet();
        }
      }
    }
  }
}
