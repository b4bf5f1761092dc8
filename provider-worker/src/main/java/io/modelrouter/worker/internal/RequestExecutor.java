package io.modelrouter.worker.internal;

import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.content.Capabilities;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.prompt.TokenEstimator;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.provider.ProviderException;
import io.modelrouter.worker.provider.ProviderRequest;
import io.modelrouter.worker.provider.ProviderResponse;
import io.modelrouter.worker.resilience.ResilientCalls;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * Executes one routed request: the decision's model, then its fallbacks, each under the provider's resilience
 * policy. Every call made becomes a usage event (what was billed); every attempt, made or refused (open breaker,
 * full bulkhead), is listed on the result. A context-window error skips to a model with a larger window. A request
 * past its deadline is not sent. Thread-safe; one {@link #execute} per request, on its own virtual thread.
 */
public final class RequestExecutor {

  /** What a request produced: the usage events of its calls, in order, and its one result. */
  public record Outcome(List<UsageEvent> usage, InferenceResult result) {}

  /**
   * Told of each call's usage event as soon as it is known, so that a billed call is written before the request
   * ends (a worker that dies in the middle of a request must not lose what its calls cost). A successful call is
   * handed over when it returns (it is the request's last); a failed one when the next call starts or the request
   * ends, because only then is it known whether it was the last ({@code finalCall}).
   */
  @FunctionalInterface
  public interface UsageSink {
    UsageSink NONE = event -> { };

    void accept(UsageEvent event);

    /**
     * Before a call reaches the provider, on the thread that makes it: an estimate of what the call may cost (its
     * estimated input tokens, outcome UNKNOWN, {@code estimated}) under the id its own event will have. A sink that
     * keeps a write-ahead record bills this estimate if its process dies before the call's event is handed over.
     */
    default void started(UsageEvent estimate) {
    }
  }

  private final Map<String, Provider> providers;
  private final ResilientCalls resilience;
  private final ModelCatalog catalog;
  private final Map<String, Duration> timeouts;
  private final TokenEstimator tokens = new TokenEstimator();
  private final io.modelrouter.schemas.content.JsonSchemaText schemas = new io.modelrouter.schemas.content.JsonSchemaText();
  private final Clock clock;
  private final java.util.function.Consumer<Outcome> listener;

  /**
   * @param timeouts each provider's per-call timeout
   */
  public RequestExecutor(Map<String, Provider> providers, ResilientCalls resilience, ModelCatalog catalog,
      Map<String, Duration> timeouts, Clock clock) {
    this(providers, resilience, catalog, timeouts, clock, outcome -> { });
  }

  /**
   * @param listener told of every outcome (metrics); must be cheap and must not throw
   */
  public RequestExecutor(Map<String, Provider> providers, ResilientCalls resilience, ModelCatalog catalog,
      Map<String, Duration> timeouts, Clock clock, java.util.function.Consumer<Outcome> listener) {
    this.listener = listener;
    this.providers = Map.copyOf(providers);
    this.resilience = resilience;
    this.catalog = catalog;
    this.timeouts = Map.copyOf(timeouts);
    this.clock = clock;
  }

  /** Executes the request; its usage events are ids {@code <requestId>#<call>}. */
  public Outcome execute(RoutedRequest routed) {
    return execute(routed, null, UsageSink.NONE);
  }

  /**
   * Executes the request, handing each call's usage event to {@code sink} as soon as it is known.
   *
   * @param execution distinguishes this execution of the request from another one (after a crash, the request is
   *     executed again and its calls are billed again): usage event ids are {@code <requestId>#<call>@<execution>};
   *     null for {@code <requestId>#<call>}
   */
  public Outcome execute(RoutedRequest routed, String execution, UsageSink sink) {
    Outcome outcome = run(routed, execution, sink);
    listener.accept(outcome);
    return outcome;
  }

  /**
   * What makes a routed request one no provider may be called for, naming the field; null when there is nothing.
   * The router never routes such a request; another writer on {@code llm.requests.routed} may (found by
   * {@code FuzzBenchmark}: a routed record with {@code maxTokens} -10240 was sent to two models, which both failed).
   */
  static String invalid(RoutedRequest routed) {
    InferenceRequest request = routed.getRequest();
    RoutingDecision decision = routed.getDecision();
    if (request.getMessages() == null || request.getMessages().isEmpty()) {
      return "messages: must hold at least one message";
    }
    if (decision.getMaxTokens() <= 0) {
      return "decision.maxTokens: must be positive, got " + decision.getMaxTokens();
    }
    if (request.getMaxTokens() != null && request.getMaxTokens() <= 0) {
      return "maxTokens: must be positive, got " + request.getMaxTokens();
    }
    Double temperature = request.getTemperature();
    if (temperature != null && (temperature.isNaN() || temperature < 0 || temperature > 2)) {
      return "temperature: must be between 0 and 2, got " + temperature;
    }
    return null;
  }

  private Outcome run(RoutedRequest routed, String execution, UsageSink sink) {
    InferenceRequest request = routed.getRequest();
    RoutingDecision decision = routed.getDecision();
    Instant started = clock.instant();
    Calls calls = new Calls(request, execution == null ? "" : "@" + execution, sink);
    if (expired(request, started)) {
      return calls.finish(ResultStatus.EXPIRED, decision, null, null, "DEADLINE_EXCEEDED",
          "the deadline " + request.getDeadline() + " passed before the request was sent", started);
    }
    String invalid = invalid(routed);
    if (invalid != null) {
      return calls.finish(ResultStatus.REJECTED, decision, null, null, "INVALID_REQUEST", invalid, started);
    }
    List<ModelRef> chain = new ArrayList<>();
    chain.add(new ModelRef(decision.getModel(), decision.getProvider(), decision.getProviderModelId()));
    chain.addAll(decision.getFallbacks());
    String lastCode = "NO_MODEL";
    String lastMessage = "the decision named no model";
    int contextTooSmall = 0;
    boolean askedAgain = false;
    for (int index = 0; index < chain.size(); index++) {
      ModelRef target = chain.get(index);
      ModelSpec spec = catalog.get(target.getModel());
      if (contextTooSmall > 0 && spec != null && spec.getContextWindow() <= contextTooSmall) {
        continue;
      }
      if (expired(request, clock.instant())) {
        return calls.finish(ResultStatus.EXPIRED, decision, null, null, "DEADLINE_EXCEEDED",
            "the deadline " + request.getDeadline() + " passed after " + calls.made() + " call(s); last: "
                + lastMessage, started);
      }
      Provider provider = providers.get(target.getProvider());
      if (provider == null) {
        lastCode = ProviderException.Kind.NOT_CONFIGURED.name();
        lastMessage = "no provider named '" + target.getProvider() + "' is configured on this worker";
        calls.refused(target, AttemptOutcome.NON_RETRYABLE_ERROR, null, lastCode, lastMessage, Duration.ZERO);
        continue;
      }
      ProviderRequest call = providerRequest(routed, target, spec, provider);
      try {
        java.util.function.Supplier<Duration> remaining = request.getDeadline() == null ? null
            : () -> Duration.between(clock.instant(), request.getDeadline());
        // A BATCH request's call also passes the provider's batch bulkhead: interactive calls keep the rest
        boolean batch = request.getPriority() == io.modelrouter.avro.Priority.BATCH;
        ProviderResponse response = resilience.call(provider.name(), target.getModel(), remaining, batch, () -> {
              int number = calls.next(target, spec, call, provider);
              long sent = System.nanoTime();
              ProviderResponse answer = provider.call(call.withCall(number));
              String nonConforming = nonConforming(request, answer);
              if (nonConforming != null) {
                // billed all the same: counted as a failed call by observed()
                throw new ProviderException(ProviderException.Kind.INVALID_OUTPUT, 200, "structured_output_invalid",
                    nonConforming, null, null).withBilled(answer);
              }
              // On the call's own thread, as the answer arrives: its usage event is handed over (and journaled) now,
              // not after the hand-off back to this request's thread, which a busy machine can delay by 100 ms
              calls.answered(number, target, spec, call, provider, Duration.ofNanos(System.nanoTime() - sent),
                  answer);
              return answer;
            },
            (elapsed, answer, failure) -> calls.observed(target, spec, call, provider, elapsed, answer, failure));
        return calls.finish(ResultStatus.OK, decision, target, response, null, null, started);
      } catch (ProviderException e) {
        lastCode = e.kind().name();
        lastMessage = describe(target, e);
        if (e.kind() == ProviderException.Kind.CONTEXT_WINDOW && spec != null) {
          contextTooSmall = Math.max(contextTooSmall, spec.getContextWindow());
        }
        if (e.kind() == ProviderException.Kind.INVALID_OUTPUT && !askedAgain) {
          // asked once more on the same model, then the next fallback
          askedAgain = true;
          index--;
          continue;
        }
        askedAgain = false;
      } catch (ResilientCalls.DeadlineExceededException e) {
        // Cut at the deadline, not at the provider's timeout: a hanging provider holds the request no longer
        return calls.finish(ResultStatus.EXPIRED, decision, null, null, "DEADLINE_EXCEEDED",
            e.getMessage() + "; " + calls.made() + " call(s)", started);
      } catch (Exception e) {
        if (e instanceof InterruptedException || Thread.currentThread().isInterrupted()) {
          // The worker stopped, or lost this request's partition: its result will not be committed here, so no
          // fallback is called (and billed) for it; the partition's next owner executes it again.
          Thread.currentThread().interrupt();
          return calls.finish(ResultStatus.FAILED, decision, null, null, "INTERRUPTED",
              "the worker stopped or gave up the request's partition during the call to " + target.getProvider()
                  + "/" + target.getModel() + "; " + calls.made() + " call(s)", started);
        }
        lastCode = outcome(e).name();
        lastMessage = target.getProvider() + "/" + target.getModel() + ": " + e.getMessage();
        askedAgain = false;
      }
    }
    return calls.finish(ResultStatus.FAILED, decision, null, null, lastCode,
        "every model of the chain failed (" + chain.size() + " model(s), " + calls.made() + " call(s)); last: "
            + lastMessage, started);
  }

  /** What a provider is asked for this request on this model (also as an item of a batch). */
  ProviderRequest providerRequest(RoutedRequest routed, ModelRef target, ModelSpec spec, Provider provider) {
    InferenceRequest request = routed.getRequest();
    RoutingDecision decision = routed.getDecision();
    int maxTokens = spec == null ? decision.getMaxTokens() : Math.min(decision.getMaxTokens(), spec.getMaxOutputTokens());
    return new ProviderRequest(request.getRequestId(),
        target.getProviderModelId().isEmpty() && spec != null ? spec.getProviderModelId() : target.getProviderModelId(),
        request.getSystemPrompt(), request.getMessages(), maxTokens, decision.getTemperature(),
        decision.getEstimatedInputTokens(), timeouts.getOrDefault(provider.name(), Duration.ofSeconds(60)), 0,
        request.getTools(), request.getToolChoice(), request.getResponseFormat(), request.getStopSequences(),
        // cache markers only where the catalog says the model takes them
        spec != null && Capabilities.has(spec, Capabilities.PROMPT_CACHING) ? decision.getPromptCache() : null,
        decision.getCacheConversation());
  }

  /** The request for the decision's model, as sent in a batch; null when its provider is not configured here. */
  public ProviderRequest batchItem(RoutedRequest routed) {
    RoutingDecision decision = routed.getDecision();
    Provider provider = providers.get(decision.getProvider());
    if (provider == null) {
      return null;
    }
    ModelRef target = new ModelRef(decision.getModel(), decision.getProvider(), decision.getProviderModelId());
    return providerRequest(routed, target, catalog.get(decision.getModel()), provider);
  }

  /** Why a batch's answer does not conform to the request's response format; null when it does (or has none). */
  public String nonConformingAnswer(RoutedRequest routed, ProviderResponse answer) {
    return nonConforming(routed.getRequest(), answer);
  }

  /**
   * A request answered through its provider's batch API: one usage event, {@code <requestId>#batch}, billed at the
   * model's batch price (what it saved on it), and an OK result naming the batch. Deterministic ids: the batch
   * coordinator writes both in the transaction that ends the batch, so exactly once.
   *
   * @param elapsed from the batch's submission to its end (the item's "latency" at the provider)
   */
  public Outcome batchAnswer(RoutedRequest routed, ProviderResponse response, String batchId, Duration elapsed) {
    InferenceRequest request = routed.getRequest();
    RoutingDecision decision = routed.getDecision();
    Instant started = clock.instant();
    ModelRef target = new ModelRef(decision.getModel(), decision.getProvider(), decision.getProviderModelId());
    Provider provider = providers.get(decision.getProvider());
    Calls calls = new Calls(request, "", UsageSink.NONE);
    calls.batchId = batchId;
    ProviderRequest call = batchItem(routed);
    calls.answered(1, target, catalog.get(decision.getModel()), call, provider, elapsed, response);
    Outcome outcome = calls.finish(ResultStatus.OK, decision, target, response, null, null, started);
    outcome.result().setBatchId(batchId);
    listener.accept(outcome);
    return outcome;
  }

  /**
   * Why an answer does not conform to the request's response format (its text is not JSON, or not valid against the
   * schema); null when it does, or when the request has none. A refusal or a cut-off answer is not judged here: it
   * is answered as it is, its stop reason saying why.
   */
  private String nonConforming(InferenceRequest request, ProviderResponse answer) {
    if (request.getResponseFormat() == null || !"end_turn".equals(answer.stopReason())) {
      return null;
    }
    List<String> violations = schemas.violations(request.getResponseFormat().getJsonSchema(), answer.content());
    return violations.isEmpty() ? null : "the answer does not conform to responseFormat "
        + request.getResponseFormat().getName() + ": " + String.join("; ", violations);
  }

  private static boolean expired(InferenceRequest request, Instant now) {
    return request.getDeadline() != null && !now.isBefore(request.getDeadline());
  }

  private static String describe(ModelRef target, ProviderException e) {
    return target.getProvider() + "/" + target.getModel() + ": "
        + (e.httpStatus() == null ? "" : e.httpStatus() + " ") + (e.errorCode() == null ? "" : e.errorCode() + ": ")
        + e.getMessage();
  }

  static AttemptOutcome outcome(Throwable failure) {
    if (failure instanceof ProviderException e) {
      return switch (e.kind()) {
        case RATE_LIMITED -> AttemptOutcome.RATE_LIMITED;
        case SERVER_ERROR, NETWORK, MALFORMED_RESPONSE -> AttemptOutcome.RETRYABLE_ERROR;
        case TIMEOUT -> AttemptOutcome.TIMEOUT;
        case CONTEXT_WINDOW -> AttemptOutcome.CONTEXT_WINDOW_EXCEEDED;
        case BAD_REQUEST, AUTH, CONTENT_POLICY, NOT_CONFIGURED, QUOTA_EXHAUSTED -> AttemptOutcome.NON_RETRYABLE_ERROR;
        case INVALID_OUTPUT -> AttemptOutcome.INVALID_OUTPUT;
      };
    }
    if (failure instanceof TimeoutException || failure instanceof ResilientCalls.DeadlineExceededException) {
      return AttemptOutcome.TIMEOUT;
    }
    if (failure instanceof CallNotPermittedException) {
      return AttemptOutcome.CIRCUIT_OPEN;
    }
    if (failure instanceof BulkheadFullException) {
      return AttemptOutcome.BULKHEAD_FULL;
    }
    if (failure instanceof RequestNotPermitted) {
      return AttemptOutcome.RATE_LIMITED;
    }
    return AttemptOutcome.UNKNOWN;
  }

  /** The calls of one request: numbering, attempts, usage events, and the result at the end. */
  private final class Calls {
    private final InferenceRequest request;
    private final String executionSuffix;
    private final UsageSink sink;
    private final List<Attempt> attempts = new ArrayList<>();
    private final List<UsageEvent> usage = new ArrayList<>();
    /** A failed call's event, not handed to the sink until it is known whether another call follows. */
    private UsageEvent held;
    private int numbered;
    private int lastObserved;
    private boolean simulated;
    /** Set for a request answered through a batch: one call, {@code <requestId>#batch}, at the batch price. */
    String batchId;

    Calls(InferenceRequest request, String executionSuffix, UsageSink sink) {
      this.request = request;
      this.executionSuffix = executionSuffix;
      this.sink = sink;
    }

    /**
     * Numbers a call about to reach the provider (the previous failed call was therefore not the last) and hands the
     * sink its intent: the estimate that stands for it until its own event is known.
     */
    int next(ModelRef target, ModelSpec spec, ProviderRequest call, Provider provider) {
      int number;
      synchronized (this) {
        if (held != null) {
          sink.accept(held);
          held = null;
        }
        number = ++numbered;
      }
      // outside the lock: the request's thread may want it meanwhile (a timeout's observed())
      sink.started(event(callEventId(number), target, spec, call.estimatedInputTokens(), 0, 0, 0, 0, true,
          Duration.ZERO, AttemptOutcome.UNKNOWN, provider));
      return number;
    }

    synchronized int made() {
      return usage.size();
    }

    synchronized void refused(ModelRef target, AttemptOutcome outcome, Integer status, String code, String message,
        Duration elapsed) {
      attempts.add(new Attempt(target.getProvider(), target.getModel(), outcome, elapsed.toMillis(), status, code,
          message, 0L, 0L, clock.instant().minus(elapsed)));
    }

    /**
     * A provider's answer to call {@code number}, on the thread that made the call: its usage event goes to the sink
     * at once. A late answer to a call already given up as timed out replaces that call's held failure event, or,
     * when that one was already handed over, is not counted again (its estimate stands).
     */
    synchronized void answered(int number, ModelRef target, ModelSpec spec, ProviderRequest call, Provider provider,
        Duration elapsed, ProviderResponse response) {
      String id = batchId != null ? request.getRequestId() + "#batch"
          : callEventId(number);
      for (UsageEvent earlier : usage) {
        if (earlier.getEventId().equals(id)) {
          if (earlier != held) {
            return;
          }
          usage.remove(held);
          held = null;
          break;
        }
      }
      boolean estimated = !response.usageReported();
      long input = estimated ? call.estimatedInputTokens() : response.inputTokens();
      long output = estimated ? tokens.estimate(response.content()) : response.outputTokens();
      long cached = estimated ? 0 : response.cachedInputTokens();
      long writes = estimated ? 0 : response.cacheWriteTokens();
      long writes1h = estimated ? 0 : response.cacheWrite1hTokens();
      simulated |= provider.simulated();
      attempts.add(new Attempt(target.getProvider(), target.getModel(), AttemptOutcome.OK, elapsed.toMillis(), 200,
          null, null, input, output, clock.instant().minus(elapsed)));
      UsageEvent event = event(id, target, spec, input, output, cached, writes, writes1h, estimated, elapsed,
          AttemptOutcome.OK,
          provider);
      // A successful call ends the request.
      event.setFinalCall(true);
      usage.add(event);
      sink.accept(event);
    }

    /** The usage event id of call {@code number} of this execution: {@code <requestId>#<n><execution>}. */
    private String callEventId(int number) {
      return request.getRequestId() + "#" + number + executionSuffix;
    }

    /** Whether call {@code number} of this execution was answered (its event handed over by answered()). */
    private boolean answeredAlready(int number) {
      String id = callEventId(number);
      for (UsageEvent event : usage) {
        if (event.getEventId().equals(id)) {
          return true;
        }
      }
      return false;
    }

    /** One attempt the Retry made: a call reached the provider unless the breaker, bulkhead or limiter refused it. */
    synchronized void observed(ModelRef target, ModelSpec spec, ProviderRequest call, Provider provider,
        Duration elapsed, ProviderResponse response, Throwable failure) {
      // The call was made if the attempt got as far as numbering it (an open breaker, a full bulkhead or a refused
      // rate permit stops it before).
      boolean reachedProvider = numbered > lastObserved;
      lastObserved = numbered;
      Instant startedAt = clock.instant().minus(elapsed);
      if (response != null) {
        return; // counted by answered(), on the call's thread
      }
      if (reachedProvider && answeredAlready(numbered)) {
        // The answer came first, on the call's thread, and this failure after it: the request's thread gave up
        // waiting (its timeout or deadline fired, or it was interrupted: a worker stopping, a partition lost) just
        // as the answer arrived. The call is counted once, as answered; a failure event would repeat its id.
        return;
      }
      AttemptOutcome outcome = outcome(failure);
      Integer status = failure instanceof ProviderException e ? e.httpStatus() : null;
      String code = failure instanceof ProviderException e ? e.errorCode() : outcome.name();
      String message = failure instanceof ProviderException e ? e.getMessage() : String.valueOf(failure.getMessage());
      ProviderResponse billed = failure instanceof ProviderException e ? e.billed().orElse(null) : null;
      long input;
      long output = 0;
      long cached = 0;
      long writes = 0;
      long writes1h = 0;
      boolean estimated;
      if (billed != null) {
        // The call failed the request but was billed (e.g. it stopped at the context window): count what it cost.
        input = billed.inputTokens();
        output = billed.outputTokens();
        cached = billed.cachedInputTokens();
        writes = billed.cacheWriteTokens();
        writes1h = billed.cacheWrite1hTokens();
        estimated = !billed.usageReported();
      } else {
        // A call that timed out may still have been processed and billed: count its input, marked estimated.
        input = reachedProvider && outcome == AttemptOutcome.TIMEOUT ? call.estimatedInputTokens() : 0;
        estimated = input > 0;
      }
      attempts.add(new Attempt(target.getProvider(), target.getModel(), outcome, elapsed.toMillis(), status, code,
          message, input, output, startedAt));
      if (reachedProvider) {
        simulated |= provider.simulated();
        held = event(callEventId(numbered), target, spec, input, output, cached,
            writes, writes1h,
            estimated, elapsed, outcome, provider);
        usage.add(held);
      }
    }

    private UsageEvent event(String id, ModelRef target, ModelSpec spec, long input, long output, long cached,
        long writes, long writes1h,
        boolean estimated, Duration elapsed, AttemptOutcome outcome, Provider provider) {
      return UsageEvent.newBuilder()
          .setEventId(id)
          .setRequestId(request.getRequestId())
          .setTeamId(request.getTeamId())
          .setPipelineId(request.getPipelineId())
          .setSessionId(request.getSessionId())
          .setTaskType(request.getTaskType())
          .setProvider(target.getProvider())
          .setModel(target.getModel())
          .setInputTokens(input)
          .setOutputTokens(output)
          .setCachedInputTokens(cached)
          .setCacheWriteTokens(writes)
          .setCacheWrite1hTokens(writes1h)
          .setCacheSavedMicros(spec == null ? 0 : Pricing.cacheSavedMicros(spec, input, output, cached, writes, writes1h))
          .setEstimated(estimated)
          .setCostMicros(spec == null ? 0 : batchPriced(spec)
              ? Pricing.batchCostMicros(spec, input, output, cached, writes, writes1h)
              : Pricing.costMicros(spec, input, output, cached, writes, writes1h))
          .setBatchSavedMicros(spec == null || !batchPriced(spec) ? 0
              : Pricing.costMicros(spec, input, output, cached, writes, writes1h)
                  - Pricing.batchCostMicros(spec, input, output, cached, writes, writes1h))
          .setCreditsMicros(spec == null ? 0 : Pricing.creditsMicros(spec, input, output))
          .setLatencyMs(elapsed.toMillis())
          .setOutcome(outcome)
          .setFinalCall(false)
          .setSimulated(provider.simulated())
          .setEventTime(clock.instant())
          .build();
    }

    private boolean batchPriced(ModelSpec spec) {
      return batchId != null && spec.getBatchPriceMilli() > 0;
    }

    synchronized Outcome finish(ResultStatus status, RoutingDecision decision, ModelRef answeredBy,
        ProviderResponse response, String errorCode, String errorMessage, Instant started) {
      if (!usage.isEmpty()) {
        usage.get(usage.size() - 1).setFinalCall(true);
      }
      if (held != null) {
        sink.accept(held);
        held = null;
      }
      long input = 0;
      long output = 0;
      long cached = 0;
      long writes = 0;
      long writes1h = 0;
      long cost = 0;
      long credits = 0;
      boolean estimated = false;
      for (UsageEvent e : usage) {
        input += e.getInputTokens();
        output += e.getOutputTokens();
        cached += e.getCachedInputTokens();
        writes += e.getCacheWriteTokens();
        writes1h += e.getCacheWrite1hTokens();
        cost += e.getCostMicros();
        credits += e.getCreditsMicros();
        estimated |= e.getEstimated();
      }
      Instant now = clock.instant();
      Instant from = request.getCreatedAt() != null ? request.getCreatedAt() : started;
      InferenceResult result = Results.of(request)
          .setStatus(status)
          .setProfile(decision.getProfile())
          .setProvider(answeredBy == null ? null : answeredBy.getProvider())
          .setModel(answeredBy == null ? null : answeredBy.getModel())
          .setContent(response == null ? null : response.content())
          .setStopReason(response == null ? null : response.stopReason())
          .setProviderStopReason(response == null ? null : response.providerStopReason())
          .setBlocks(response == null ? List.of() : response.blocks())
          .setUsage(new TokenUsage(input, output, cached, writes, writes1h, estimated))
          .setCostMicros(cost)
          .setCreditsMicros(credits)
          .setAttempts(List.copyOf(attempts))
          .setRoutingReason(decision.getReason())
          .setPolicyVersion(decision.getPolicyVersion())
          .setRateLimitWaitMs(decision.getRateLimitWaitMs())
          .setErrorCode(errorCode)
          .setErrorMessage(errorMessage)
          .setLatencyMs(Math.max(0, Duration.between(from, now).toMillis()))
          .setSimulated(simulated)
          .setCompletedAt(now)
          .build();
      return new Outcome(List.copyOf(usage), result);
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "RequestExecutor(providers %s)", providers.keySet());
  }
}
