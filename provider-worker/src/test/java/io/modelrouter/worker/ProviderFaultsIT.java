package io.modelrouter.worker;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
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
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.LongSummaryStatistics;
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
 * Provider faults (docs/reliability.md, scenario 3), on the real worker, broker and the vendors' SDKs against WireMock:
 * the primary (Anthropic Messages API) answers 503, then times out, then 429 with Retry-After, then recovers; the
 * fallback (OpenAI chat completions) stays healthy. In every phase every request must be answered OK; the breaker must
 * open once it has recorded its minimum number of calls, within its window, and let no call through while open but
 * its half-open probes; a retry after a 429 must wait the Retry-After; no request may call the primary more than the
 * configured attempts; and the breaker must close again once the primary recovers.
 */
@IntegrationTest
class ProviderFaultsIT {
  private static final int MAX_ATTEMPTS = 3;
  private static final int WINDOW = 20;
  private static final int MINIMUM_CALLS = 10;
  private static final Duration OPEN_DURATION = Duration.ofSeconds(3);
  private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
  private static final String SONNET = """
      {"id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
       "model": "claude-sonnet-4-5-20250929",
       "content": [{"type": "text", "text": "From Claude."}],
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

  private final WireMockServer wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private final Map<String, InferenceResult> results = new ConcurrentHashMap<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final AtomicInteger duplicates = new AtomicInteger();
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private WorkerService worker;
  private Thread reader;
  private volatile Instant openedAt = Instant.MIN;
  private volatile Instant firstOpenedAt;
  /** Half-open periods of the phases where the primary still fails: each lets a few probes through. */
  private int failingHalfOpens;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("faults") + ".";
    topics = stack.createTopics(prefix, 4);
    wiremock.start();
    wiremock.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(json(200, GPT)));
    Map<String, String> settings = new HashMap<>(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4",
        "worker.group.id", prefix + "workers",
        "worker.instance.id", prefix + "w1",
        "worker.simulate", "none",
        "worker.providers", "anthropic,openai"));
    for (String provider : List.of("anthropic", "openai")) {
      String p = "providers." + provider + ".";
      // The OpenAI SDK's base URL ends in /v1 (as api.openai.com/v1 does); the Anthropic SDK's does not.
      settings.put(p + "base.url", "http://127.0.0.1:" + wiremock.port() + (provider.equals("openai") ? "/v1" : ""));
      settings.put(p + "api.key", "test-key-" + provider);
      // The primary's calls time out after 1 s (the timeout phase); the healthy fallback's get 5 s, so that a burst of
      // 100 first calls on a cold, loaded machine does not time out and open the fallback's breaker too
      settings.put(p + "timeout", provider.equals("openai") ? "5000" : "1000");
      settings.put(p + "retry.max.attempts", Integer.toString(MAX_ATTEMPTS));
      settings.put(p + "retry.initial.backoff", "20");
      // Above the Retry-After the primary sends, which the worker waits at most this long
      settings.put(p + "retry.max.backoff", "1500");
      settings.put(p + "breaker.window", Integer.toString(WINDOW));
      settings.put(p + "breaker.minimum.calls", Integer.toString(MINIMUM_CALLS));
      settings.put(p + "breaker.open.duration", Long.toString(OPEN_DURATION.toMillis()));
    }
    worker = new WorkerService(Settings.of(settings)).start();
    reader = Thread.ofVirtual().start(this::read);
  }

  @AfterEach
  void stop() throws InterruptedException {
    worker.close();
    reading.set(false);
    reader.join(10_000);
    wiremock.stop();
  }

  @Test
  void theBreakerMovesTrafficToTheFallbackThroughEveryFaultAndClosesWhenThePrimaryRecovers() throws Exception {
    CircuitBreaker breaker = worker.resilience().breaker("anthropic", "claude-sonnet-4-5");
    CircuitBreakerConfig configured = breaker.getCircuitBreakerConfig();
    assertThat(configured.getSlidingWindowSize()).isEqualTo(WINDOW);
    assertThat(configured.getMinimumNumberOfCalls()).isEqualTo(MINIMUM_CALLS);
    int halfOpenCalls = configured.getPermittedNumberOfCallsInHalfOpenState();
    AtomicInteger failuresBeforeOpen = new AtomicInteger();
    // What the breaker had recorded when it first opened, read in the transition itself: error events of concurrent
    // calls are published before each is recorded, so counting events races with the transition
    AtomicInteger failedAtOpen = new AtomicInteger(-1);
    AtomicInteger bufferedAtOpen = new AtomicInteger(-1);
    AtomicInteger halfOpens = new AtomicInteger();
    breaker.getEventPublisher().onError(event -> {
      if (firstOpenedAt == null) {
        failuresBeforeOpen.incrementAndGet();
      }
    });
    breaker.getEventPublisher().onStateTransition(event -> {
      CircuitBreaker.State to = event.getStateTransition().getToState();
      if (to == CircuitBreaker.State.OPEN) {
        openedAt = event.getCreationTime().toInstant();
        if (firstOpenedAt == null) {
          firstOpenedAt = openedAt;
          failedAtOpen.set(breaker.getMetrics().getNumberOfFailedCalls());
          bufferedAtOpen.set(breaker.getMetrics().getNumberOfBufferedCalls());
        }
      } else if (to == CircuitBreaker.State.HALF_OPEN) {
        halfOpens.incrementAndGet();
      }
    });
    List<String> report = new ArrayList<>();

    // 503 overloaded: the breaker opens once it has recorded its minimum number of calls (all failed), within its
    // window; everything is answered by the fallback
    primary(json(503, error("overloaded_error", "Overloaded")));
    List<InferenceResult> overloaded = sendAndAwait("overloaded", 100);
    report.add(phase("503", overloaded));
    assertAllOk("503", overloaded);
    assertThat(overloaded).extracting(InferenceResult::getModel).containsOnly("gpt-4.1-mini");
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(failedAtOpen.get()).as("failed calls the breaker had recorded when it opened")
        .isBetween(MINIMUM_CALLS, WINDOW);
    assertThat(bufferedAtOpen.get()).as("calls in the breaker's window when it opened").isBetween(MINIMUM_CALLS, WINDOW);
    // Every HTTP call of the burst was on its way before the breaker opened: the ones it had recorded, and the ones in
    // flight then (at most one per request); none was let through after, and retries stopped.
    List<Attempt> burstCalls = callsToThePrimary(overloaded);
    // (A call that timed out may have been cut before its request left the SDK: WireMock may see fewer, never more.)
    assertThat(primaryCalls()).as("HTTP calls WireMock saw, against the attempts reported")
        .isLessThanOrEqualTo(burstCalls.size());
    assertThat(burstCalls).allSatisfy(a -> assertThat(a.getStartedAt()).as("an HTTP call's start")
        .isBeforeOrEqualTo(firstOpenedAt));
    assertThat(burstCalls.size()).isLessThanOrEqualTo(failuresBeforeOpen.get() + overloaded.size());
    report.add(String.format("breaker opened with %d recorded failures in its window (minimum %d, window %d); %d HTTP "
            + "calls in the burst, %d error events before the transition", failedAtOpen.get(), MINIMUM_CALLS, WINDOW,
        burstCalls.size(), failuresBeforeOpen.get()));

    // While it is open, requests skip the primary without an HTTP call; only half-open probes reach it, if the open
    // period ends during the phase: at most the breaker's permitted calls per half-open period, none without one
    Phase whileOpen = phaseWithinTheBreaker("open", 50, halfOpens, halfOpenCalls, report);
    List<InferenceResult> probes = whileOpen.results().stream()
        .filter(r -> firstOutcome(r) != AttemptOutcome.CIRCUIT_OPEN).toList();
    assertThat(whileOpen.results()).as("every request's first attempt is on the primary")
        .allSatisfy(r -> assertThat(r.getAttempts()).first().satisfies(first -> {
          assertThat(first.getProvider()).isEqualTo("anthropic");
          assertThat(first.getModel()).isEqualTo("claude-sonnet-4-5");
        }));
    assertThat(probes).as("requests that reached the primary while its breaker was open (%d half-open periods of %d"
            + " calls)", whileOpen.halfOpenPeriods(), halfOpenCalls)
        .hasSizeLessThanOrEqualTo(halfOpenCalls * whileOpen.halfOpenPeriods())
        .allSatisfy(r -> assertThat(r.getAttempts().get(0)).satisfies(ProviderFaultsIT::aCallThePrimaryFailed));
    // (A call cut by its timeout may not have left the SDK: WireMock may see fewer calls than the attempts, never more.)
    assertThat(callsToThePrimary(whileOpen.results())).as("attempts that reached the primary in the open phase, "
        + "against the %d HTTP calls WireMock saw", whileOpen.httpCalls())
        .hasSizeGreaterThanOrEqualTo(whileOpen.httpCalls())
        .hasSizeLessThanOrEqualTo(halfOpenCalls * whileOpen.halfOpenPeriods());

    // Timeouts: calls that get through (half-open) time out, the breaker opens again, nothing is lost
    primary(json(200, SONNET).withFixedDelay(3_000));
    waitOutTheOpenBreaker(breaker);
    List<InferenceResult> slow = phaseWithinTheBreaker("timeout", 60, halfOpens, halfOpenCalls, report).results();
    assertThat(slow).flatExtracting(InferenceResult::getAttempts).extracting(Attempt::getOutcome)
        .contains(AttemptOutcome.TIMEOUT);
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

    // 429 with Retry-After: rate limited, the next attempt waits what the provider asked, never more than the
    // configured attempts, answered by the fallback
    primary(json(429, error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"))
        .withHeader("retry-after", Long.toString(RETRY_AFTER.toSeconds())));
    waitOutTheOpenBreaker(breaker);
    List<InferenceResult> limited = phaseWithinTheBreaker("429", 60, halfOpens, halfOpenCalls, report).results();
    List<Long> waits = waitsAfterRateLimits(limited);
    // Attempt times are whole milliseconds (start truncated, latency truncated): up to 2 ms lost in the rounding
    assertThat(waits).as("ms from a 429 to the next attempt on that model").isNotEmpty()
        .allSatisfy(w -> assertThat(w).isGreaterThanOrEqualTo(RETRY_AFTER.toMillis() - 2));
    LongSummaryStatistics waited = waits.stream().mapToLong(Long::longValue).summaryStatistics();
    report.add(String.format("retry-after %d s: %d attempts after a 429 waited %,d to %,d ms", RETRY_AFTER.toSeconds(),
        waited.getCount(), waited.getMin(), waited.getMax()));

    // Recovery: after the open period the half-open calls succeed, the breaker closes, the primary answers again
    primary(json(200, SONNET));
    int callsBeforeRecovery = primaryCalls();
    List<InferenceResult> recovered = new ArrayList<>();
    AtomicInteger round = new AtomicInteger();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
      recovered.addAll(sendAndAwait("recovery-" + round.getAndIncrement(), 5));
      return breaker.getState() == CircuitBreaker.State.CLOSED;
    });
    List<InferenceResult> healthy = sendAndAwait("healthy", 50);
    recovered.addAll(healthy);
    report.add(phase("recovered", recovered));
    assertAllOk("recovered", recovered);
    assertThat(healthy).allSatisfy(r -> {
      assertThat(r.getModel()).isEqualTo("claude-sonnet-4-5");
      assertThat(r.getAttempts()).hasSize(1);
    });
    List<Attempt> recoveryCalls = callsToThePrimary(recovered);
    assertThat(recoveryCalls).extracting(Attempt::getOutcome).containsOnly(AttemptOutcome.OK);
    assertThat(primaryCalls() - callsBeforeRecovery).as("HTTP calls to the recovered primary: one per request it "
        + "answered").isEqualTo(recoveryCalls.size());

    // No retry storm: per request at most MAX_ATTEMPTS calls to the primary and one to the healthy fallback; over the
    // run, the calls the breaker let through and no more
    List<InferenceResult> all = new ArrayList<>(results.values());
    assertAllOk("all", all);
    assertThat(all).allSatisfy(r -> assertThat(callsToThePrimary(List.of(r))).hasSizeLessThanOrEqualTo(MAX_ATTEMPTS));
    int primaryCalls = primaryCalls();
    int requests = all.size();
    int allowed = burstCalls.size() + halfOpenCalls * failingHalfOpens + recoveryCalls.size();
    report.add("requests " + requests + ", answered OK " + all.stream().filter(r -> r.getStatus() == ResultStatus.OK)
        .count() + ", HTTP calls to the primary " + primaryCalls + " (" + String.format("%.2f", primaryCalls
        / (double) requests) + " per request; at most " + allowed + " allowed), to the fallback "
        + wiremock.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).size());
    assertThat(primaryCalls).as("calls to the primary: the burst's, %d per half-open period of a failing primary (%d), "
        + "one per request it answered", halfOpenCalls, failingHalfOpens).isLessThanOrEqualTo(allowed);
    assertThat(duplicates.get()).as("requests answered twice").isZero();
    report.forEach(line -> System.out.println("provider faults: " + line));
  }

  /** A phase's results, the half-open periods the breaker went through during it and the HTTP calls WireMock saw. */
  private record Phase(List<InferenceResult> results, int halfOpenPeriods, int httpCalls) {}

  /**
   * A phase against a failing primary whose breaker is open or about to half-open: every request answered OK, and
   * the primary called only by half-open probes, at most {@code halfOpenCalls} for each half-open period.
   */
  private Phase phaseWithinTheBreaker(String name, int count, AtomicInteger halfOpens,
      int halfOpenCalls, List<String> report) throws Exception {
    int callsBefore = primaryCalls();
    int halfOpensBefore = halfOpens.get();
    List<InferenceResult> phase = sendAndAwait(name, count);
    int periods = halfOpens.get() - halfOpensBefore;
    int calls = primaryCalls() - callsBefore;
    failingHalfOpens += periods;
    report.add(phase(name, phase) + String.format(", %d HTTP calls to the primary in %d half-open periods", calls,
        periods));
    assertAllOk(name, phase);
    assertThat(calls).as("HTTP calls to the primary in phase %s: at most %d per half-open period (%d)", name,
        halfOpenCalls, periods).isLessThanOrEqualTo(halfOpenCalls * periods);
    return new Phase(phase, periods, calls);
  }

  /** An attempt that reached the primary and failed: its 503 (the overloaded phase's answer), or its timeout. */
  private static void aCallThePrimaryFailed(Attempt attempt) {
    assertThat(attempt.getProvider()).isEqualTo("anthropic");
    assertThat(attempt.getOutcome()).isIn(AttemptOutcome.RETRYABLE_ERROR, AttemptOutcome.TIMEOUT);
    if (attempt.getOutcome() == AttemptOutcome.RETRYABLE_ERROR) {
      assertThat(attempt.getHttpStatus()).isEqualTo(503);
    }
  }

  private static void assertAllOk(String phase, List<InferenceResult> results) {
    assertThat(failures(results)).as("requests of phase %s not answered OK", phase).isEmpty();
  }

  /** The attempts that reached the primary over HTTP (not refused by its breaker or bulkhead). */
  private static List<Attempt> callsToThePrimary(List<InferenceResult> results) {
    return results.stream().flatMap(r -> r.getAttempts().stream())
        .filter(a -> a.getProvider().equals("anthropic") && a.getOutcome() != AttemptOutcome.CIRCUIT_OPEN
            && a.getOutcome() != AttemptOutcome.BULKHEAD_FULL).toList();
  }

  /** For each 429 followed by another attempt on the same model: ms from the 429's end to that attempt's start. */
  private static List<Long> waitsAfterRateLimits(List<InferenceResult> results) {
    List<Long> waits = new ArrayList<>();
    for (InferenceResult result : results) {
      List<Attempt> attempts = result.getAttempts();
      for (int i = 0; i + 1 < attempts.size(); i++) {
        Attempt limited = attempts.get(i);
        Attempt next = attempts.get(i + 1);
        if (limited.getOutcome() == AttemptOutcome.RATE_LIMITED && next.getModel().equals(limited.getModel())) {
          waits.add(next.getStartedAt().toEpochMilli() - limited.getStartedAt().toEpochMilli()
              - limited.getLatencyMs());
        }
      }
    }
    return waits;
  }

  private static String phase(String name, List<InferenceResult> results) {
    IntSummaryStatistics attempts = results.stream().mapToInt(r -> r.getAttempts().size()).summaryStatistics();
    Map<String, Long> byModel = new HashMap<>();
    results.forEach(r -> byModel.merge(String.valueOf(r.getModel()), 1L, Long::sum));
    long ok = results.stream().filter(r -> r.getStatus() == ResultStatus.OK).count();
    return String.format("%-9s %3d requests, %3d OK, answered by %s, attempts per request mean %.2f max %d", name,
        results.size(), ok, byModel, attempts.getAverage(), attempts.getMax());
  }

  /** Requests not answered OK, with their error: what an assertion should print, not whole results. */
  private static List<String> failures(List<InferenceResult> results) {
    return results.stream().filter(r -> r.getStatus() != ResultStatus.OK)
        .map(r -> r.getRequestId() + " " + r.getStatus() + ": " + r.getErrorMessage() + "; attempts "
            + r.getAttempts().stream().map(a -> a.getModel() + " " + a.getOutcome() + " " + a.getLatencyMs() + " ms")
            .toList()).toList();
  }

  private static AttemptOutcome firstOutcome(InferenceResult result) {
    return result.getAttempts().isEmpty() ? null : result.getAttempts().get(0).getOutcome();
  }

  /**
   * Until the breaker's open duration has passed since it last opened: it then moves to half-open on the next call
   * (not by itself, so its state cannot be awaited).
   */
  private void waitOutTheOpenBreaker(CircuitBreaker breaker) {
    assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(openedAt.plus(OPEN_DURATION)));
  }

  private int primaryCalls() {
    return wiremock.findAll(postRequestedFor(urlEqualTo("/v1/messages"))).size();
  }

  private void primary(ResponseDefinitionBuilder response) {
    wiremock.stubFor(post(urlEqualTo("/v1/messages")).willReturn(response));
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
  }

  private static String error(String type, String message) {
    return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message
        + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}";
  }

  /** Sends {@code count} requests routed to claude-sonnet-4-5 (anthropic), falling back to gpt-4.1-mini (openai). */
  private List<InferenceResult> sendAndAwait(String label, int count) throws Exception {
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String id = label + "-" + i;
        String team = "team-" + (i % 5);
        RoutingDecision decision = SampleRecords.decision();
        decision.setProvider("anthropic");
        decision.setModel("claude-sonnet-4-5");
        decision.setProviderModelId("claude-sonnet-4-5-20250929");
        decision.setFallbacks(List.of(new ModelRef("gpt-4.1-mini", "openai", "gpt-4.1-mini")));
        RoutedRequest routed = new RoutedRequest(SampleRecords.request(id, team), decision);
        routed.getRequest().setDeadline(null);
        producer.send(new ProducerRecord<>(topics.routed().name(), team, topics.routed().serializeValue(routed)));
        ids.add(id);
      }
      producer.flush();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> results.keySet().containsAll(ids));
    return ids.stream().map(results::get).toList();
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          if (results.putIfAbsent(result.getRequestId(), result) != null) {
            duplicates.incrementAndGet();
          }
        }
      }
    }
  }
}
