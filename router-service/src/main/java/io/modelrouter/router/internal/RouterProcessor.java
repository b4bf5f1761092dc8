package io.modelrouter.router.internal;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Reservation;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.SessionAsk;
import io.modelrouter.avro.SessionRoute;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.router.routing.Admission;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.runtime.StreamsDeadLetters;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.budget.Spend;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.prompt.PromptText;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes a request, routes it, and emits one outcome: a routed request, a REJECTED or PAUSED result, a dead
 * letter (bytes that are not a request), or a re-key (a record keyed by something other than its team).
 *
 * <p>Requests are decoded here rather than by the source's deserializer so that a poison record becomes a DLQ
 * record of this task's exactly-once transaction (Kafka Streams 4.1's deserialization handlers cannot emit
 * records). A registry that cannot be reached is not the record's fault: that error fails the task, which
 * Kafka Streams restarts, and the record is read again. Any other unexpected error while routing a request answers
 * it REJECTED with errorCode INTERNAL_ERROR, so one request cannot stop its partition.
 */
public final class RouterProcessor implements Processor<String, byte[], String, RouterOutcome> {
  private static final Logger LOG = LoggerFactory.getLogger(RouterProcessor.class);
  static final String SERVICE = "router";
  private static final byte[] BATCH_LANE = "batch".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private final Topics topics;
  private final RoutingEngine engine;
  private final RoutingPolicy defaultPolicy;
  private final Map<String, ModelSpec> defaultCatalog;
  private final RouterConfig.Admission admission;
  private final boolean rekeyMismatches;
  private final RouterMetrics metrics;
  private io.modelrouter.runtime.Tracing tracing = io.modelrouter.runtime.Tracing.disabled();

  private ProcessorContext<String, RouterOutcome> context;
  private StoreView<CompiledPolicy> policies;
  private StoreView<ModelSpec> models;
  private StoreView<BudgetAction> budgets;
  private TeamModels teamModels;
  private CompiledPolicy builtinPolicy;
  private ModelCatalog catalog;
  private RequestCodec codec;
  private final PromptText text = new PromptText();
  private KeyValueStore<String, SpendLedger> ledgers;
  private KeyValueStore<String, Reservation> reservations;
  private KeyValueStore<String, BudgetPolicy> budgetPolicies;
  private KeyValueStore<String, SessionRoute> sessions;
  private KeyValueStore<String, SessionAsk> sessionAsks;
  private RateLimiter rates;
  private ResponseCache cache;

  /**
   * @param rekeyMismatches true on the first pass; false after the repartition, where keys are team ids
   */
  public RouterProcessor(Topics topics, RoutingEngine engine, RoutingPolicy defaultPolicy,
      Map<String, ModelSpec> defaultCatalog, RouterConfig.Admission admission, boolean rekeyMismatches,
      RouterMetrics metrics) {
    this.topics = topics;
    this.engine = engine;
    this.defaultPolicy = defaultPolicy;
    this.defaultCatalog = defaultCatalog;
    this.admission = admission;
    this.rekeyMismatches = rekeyMismatches;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, RouterOutcome> context) {
    this.context = context;
    this.policies = StoreView.timestamped(store(RouterStores.ROUTING_POLICIES),
        raw -> CompiledPolicy.compile(topics.routingPolicies().deserializeValue(raw)));
    this.models = StoreView.timestamped(store(RouterStores.CATALOG), topics.models()::deserializeValue);
    this.budgets = StoreView.plain(context.getStateStore(RouterStores.BUDGET_ACTIONS),
        topics.budgetActions()::deserializeValue);
    this.ledgers = context.getStateStore(RouterStores.LEDGERS);
    this.reservations = context.getStateStore(RouterStores.RESERVATIONS);
    this.budgetPolicies = context.getStateStore(RouterStores.BUDGET_POLICIES);
    this.sessions = context.getStateStore(RouterStores.SESSIONS);
    this.sessionAsks = context.getStateStore(RouterStores.SESSION_ASKS);
    this.rates = new RateLimiter(context.getStateStore(RouterStores.RATE_BUCKETS),
        context.getStateStore(RouterStores.RATE_QUEUE));
    this.cache = new ResponseCache(context.getStateStore(RouterStores.RESPONSE_CACHE),
        context.getStateStore(RouterStores.RESPONSE_PENDING));
    if (rekeyMismatches) {
      // One release loop per task: both passes share the task's stores.
      context.schedule(RouterStores.RATE_RELEASE_INTERVAL, org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
          this::releaseWaiting);
    }
    this.teamModels = new TeamModels(store(RouterStores.LEARNED_MODELS), store(RouterStores.LEARNED_MODEL_PINS),
        topics, context::currentSystemTimeMs);
    this.builtinPolicy = CompiledPolicy.compile(defaultPolicy);
    this.codec = new RequestCodec(topics);
    this.catalog = id -> {
      if (id == null) {
        return null;
      }
      if (models.isEmpty()) {
        return defaultCatalog.get(id);
      }
      try {
        return models.get(id);
      } catch (SchemaSerdeException e) {
        if (e.isRetryable()) {
          throw e;
        }
        LOG.error("catalog entry {} on {} cannot be read; treating the model as absent: {}", id,
            topics.models().name(), e.getMessage());
        return null;
      }
    };
  }

