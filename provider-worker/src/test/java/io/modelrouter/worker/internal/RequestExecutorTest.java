package io.modelrouter.worker.internal;

import static io.modelrouter.worker.provider.ScriptedProvider.failure;
import static io.modelrouter.worker.provider.ScriptedProvider.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.provider.ProviderException;
import io.modelrouter.worker.provider.ProviderResponse;
import io.modelrouter.worker.provider.ScriptedProvider;
import io.modelrouter.worker.resilience.ProviderPolicy;
import io.modelrouter.worker.resilience.ResilientCalls;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestExecutorTest {
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();

  private final ScriptedProvider anthropic = new ScriptedProvider("anthropic");
  private final ScriptedProvider bedrock = new ScriptedProvider("bedrock");
  private final ScriptedProvider openai = new ScriptedProvider("openai");
  private ResilientCalls resilience;

  /** Fast backoff; a breaker that judges after 4 calls and opens for 300 ms; 500 ms per call. */
  static ProviderPolicy testPolicy() {
    return new ProviderPolicy(3, Duration.ofMillis(10), 2.0, 0.0, Duration.ofMillis(400), 0, Duration.ofMillis(100),
        50, Duration.ofMillis(100), Duration.ofMillis(500), 50f, 4, 4, Duration.ofMillis(300), 1);
  }

  private RequestExecutor executor() {
    Map<String, Provider> providers = Map.of("anthropic", anthropic, "bedrock", bedrock, "openai", openai);
    resilience = new ResilientCalls(Map.of("anthropic", testPolicy(), "bedrock", testPolicy(), "openai", testPolicy()));
    return new RequestExecutor(providers, resilience, ModelCatalog.of(CATALOG),
        Map.of("anthropic", Duration.ofMillis(500), "bedrock", Duration.ofMillis(500), "openai", Duration.ofMillis(500)),
        Clock.systemUTC());
  }

  @AfterEach
  void close() {
    if (resilience != null) {
      resilience.close();
    }
  }

  /** Primary claude-sonnet-4-5 (anthropic), then bedrock-claude-sonnet-4-5, then gpt-4.1-mini (openai). */
  private static RoutedRequest routed(String requestId) {
    RoutingDecision decision = SampleRecords.decision();
    decision.setProvider("anthropic");
    decision.setModel("claude-sonnet-4-5");
    decision.setProviderModelId("claude-sonnet-4-5-20250929");
    decision.setFallbacks(List.of(
        new ModelRef("bedrock-claude-sonnet-4-5", "bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        new ModelRef("gpt-4.1-mini", "openai", "gpt-4.1-mini")));
    RoutedRequest routed = new RoutedRequest(SampleRecords.request(requestId, "team-a"), decision);
    // The executor runs on the system clock; the sample's fixed deadline would have passed.
    routed.getRequest().setDeadline(null);
    return routed;
  }

  @Test
  void answersWithThePrimaryModelAndCountsWhatItBilled() {
    anthropic.then(ok("answer", 1_200, 300));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-ok"));

    InferenceResult result = outcome.result();
    assertThat(result.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(result.getContent()).isEqualTo("answer");
    assertThat(result.getProvider()).isEqualTo("anthropic");
    assertThat(result.getModel()).isEqualTo("claude-sonnet-4-5");
    assertThat(result.getUsage().getInputTokens()).isEqualTo(1_200);
    assertThat(result.getCostMicros()).isEqualTo(Pricing.costMicros(CATALOG.get("claude-sonnet-4-5"), 1_200, 300, 0));
    assertThat(outcome.usage()).singleElement().satisfies(u -> {
      assertThat(u.getEventId()).isEqualTo("r-ok#1");
      assertThat(u.getFinalCall()).isTrue();
      assertThat(u.getOutcome()).isEqualTo(AttemptOutcome.OK);
    });
    assertThat(anthropic.calls()).singleElement().satisfies(call -> {
      assertThat(call.providerModelId()).isEqualTo("claude-sonnet-4-5-20250929");
      assertThat(call.maxTokens()).isEqualTo(2048);
      assertThat(call.call()).isEqualTo(1);
    });
  }

  @Test
  void aCallAnsweredJustBeforeItsRequestGaveUpIsCountedOnceUnderOneId() throws Exception {
    // Given a call answered on its own thread, and the request's thread interrupted at that moment (a worker
    // stopping, or a partition lost, cancels its requests; a timeout firing as the answer arrives is the same race):
    // the sink holds the answer's hand-over until the request's thread, having seen the interrupt, waits to report
    // the call failed (blocked on the calls' monitor, which the hand-over holds)
    anthropic.then(ok("answer", 1_000, 200));
    Thread requestThread = Thread.currentThread();
    List<UsageEvent> handed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    RequestExecutor.UsageSink sink = event -> {
      handed.add(event);
      if (event.getOutcome() == AttemptOutcome.OK && handed.size() == 1) {
        requestThread.interrupt();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
            .until(() -> requestThread.getState() == Thread.State.BLOCKED);
      }
    };

    RequestExecutor.Outcome outcome = executor().execute(routed("r-raced"), "run.1", sink);
    assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();

    // and no fallback is called for a request whose worker is letting it go
    assertThat(outcome.result().getErrorCode()).isEqualTo("INTERRUPTED");
    assertThat(bedrock.calls()).isEmpty();

    // Then the answered call has one event, with its tokens, and no failure event repeats its id
    assertThat(handed).extracting(UsageEvent::getEventId).doesNotHaveDuplicates();
    assertThat(handed).as("events %s", handed).filteredOn(u -> u.getEventId().toString().equals("r-raced#1@run.1"))
        .singleElement()
        .satisfies(u -> {
          assertThat(u.getOutcome()).isEqualTo(AttemptOutcome.OK);
          assertThat(u.getInputTokens()).isEqualTo(1_000);
        });
  }

  @Test
  void eachCallsIntentReachesTheSinkBeforeTheCallUnderTheIdOfItsOwnEvent() {
    // Given a first call that fails and a retry that is answered
    anthropic.then(failure(ProviderException.Kind.SERVER_ERROR, 503), ok("second time", 100, 10));
    List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    List<UsageEvent> intents = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    RequestExecutor.UsageSink sink = new RequestExecutor.UsageSink() {
      @Override
      public void started(UsageEvent estimate) {
        // the provider has not been called for it yet
        seen.add("intent " + estimate.getEventId() + " after " + anthropic.calls().size() + " call(s)");
        intents.add(estimate);
      }

      @Override
      public void accept(UsageEvent event) {
        seen.add("event " + event.getEventId() + " " + event.getOutcome());
      }
    };

    // When
    RequestExecutor.Outcome outcome = executor().execute(routed("r-intent"), "run.7", sink);

    // Then each intent came before its call, and the call's own event under the same id after it
    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(seen).containsExactly(
        "intent r-intent#1@run.7 after 0 call(s)",
        "event r-intent#1@run.7 RETRYABLE_ERROR",
        "intent r-intent#2@run.7 after 1 call(s)",
        "event r-intent#2@run.7 OK");
    // and an intent is what the call may cost before anything is known: the decision's 120 estimated input tokens
    assertThat(intents).allSatisfy(intent -> {
      assertThat(intent.getEstimated()).isTrue();
      assertThat(intent.getOutcome()).isEqualTo(AttemptOutcome.UNKNOWN);
      assertThat(intent.getInputTokens()).isEqualTo(120);
      assertThat(intent.getOutputTokens()).isZero();
      assertThat(intent.getFinalCall()).isFalse();
      assertThat(intent.getCostMicros()).isEqualTo(Pricing.costMicros(CATALOG.get("claude-sonnet-4-5"), 120, 0, 0));
    });
  }

  @Test
  void retriesARetryableFailureAndCountsEveryCall() {
    anthropic.then(failure(ProviderException.Kind.SERVER_ERROR, 503), ok("second time", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-retry"));

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getOutcome())
        .containsExactly(AttemptOutcome.RETRYABLE_ERROR, AttemptOutcome.OK);
    assertThat(outcome.usage()).extracting(UsageEvent::getEventId).containsExactly("r-retry#1", "r-retry#2");
    assertThat(outcome.usage()).extracting(UsageEvent::getFinalCall).containsExactly(false, true);
    assertThat(anthropic.calls()).extracting(c -> c.call()).containsExactly(1, 2);
  }

  @Test
  void handsEachCallsUsageToTheSinkBeforeTheRequestEnds() {
    List<String> seen = new java.util.ArrayList<>();
    anthropic.then(failure(ProviderException.Kind.SERVER_ERROR, 503), failure(ProviderException.Kind.SERVER_ERROR, 503),
        failure(ProviderException.Kind.SERVER_ERROR, 503));
    // The fallback is called only after the primary's three failures reached the sink: a crash during the fallback
    // call loses none of them.
    bedrock.then((java.util.function.Function<io.modelrouter.worker.provider.ProviderRequest, Object>) request -> {
      seen.add("bedrock call " + request.call());
      return new ProviderResponse("from bedrock", "end_turn", 100, 20, 0, true, "b-1");
    });

    RequestExecutor.Outcome outcome = executor().execute(routed("r-sink"), "x1.1",
        event -> seen.add(event.getEventId() + (event.getFinalCall() ? " final" : "")));

    assertThat(seen).containsExactly("r-sink#1@x1.1", "r-sink#2@x1.1", "r-sink#3@x1.1", "bedrock call 4",
        "r-sink#4@x1.1 final");
    assertThat(outcome.usage()).extracting(UsageEvent::getEventId)
        .containsExactly("r-sink#1@x1.1", "r-sink#2@x1.1", "r-sink#3@x1.1", "r-sink#4@x1.1");
  }

  @Test
  void aFailedLastCallReachesTheSinkAsFinalWhenTheChainIsExhausted() {
    List<UsageEvent> seen = new java.util.ArrayList<>();
    anthropic.then(failure(ProviderException.Kind.BAD_REQUEST, 400));
    bedrock.then(failure(ProviderException.Kind.BAD_REQUEST, 400));
    openai.then(failure(ProviderException.Kind.BAD_REQUEST, 400));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-exhausted"), "x1.2", seen::add);

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.FAILED);
    assertThat(seen).extracting(UsageEvent::getFinalCall).containsExactly(false, false, true);
    assertThat(seen).isEqualTo(outcome.usage());
  }

  @Test
  void aRetryAfterLongerThanTheLongestBackoffMovesOnToTheFallbackInsteadOfCallingAgainTooSoon() {
    // testPolicy's longest backoff is 400 ms; the provider asks for 5 s
    anthropic.then(new ProviderException(ProviderException.Kind.RATE_LIMITED, 429, "rate_limit_error", "slow down",
        Duration.ofSeconds(5), null));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-429-long"));

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(anthropic.calls()).hasSize(1);
    assertThat(outcome.result().getModel()).isEqualTo("bedrock-claude-sonnet-4-5");
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getOutcome())
        .containsExactly(AttemptOutcome.RATE_LIMITED, AttemptOutcome.OK);
  }

  @Test
  void waitsTheRetryAfterTheProviderAskedFor() {
    anthropic.then(new ProviderException(ProviderException.Kind.RATE_LIMITED, 429, "rate_limit_error", "slow down",
        Duration.ofMillis(300), null), ok("after the wait", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-429"));

    List<io.modelrouter.avro.Attempt> attempts = outcome.result().getAttempts();
    assertThat(attempts).extracting(a -> a.getOutcome()).containsExactly(AttemptOutcome.RATE_LIMITED, AttemptOutcome.OK);
    Instant firstEnded = attempts.get(0).getStartedAt().plusMillis(attempts.get(0).getLatencyMs());
    assertThat(Duration.between(firstEnded, attempts.get(1).getStartedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(290));
  }

  @Test
  void neverRetriesABadRequestButTriesTheNextModel() {
    anthropic.then(failure(ProviderException.Kind.BAD_REQUEST, 400));
    bedrock.then(ok("from bedrock", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-400"));

    assertThat(anthropic.calls()).hasSize(1);
    assertThat(outcome.result().getModel()).isEqualTo("bedrock-claude-sonnet-4-5");
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getOutcome())
        .containsExactly(AttemptOutcome.NON_RETRYABLE_ERROR, AttemptOutcome.OK);
  }

  @Test
  void movesToTheFallbackWhenTheModelFailsForGood() {
    anthropic.otherwise(failure(ProviderException.Kind.SERVER_ERROR, 529));
    bedrock.then(ok("fallback", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-fallback"));

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(outcome.result().getProvider()).isEqualTo("bedrock");
    assertThat(anthropic.calls()).hasSize(3);
    assertThat(outcome.usage()).hasSize(4);
    assertThat(outcome.result().getAttempts()).hasSize(4);
  }

  @Test
  void aContextWindowErrorSkipsToAModelWithALargerWindow() {
    anthropic.then(failure(ProviderException.Kind.CONTEXT_WINDOW, 400));
    openai.then(ok("long context", 250_000, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-context"));

    assertThat(outcome.result().getModel()).isEqualTo("gpt-4.1-mini");
    assertThat(bedrock.calls()).isEmpty();
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getOutcome())
        .containsExactly(AttemptOutcome.CONTEXT_WINDOW_EXCEEDED, AttemptOutcome.OK);
  }

  @Test
  void aBilledStopAtTheContextWindowIsCounted() {
    ProviderResponse billed = new ProviderResponse("partial", "context_window_exceeded", 199_000, 1_000, 0, true, "x");
    anthropic.then(failure(ProviderException.Kind.CONTEXT_WINDOW, 200).withBilled(billed));
    openai.then(ok("long context", 199_000, 900));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-billed"));

    assertThat(outcome.usage()).extracting(UsageEvent::getInputTokens).containsExactly(199_000L, 199_000L);
    assertThat(outcome.result().getUsage().getOutputTokens()).isEqualTo(1_900);
  }

  @Test
  void failsWithTheLastErrorWhenEveryModelFails() {
    anthropic.otherwise(failure(ProviderException.Kind.AUTH, 401));
    bedrock.otherwise(failure(ProviderException.Kind.AUTH, 403));
    openai.otherwise(failure(ProviderException.Kind.QUOTA_EXHAUSTED, 429));

    InferenceResult result = executor().execute(routed("r-fail")).result();

    assertThat(result.getStatus()).isEqualTo(ResultStatus.FAILED);
    assertThat(result.getErrorCode()).isEqualTo("QUOTA_EXHAUSTED");
    assertThat(result.getErrorMessage()).startsWith("every model of the chain failed (3 model(s), 3 call(s)); last: openai/gpt-4.1-mini: 429");
    assertThat(result.getContent()).isNull();
  }

  @Test
  void aRequestPastItsDeadlineIsNotSent() {
    RoutedRequest late = routed("r-late");
    late.getRequest().setDeadline(Instant.now().minusSeconds(1));

    RequestExecutor.Outcome outcome = executor().execute(late);

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.EXPIRED);
    assertThat(outcome.result().getErrorCode()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(outcome.usage()).isEmpty();
    assertThat(anthropic.calls()).isEmpty();
  }

  @Test
  void aProviderThatReportsNoUsageIsEstimatedAndMarked() {
    anthropic.then(new ProviderResponse("twelve words of answer in this particular reply for the test", "end_turn",
        0, 0, 0, false, "x"));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-nousage"));

    UsageEvent event = outcome.usage().get(0);
    assertThat(event.getEstimated()).isTrue();
    assertThat(event.getInputTokens()).isEqualTo(SampleRecords.decision().getEstimatedInputTokens());
    assertThat(event.getOutputTokens()).isBetween(10L, 16L);
    assertThat(outcome.result().getUsage().getEstimated()).isTrue();
  }

  @Test
  void aCallThatTimesOutIsRetriedAndItsInputCountedAsEstimated() {
    anthropic.then(Duration.ofSeconds(5), ok("quick", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed("r-timeout"));

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getOutcome())
        .containsExactly(AttemptOutcome.TIMEOUT, AttemptOutcome.OK);
    UsageEvent timedOut = outcome.usage().get(0);
    assertThat(timedOut.getEstimated()).isTrue();
    assertThat(timedOut.getInputTokens()).isEqualTo(SampleRecords.decision().getEstimatedInputTokens());
  }

  @Test
  void aProviderThisWorkerDoesNotServeIsAnAttemptAndTheChainGoesOn() {
    RoutedRequest routed = routed("r-unknown");
    routed.getDecision().setProvider("vertex");
    bedrock.then(ok("served", 100, 10));

    RequestExecutor.Outcome outcome = executor().execute(routed);

    assertThat(outcome.result().getAttempts().get(0).getErrorCode()).isEqualTo("NOT_CONFIGURED");
    assertThat(outcome.result().getProvider()).isEqualTo("bedrock");
  }

  @Test
  void theBreakerOpensAfterFailuresMovesTrafficToTheFallbackAndClosesAfterRecovery() throws Exception {
    RequestExecutor executor = executor();
    anthropic.otherwise(failure(ProviderException.Kind.SERVER_ERROR, 503));
    bedrock.otherwise(ok("fallback", 100, 10));

    // Two requests make 6 failed calls: the breaker (4 calls, 50%) opens
    executor.execute(routed("b-1"));
    executor.execute(routed("b-2"));
    int callsWhenOpen = anthropic.calls().size();
    RequestExecutor.Outcome whileOpen = executor.execute(routed("b-3"));

    assertThat(resilience.breaker("anthropic", "claude-sonnet-4-5").getState().name()).isEqualTo("OPEN");
    assertThat(anthropic.calls()).hasSize(callsWhenOpen);
    assertThat(whileOpen.result().getAttempts().get(0).getOutcome()).isEqualTo(AttemptOutcome.CIRCUIT_OPEN);
    assertThat(whileOpen.usage()).extracting(UsageEvent::getProvider).containsExactly("bedrock");
    assertThat(whileOpen.result().getProvider()).isEqualTo("bedrock");

    // After the open duration, one probe call goes through; it succeeds and the breaker closes
    anthropic.otherwise(ok("recovered", 100, 10));
    Thread.sleep(350);
    RequestExecutor.Outcome recovered = executor.execute(routed("b-4"));

    assertThat(recovered.result().getProvider()).isEqualTo("anthropic");
    assertThat(resilience.breaker("anthropic", "claude-sonnet-4-5").getState().name()).isEqualTo("CLOSED");
  }

  @Test
  void aStructuredAnswerThatDoesNotConformIsAskedAgainOnceThenTheNextFallbackAndEveryCallIsBilled() {
    RoutedRequest routed = routed("r-json");
    routed.getRequest().setResponseFormat(new io.modelrouter.avro.ResponseFormat("answer",
        "{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"integer\"}},\"required\":[\"total\"]}"));
    anthropic.then(ok("{\"total\": \"twelve\"}", 100, 10), ok("Total: 12", 100, 5));
    bedrock.then(ok("{\"total\": 12}", 90, 6));

    RequestExecutor.Outcome outcome = executor().execute(routed);

    InferenceResult result = outcome.result();
    assertThat(result.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(result.getModel()).isEqualTo("bedrock-claude-sonnet-4-5");
    assertThat(result.getContent()).isEqualTo("{\"total\": 12}");
    // once more on the same model, then the next fallback; the attempts say why
    assertThat(result.getAttempts()).extracting(a -> a.getModel() + " " + a.getOutcome()).containsExactly(
        "claude-sonnet-4-5 INVALID_OUTPUT", "claude-sonnet-4-5 INVALID_OUTPUT", "bedrock-claude-sonnet-4-5 OK");
    assertThat(result.getAttempts().get(0).getErrorMessage()).contains("does not conform to responseFormat answer")
        .contains("total");
    assertThat(result.getAttempts().get(1).getErrorMessage()).contains("not JSON");
    // the two answers that did not conform were billed all the same
    assertThat(outcome.usage()).extracting(UsageEvent::getInputTokens).containsExactly(100L, 100L, 90L);
    assertThat(result.getUsage().getOutputTokens()).isEqualTo(21);
    assertThat(outcome.usage()).extracting(UsageEvent::getFinalCall).containsExactly(false, false, true);
  }

  @Test
  void theResultCarriesTheAnswersBlocksTheRawStopReasonAndTheRequestsMetadata() {
    RoutedRequest routed = routed("r-tool");
    routed.getRequest().setMetadata(Map.of("ticket", "INC-7"));
    anthropic.then(new ProviderResponse("", "tool_use", 100, 20, 0, true, "msg_1",
        List.of(ProviderResponse.toolCall("toolu_1", "get_weather", "{\"location\":\"Oslo\"}")), "tool_use"));

    InferenceResult result = executor().execute(routed).result();

    assertThat(result.getStopReason()).isEqualTo("tool_use");
    assertThat(result.getProviderStopReason()).isEqualTo("tool_use");
    assertThat(result.getBlocks()).singleElement().satisfies(b -> {
      assertThat(b.getToolName()).isEqualTo("get_weather");
      assertThat(b.getToolArguments()).isEqualTo("{\"location\":\"Oslo\"}");
    });
    assertThat(result.getMetadata()).containsEntry("ticket", "INC-7");
  }

  @Test
  void cacheWritesAndReadsArePricedAsTheCatalogSaysAndTheSavingIsCounted() {
    RoutedRequest first = routed("r-cache-1");
    first.getDecision().setPromptCache("5m");
    // claude-sonnet-4-5: input $3, 5-minute write $3.75, cache read $0.30, output $15 per million tokens
    anthropic.then(new ProviderResponse("a", "end_turn", 2_100, 50, 0, true, "m1", List.of(), "end_turn", 2_000, 0),
        new ProviderResponse("b", "end_turn", 2_100, 50, 2_000, true, "m2", List.of(), "end_turn", 0, 0));

    RequestExecutor.Outcome write = executor().execute(first);
    RoutedRequest second = routed("r-cache-2");
    second.getDecision().setPromptCache("5m");
    RequestExecutor.Outcome read = executor().execute(second);

    // 100 x 3 + 2,000 x 3.75 + 50 x 15 = 8,550 micro-dollars; at the input price 7,050: caching cost 1,500 more
    assertThat(write.usage()).singleElement().satisfies(u -> {
      assertThat(u.getCostMicros()).isEqualTo(8_550);
      assertThat(u.getCacheWriteTokens()).isEqualTo(2_000);
      assertThat(u.getCacheSavedMicros()).isEqualTo(-1_500);
    });
    // 100 x 3 + 2,000 x 0.30 + 50 x 15 = 1,650; saved 5,400
    assertThat(read.usage()).singleElement().satisfies(u -> {
      assertThat(u.getCostMicros()).isEqualTo(1_650);
      assertThat(u.getCachedInputTokens()).isEqualTo(2_000);
      assertThat(u.getCacheSavedMicros()).isEqualTo(5_400);
    });
    assertThat(read.result().getUsage().getCachedInputTokens()).isEqualTo(2_000);
    assertThat(write.result().getUsage().getCacheWriteTokens()).isEqualTo(2_000);
    // the policy's TTL reached the adapter of a model that takes cache markers
    assertThat(anthropic.calls()).extracting(c -> c.promptCache()).containsExactly("5m", "5m");
  }

  @Test
  void noCacheMarkersGoToAModelWhoseCatalogEntryLacksPromptCaching() {
    RoutedRequest routed = routed("r-cache-kimi");
    routed.getDecision().setPromptCache("1h");
    routed.getDecision().setProvider("openai");
    routed.getDecision().setModel("kimi-k2");
    routed.getDecision().setProviderModelId("kimi-k2-0905-preview");
    routed.getDecision().setFallbacks(List.of(new ModelRef("gpt-4.1-mini", "openai", "gpt-4.1-mini")));
    openai.then(failure(ProviderException.Kind.BAD_REQUEST, 400), ok("fine", 10, 2));

    executor().execute(routed);

    // kimi-k2 (no prompt_caching) got none; gpt-4.1-mini (prompt_caching) got the TTL
    assertThat(openai.calls()).extracting(c -> c.providerModelId() + " " + c.promptCache())
        .containsExactly("kimi-k2-0905-preview null", "gpt-4.1-mini 1h");
  }
}