  private KeyValueStore<String, ValueAndTimestamp<byte[]>> store(String name) {
    return context.getStateStore(name);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    if (!queuedBehindItsTeam(record)) {
      handle(record, null);
    }
  }

  /**
   * A request of a team that has requests waiting for its rate limit queues behind them as it is, without being
   * decoded or routed (it will be when its turn comes): a team sending far over its limit costs the router little
   * more than a store write per request, and the other teams' requests on the same thread do not wait for it.
   */
  private boolean queuedBehindItsTeam(Record<String, byte[]> record) {
    String team = record.key();
    if (team == null || record.value() == null || record.value().length > admission.maxRequestBytes()) {
      return false;
    }
    io.modelrouter.avro.RateLimits limits = policyFor(team).rateLimits();
    if (limits == null || rates.waiting(team) == 0) {
      return false;
    }
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    RateLimiter.Verdict verdict = rates.enqueue(team, limits,
        () -> RateLimiter.waiting(record.value(), headers(record), now, null, -1), now);
    if (verdict != RateLimiter.Verdict.QUEUED) {
      return false; // a full queue: the normal path answers REJECTED, which needs the request decoded
    }
    metrics.rateLimited("queued", 0);
    return true;
  }

  /**
   * Decodes, checks and routes one request record.
   *
   * @param waitedMs null for a request as it arrives (its team's rate limit applies); for one released from the
   *     rate-limit queue, how long it waited
   * @return the estimated tokens of the request when it was routed; -1 when it was not (answered, dead-lettered)
   */
  private long handle(Record<String, byte[]> record, Long waitedMs) {
    InferenceRequest request;
    try {
      request = record.value() == null ? null : codec.decode(record.value(), text);
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
      return -1;
    } catch (RuntimeException e) {
      deadLetter(record, e);
      return -1;
    }
    if (request == null) {
      deadLetter(record, new IllegalArgumentException("a request record has no value (tombstone)"));
      return -1;
    }
    String teamId = request.getTeamId();
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    String key = teamId == null ? record.key() : teamId;
    if (record.value().length > admission.maxRequestBytes()) {
      // Answered before any rekeying or routing: neither the repartition topic nor llm.requests.routed would take it
      RouteOutcome tooLarge = new RouteOutcome.Rejected("REQUEST_TOO_LARGE", "request", String.format(Locale.ROOT,
          "the request record is %,d bytes, more than the router's limit of %,d bytes (router.max.request.bytes)",
          record.value().length, admission.maxRequestBytes()), "", "");
      emit(record, key, tooLarge, value(tooLarge, request, record, now));
      return -1;
    }
    if (rekeyMismatches && teamId != null && !teamId.isBlank() && !teamId.equals(record.key())) {
      context.forward(record.withKey(teamId).withValue(new RouterOutcome.Rekey(teamId, record.value())));
      return -1;
    }
    if (waitedMs != null && request.getDeadline() != null && !now.isBefore(request.getDeadline())) {
      expireWaiting(record, request, key, waitedMs, now);
      return -1;
    }
    String version = "";
    RouteOutcome outcome;
    RouterOutcome value;
    try {
      CompiledPolicy policy = policyFor(teamId);
      version = policy.version();
      BudgetStatus status = budgetOf(teamId);
      // both models learn a team's exemplars; the router watches sessions for the embedding model's teams only (a
      // store write per request: the lexical model's teams are taught by explicit feedback and the worker's signals)
      boolean learnedStrategy = policy.auto().getStrategy() == AutoStrategy.LEARNED;
      boolean learning = learnedStrategy && !RoutingEngine.LEXICAL.equals(policy.auto().getModel());
      RouterModel learned = learnedStrategy ? teamModels.forTeam(teamId) : null;
      String sessionKey = sessionKey(request, policy);
      SessionRoute session = sessionKey == null ? null : sessions.get(sessionKey);
      if (session != null && session.getLastSeen().isBefore(now.minus(RouterStores.SESSION_IDLE))) {
        session = null;
      }
      outcome = engine.route(request, text, policy, catalog, status, learned,
          session == null ? null : session.getProfile(), now);
      String fingerprint = null;
      if (teamId != null && outcome instanceof RouteOutcome.Routed routed
          && ResponseCache.cacheable(policy.responseCache(), request, routed.decision())) {
        fingerprint = ResponseCache.fingerprint(request, routed.decision());
        io.modelrouter.avro.CachedResponse hit = cache.lookup(teamId, fingerprint, now);
        if (hit != null) {
          InferenceResult answer = ResponseCache.answer(topics.results().deserializeValue(bytes(hit.getAnswer())),
              request, routed.decision(), version, waitedMs == null ? 0 : waitedMs, hit.getStoredAt(), now);
          metrics.responseCache("hit", answer.getResponseCacheSavedMicros());
          context.forward(record.withKey(key).withValue(new RouterOutcome.AnsweredFromCache(answer,
              ResponseCache.usage(answer, now))));
          metrics.answered("OK", "RESPONSE_CACHE");
          return -1;
        }
        metrics.responseCache("miss", 0);
      }
      if (waitedMs == null && teamId != null && policy.rateLimits() != null
          && outcome instanceof RouteOutcome.Routed routed) {
        RoutingDecision decision = routed.decision();
        long tokens = (long) decision.getEstimatedInputTokens() + decision.getEstimatedOutputTokens();
        RateLimiter.Verdict verdict = rates.offer(teamId, policy.rateLimits(), tokens, () -> RateLimiter.waiting(
            record.value(), headers(record), now, request.getDeadline(), tokens), now);
        if (verdict == RateLimiter.Verdict.QUEUED) {
          metrics.rateLimited("queued", 0);
          return -1;
        }
        if (verdict == RateLimiter.Verdict.QUEUE_FULL) {
          metrics.rateLimited("queue_full", 0);
          outcome = new RouteOutcome.Rejected("RATE_LIMIT_QUEUE_FULL", "rateLimits.maxQueued", String.format(
              Locale.ROOT, "team %s already has %,d requests waiting for its rate limit (%s), the most its routing "
                  + "policy lets wait; send fewer or raise rateLimits", teamId, policy.rateLimits().getMaxQueued(),
              RateLimiter.describe(policy.rateLimits())), decision.getReason(), version);
        }
      }
      if (waitedMs != null && outcome instanceof RouteOutcome.Routed routed) {
        RoutingDecision decision = routed.decision();
        metrics.rateLimited("released", waitedMs);
        decision.setRateLimitWaitMs(waitedMs);
        String limits = policy.rateLimits() == null ? "limit since removed" : RateLimiter.describe(policy.rateLimits());
        decision.setReason(decision.getReason() + String.format(Locale.ROOT, "; waited %.1f s for the team's rate "
            + "limit (%s)", waitedMs / 1000.0, limits));
      }
      if (admission.enforce() && teamId != null && outcome instanceof RouteOutcome.Routed) {
        outcome = admit(request, (RouteOutcome.Routed) outcome, policy, status, learned, now);
      }
      if (sessionKey != null && outcome instanceof RouteOutcome.Routed routed) {
        remember(sessionKey, session, routed.decision(), now);
      }
      if (fingerprint != null && outcome instanceof RouteOutcome.Routed) {
        cache.expect(request.getRequestId(), teamId, fingerprint, policy.responseCache().getTtlSeconds(), now);
      }
      value = value(outcome, request, record, now);
      if (outcome instanceof RouteOutcome.Routed routed && value instanceof RouterOutcome.Routed plain && learning) {
        FeedbackEvent implicit = SessionSignals.observe(sessionAsks, request, routed.decision(), now);
        if (implicit != null) {
          value = new RouterOutcome.RoutedWithFeedback(plain.value(), implicit);
        }
      }
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
      return -1;
    } catch (KafkaException e) {
      throw e; // Kafka Streams' own (a state store, a migrated task): the task must fail and be restarted
    } catch (RuntimeException e) {
      // A bug or a policy / catalog entry the router cannot handle: rethrowing would fail the task, which would read
      // the same record again and fail again, for ever. The request gets an answer instead, and the stream goes on.
      LOG.error("request {} of team {}: unexpected error while routing; answered REJECTED INTERNAL_ERROR",
          request.getRequestId(), teamId, e);
      outcome = new RouteOutcome.Rejected("INTERNAL_ERROR", "request", "the router failed on this request and did "
          + "not route it: " + DeadLetters.describe(e), "", version);
      value = value(outcome, request, record, now);
    }
    emit(record, key, outcome, value, request.getPriority() == io.modelrouter.avro.Priority.BATCH);
    return outcome instanceof RouteOutcome.Routed routed
        ? (long) routed.decision().getEstimatedInputTokens() + routed.decision().getEstimatedOutputTokens() : -1;
  }

  /** The record's headers (its trace context), kept with a request that waits. */
  private static Map<String, java.nio.ByteBuffer> headers(Record<String, byte[]> record) {
    Map<String, java.nio.ByteBuffer> out = new java.util.HashMap<>();
    for (org.apache.kafka.common.header.Header header : record.headers()) {
      if (header.value() != null) {
        out.put(header.key(), java.nio.ByteBuffer.wrap(header.value()));
      }
    }
    return out;
  }

  /** Routes the waiting requests their teams' rate limits now allow, and answers those past their deadline. */
  private void releaseWaiting(long timestamp) {
    Instant now = Instant.ofEpochMilli(timestamp);
    rates.release(now, new RateLimiter.Release() {
      @Override
      public long route(String team, io.modelrouter.avro.QueuedRequest waiting, long waitedMs) {
        return handle(recordOf(team, waiting, now), waitedMs);
      }

      @Override
      public void expire(String team, io.modelrouter.avro.QueuedRequest waiting, long waitedMs) {
        // handle() answers a released request whose deadline has passed EXPIRED, before routing it
        handle(recordOf(team, waiting, now), waitedMs);
      }

      @Override
      public io.modelrouter.avro.RateLimits limits(String team) {
        return policyFor(team).rateLimits();
      }
    });
  }

  /** Answers a request EXPIRED whose deadline passed while it waited for its team's rate limit. */
  private void expireWaiting(Record<String, byte[]> record, InferenceRequest request, String team, long waitedMs,
      Instant now) {
    metrics.rateLimited("expired", waitedMs);
    CompiledPolicy policy = policyFor(team);
    String limits = policy.rateLimits() == null ? "limit since removed" : RateLimiter.describe(policy.rateLimits());
    String message = String.format(Locale.ROOT, "the request waited %.1f s for team %s's rate limit (%s) and its "
        + "deadline %s passed before the limit allowed it", waitedMs / 1000.0, team, limits, request.getDeadline());
    InferenceResult result = answer(request, request.getRequestId(), team, ResultStatus.EXPIRED,
        "DEADLINE_EXCEEDED", message, "rate limit: " + limits, policy.version(), now);
    result.setRateLimitWaitMs(waitedMs);
    context.forward(record.withKey(team).withValue(new RouterOutcome.Answered(result)));
    metrics.answered("EXPIRED", "DEADLINE_EXCEEDED");
  }

  private static byte[] bytes(java.nio.ByteBuffer buffer) {
    java.nio.ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }

  private static Record<String, byte[]> recordOf(String team, io.modelrouter.avro.QueuedRequest waiting,
      Instant now) {
    org.apache.kafka.common.header.internals.RecordHeaders headers =
        new org.apache.kafka.common.header.internals.RecordHeaders();
    waiting.getHeaders().forEach((key, value) -> {
      byte[] bytes = new byte[value.remaining()];
      value.duplicate().get(bytes);
      headers.add(key, bytes);
    });
    java.nio.ByteBuffer body = waiting.getRequest().duplicate();
    byte[] value = new byte[body.remaining()];
    body.get(value);
    return new Record<>(team, value, now.toEpochMilli(), headers);
  }

  /** Tracing: the span of this decision, under the request's trace (a new trace when it came without one). */
  public RouterProcessor tracing(io.modelrouter.runtime.Tracing tracing) {
    this.tracing = tracing;
    return this;
  }

  /** A span for the decision, its context written on the outcome's headers for the next hop. */
  private Record<String, RouterOutcome> traced(Record<String, RouterOutcome> out, Record<String, byte[]> in,
      String team, RouteOutcome outcome) {
    io.opentelemetry.api.trace.SpanBuilder builder = tracing.tracer().spanBuilder("route")
        .setParent(tracing.extract(in.headers()))
        .setSpanKind(io.opentelemetry.api.trace.SpanKind.CONSUMER)
        .setAttribute("messaging.system", "kafka")
        .setAttribute("messaging.destination.name", context.recordMetadata().map(m -> m.topic()).orElse(""))
        .setAttribute("model_router.team", team);
    switch (outcome) {
      case RouteOutcome.Routed routed -> builder.setAttribute("model_router.outcome", "routed")
          .setAttribute("model_router.profile", routed.decision().getProfile())
          .setAttribute("model_router.reason_kind", routed.reasonLabel())
          .setAttribute("model_router.budget_state", routed.decision().getBudgetState().name())
          .setAttribute("model_router.policy_version", routed.decision().getPolicyVersion())
          .setAttribute("model_router.strategy", routed.decision().getLearnedModel() != null ? "learned"
              : routed.reasonLabel())
          .setAttribute("gen_ai.provider.name", routed.decision().getProvider())
          .setAttribute("gen_ai.request.model", routed.decision().getModel());
      case RouteOutcome.Rejected rejected -> builder.setAttribute("model_router.outcome", "rejected")
          .setAttribute("error.type", rejected.code());
      case RouteOutcome.Paused paused -> builder.setAttribute("model_router.outcome", "paused")
          .setAttribute("error.type", "BUDGET_PAUSED");
    }
    io.opentelemetry.api.trace.Span span = builder.startSpan();
    span.end();
    org.apache.kafka.common.header.internals.RecordHeaders headers =
        new org.apache.kafka.common.header.internals.RecordHeaders(out.headers().toArray());
    tracing.inject(io.opentelemetry.context.Context.root().with(span), headers);
    return out.withHeaders(headers);
  }

  /** Forwards a request's outcome, keyed by its team, and counts it. */
  private void emit(Record<String, byte[]> record, String key, RouteOutcome outcome, RouterOutcome value) {
    emit(record, key, outcome, value, false);
  }

  /** With {@code batch}, a routed request goes to the BATCH lane's topic ({@link Topics#LANE_HEADER}). */
  private void emit(Record<String, byte[]> record, String key, RouteOutcome outcome, RouterOutcome value,
      boolean batch) {
    Record<String, RouterOutcome> out = record.withKey(key).withValue(value);
    if (batch && outcome instanceof RouteOutcome.Routed) {
      out = out.withHeaders(new org.apache.kafka.common.header.internals.RecordHeaders(out.headers().toArray())
          .add(Topics.LANE_HEADER, BATCH_LANE));
    }
    if (outcome instanceof RouteOutcome.Routed routed && routed.decision().getLearnedModel() != null) {
      // so that the learner keeps learned decisions without decoding every routed record
      out = out.withHeaders(new org.apache.kafka.common.header.internals.RecordHeaders(record.headers().toArray())
          .add(Topics.LEARNED_MODEL_HEADER, routed.decision().getLearnedModel().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    if (tracing.enabled()) {
      out = traced(out, record, key, outcome);
    }
    context.forward(out);
    switch (outcome) {
      case RouteOutcome.Routed routed -> metrics.routed(routed.decision().getProfile(), routed.decision().getModel(),
          routed.reasonLabel(), routed.decision().getBudgetState());
      case RouteOutcome.Rejected rejected -> metrics.answered("REJECTED", rejected.code());
      case RouteOutcome.Paused paused -> metrics.answered("PAUSED", "BUDGET_PAUSED");
    }
  }

  /**
   * The session store's key for a request of a policy with session stickiness: {@code team|session|taskType}; null
   * when stickiness does not apply (off, no session, a pinned profile or model).
   */
  private static String sessionKey(InferenceRequest request, CompiledPolicy policy) {
    if (!policy.auto().getSessionSticky() || request.getSessionId() == null || request.getSessionId().isBlank()
        || request.getTeamId() == null) {
      return null;
    }
    if (RoutingEngine.pin(request) != null) {
      return null;
    }
    return request.getTeamId() + "|" + request.getSessionId() + "|" + request.getTaskType();
  }

  /**
   * Records the profile a session's request went to, unless a budget state chose it (RESTRICT must not make a
   * session stick to the restrict profile); an unchanged profile is written at most once a minute.
   */
  private void remember(String key, SessionRoute session, RoutingDecision decision, Instant now) {
    if (decision.getBudgetState() == BudgetState.RESTRICT || decision.getBudgetState() == BudgetState.PAUSE) {
      return;
    }
    if (session != null && session.getProfile().equals(decision.getProfile())
        && session.getLastSeen().isAfter(now.minusSeconds(60))) {
      return;
    }
    sessions.put(key, new SessionRoute(decision.getProfile(), now));
  }

  /** What goes downstream for an outcome: the routed request on the wire format, or the REJECTED / PAUSED answer. */
  private RouterOutcome value(RouteOutcome outcome, InferenceRequest request, Record<String, byte[]> record,
      Instant now) {
    return switch (outcome) {
      case RouteOutcome.Routed routed ->
          new RouterOutcome.Routed(codec.encode(record.value(), request, routed.decision()));
      case RouteOutcome.Rejected rejected -> new RouterOutcome.Answered(rejected(request, rejected, now, record));
      case RouteOutcome.Paused paused -> new RouterOutcome.Answered(paused(request, paused, now));
    };
  }

  /**
   * Hard caps: reserves the request's tokens against its team's budget if that keeps the team out of PAUSE, routes
   * it to the restrict profile if it would cross a restrict threshold, and answers PAUSED if it would cross a pause.
   */
  private RouteOutcome admit(InferenceRequest request, RouteOutcome.Routed routed, CompiledPolicy policy,
      BudgetStatus status, RouterModel learned, Instant now) {
    String team = request.getTeamId();
    BudgetPolicy limits = budgetPolicies.get(team);
    if (limits == null) {
      return routed;
    }
    SpendLedger ledger = ledgers.get(team);
    ledger = ledger != null ? ledger : SpendLedgers.empty(team);
    SpendLedgers.advance(ledger, now, BudgetMath.zone(limits));
    Spend ask = amount(routed.decision(), ledger);
    Admission.Verdict verdict = Admission.check(limits, ledger, ask);
    RouteOutcome outcome = routed;
    if (verdict.state() == BudgetState.RESTRICT && status.state().ordinal() < BudgetState.RESTRICT.ordinal()
        && !policy.restrictProfile().equals(routed.decision().getProfile())) {
      outcome = engine.route(request, text, policy, catalog, new BudgetStatus(BudgetState.RESTRICT, verdict.reason()),
          learned, null, now);
      if (outcome instanceof RouteOutcome.Routed restricted) {
        ask = amount(restricted.decision(), ledger);
        verdict = Admission.check(limits, ledger, ask);
      }
    }
    if (verdict.state() == BudgetState.PAUSE) {
      return new RouteOutcome.Paused(verdict.reason(), outcome instanceof RouteOutcome.Routed r
          ? r.decision().getReason() + "; budget PAUSE" : "budget PAUSE", policy.version());
    }
    if (outcome instanceof RouteOutcome.Routed admitted) {
      Reservation previous = reservations.get(request.getRequestId());
      if (previous != null) {
        SpendLedgers.release(ledger, previous);
      }
      // The batch lane's answers take hours: its reservation holds until the request's deadline, or a day and an hour
      Instant expires = !admitted.decision().getBatchApi() ? null
          : request.getDeadline() != null ? request.getDeadline() : now.plus(java.time.Duration.ofHours(25));
      Reservation reservation = new Reservation(team, ask.inputTokens(), ask.outputTokens(), ask.costMicros(), now,
          expires);
      reservations.put(request.getRequestId(), reservation);
      SpendLedgers.reserve(ledger, reservation);
      admitted.decision().setReservedTokens(ask.inputTokens() + ask.outputTokens());
    }
    ledgers.put(team, ledger);
    return outcome;
  }

  /**
   * What a request is expected to spend, with the margin: its estimated input, and its expected output (the team's
   * learned mean output, or the task type's prior until 20 requests were answered), never more than its maxTokens.
   */
  private Spend amount(RoutingDecision decision, SpendLedger ledger) {
    long input = (long) Math.ceil(decision.getEstimatedInputTokens() * (1 + admission.margin()));
    double expected = SpendLedgers.expectedOutput(ledger, decision.getEstimatedOutputTokens());
    long output = Math.min(decision.getMaxTokens(), (long) Math.ceil(expected * (1 + admission.margin())));
    ModelSpec model = catalog.get(decision.getModel());
    long cost = model == null ? 0 : decision.getBatchApi() && model.getBatchPriceMilli() > 0
        ? Pricing.batchCostMicros(model, input, output, 0, 0, 0) : Pricing.costMicros(model, input, output, 0);
    return new Spend(input, output, cost);
  }


  private CompiledPolicy policyFor(String teamId) {
    CompiledPolicy policy = teamId == null ? null : readPolicy(teamId);
    if (policy == null) {
      policy = readPolicy(Topics.DEFAULT_POLICY_KEY);
    }
    return policy != null ? policy : builtinPolicy;
  }

  private CompiledPolicy readPolicy(String key) {
    try {
      return policies.get(key);
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      LOG.error("routing policy {} on {} cannot be read; using the default policy: {}", key,
          topics.routingPolicies().name(), e.getMessage());
      return null;
    }
  }

  private BudgetStatus budgetOf(String teamId) {
    if (teamId == null) {
      return BudgetStatus.NORMAL;
    }
    try {
      return BudgetStatus.of(budgets.get(teamId));
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      LOG.error("budget state of {} on {} cannot be read; treating the team as NORMAL: {}", teamId,
          topics.budgetActions().name(), e.getMessage());
      return BudgetStatus.NORMAL;
    }
  }

  private void deadLetter(Record<String, byte[]> record, Exception error) {
    context.forward(StreamsDeadLetters.of(context, record, new RouterOutcome.DeadLetter(record.value()), error,
        SERVICE, topics.requests().name()));
    metrics.deadLettered();
  }

  private InferenceResult rejected(InferenceRequest request, RouteOutcome.Rejected rejected, Instant now,
      Record<String, byte[]> record) {
    String requestId = request.getRequestId();
    if (requestId == null || requestId.isBlank()) {
      RecordMetadata meta = context.recordMetadata().orElse(null);
      requestId = meta == null ? "unknown" : "unknown@" + meta.topic() + "-" + meta.partition() + "-" + meta.offset();
    }
    String teamId = request.getTeamId() != null ? request.getTeamId() : record.key() != null ? record.key() : "";
    return answer(request, requestId, teamId, ResultStatus.REJECTED, rejected.code(), rejected.message(),
        rejected.routingReason(), rejected.policyVersion(), now);
  }

  private InferenceResult paused(InferenceRequest request, RouteOutcome.Paused paused, Instant now) {
    String message = "team " + request.getTeamId() + " is paused"
        + (paused.reason() == null || paused.reason().isBlank() ? "" : " (" + paused.reason() + ")")
        + ". The pause holds until a manual reset: POST /teams/" + request.getTeamId()
        + "/budget/reset on budget-service.";
    return answer(request, request.getRequestId(), request.getTeamId(), ResultStatus.PAUSED, "BUDGET_PAUSED", message,
        paused.routingReason(), paused.policyVersion(), now);
  }

  private static InferenceResult answer(InferenceRequest request, String requestId, String teamId, ResultStatus status,
      String code, String message, String reason, String policyVersion, Instant now) {
    return Results.unanswered(requestId, teamId, request, status, code, message, reason, policyVersion,
        Results.latencyMs(request, now), now);
  }
}
