package io.modelrouter.router.internal;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.router.RouterTopology;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ModelCatalog;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
 * Kafka Streams restarts, and the record is read again.
 */
public final class RouterProcessor implements Processor<String, byte[], String, RouterOutcome> {
  private static final Logger LOG = LoggerFactory.getLogger(RouterProcessor.class);
  static final String SERVICE = "router";

  private final Topics topics;
  private final RoutingEngine engine;
  private final RoutingPolicy defaultPolicy;
  private final Map<String, ModelSpec> defaultCatalog;
  private final boolean rekeyMismatches;

  private ProcessorContext<String, RouterOutcome> context;
  private StoreView<CompiledPolicy> policies;
  private StoreView<ModelSpec> models;
  private StoreView<BudgetAction> budgets;
  private CompiledPolicy builtinPolicy;
  private ModelCatalog catalog;
  private RoutedRequestEncoder encoder;

  /**
   * @param rekeyMismatches true on the first pass; false after the repartition, where keys are team ids
   */
  public RouterProcessor(Topics topics, RoutingEngine engine, RoutingPolicy defaultPolicy,
      Map<String, ModelSpec> defaultCatalog, boolean rekeyMismatches) {
    this.topics = topics;
    this.engine = engine;
    this.defaultPolicy = defaultPolicy;
    this.defaultCatalog = defaultCatalog;
    this.rekeyMismatches = rekeyMismatches;
  }

  @Override
  public void init(ProcessorContext<String, RouterOutcome> context) {
    this.context = context;
    this.policies = new StoreView<>(store(RouterTopology.ROUTING_POLICIES_STORE),
        raw -> CompiledPolicy.compile(topics.routingPolicies().deserializeValue(raw)));
    this.models = new StoreView<>(store(RouterTopology.CATALOG_STORE), topics.models()::deserializeValue);
    this.budgets = new StoreView<>(store(RouterTopology.BUDGET_ACTIONS_STORE), topics.budgetActions()::deserializeValue);
    this.builtinPolicy = CompiledPolicy.compile(defaultPolicy);
    this.encoder = new RoutedRequestEncoder(topics);
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
    InferenceRequest request;
    try {
      request = record.value() == null ? null : topics.requests().deserializeValue(record.value());
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
      return;
    } catch (RuntimeException e) {
      deadLetter(record, e);
      return;
    }
    if (request == null) {
      deadLetter(record, new IllegalArgumentException("a request record has no value (tombstone)"));
      return;
    }
    String teamId = request.getTeamId();
    if (rekeyMismatches && teamId != null && !teamId.isBlank() && !teamId.equals(record.key())) {
      context.forward(record.withKey(teamId).withValue(new RouterOutcome.Rekey(teamId, record.value())));
      return;
    }
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    RouteOutcome outcome;
    try {
      outcome = engine.route(request, policyFor(teamId), catalog, budgetOf(teamId), now);
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
      return;
    }
    String key = teamId == null ? record.key() : teamId;
    switch (outcome) {
      case RouteOutcome.Routed routed -> context.forward(record.withKey(key)
          .withValue(new RouterOutcome.Routed(encoder.encode(record.value(), request, routed.decision()))));
      case RouteOutcome.Rejected rejected -> context.forward(record.withKey(key)
          .withValue(new RouterOutcome.Answered(rejected(request, rejected, now, record))));
      case RouteOutcome.Paused paused -> context.forward(record.withKey(key)
          .withValue(new RouterOutcome.Answered(paused(request, paused, now))));
    }
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
    RecordMetadata meta = context.recordMetadata().orElse(null);
    DeadLetters.Source source = meta == null
        ? new DeadLetters.Source(topics.requests().name(), -1, -1)
        : new DeadLetters.Source(meta.topic(), meta.partition(), meta.offset());
    LOG.warn("request at {}-{}@{} sent to the DLQ: {}", source.topic(), source.partition(), source.offset(),
        DeadLetters.describe(error));
    context.forward(record
        .withHeaders(DeadLetters.headers(source, record.headers(), error, SERVICE, context.currentSystemTimeMs()))
        .withValue(new RouterOutcome.DeadLetter(record.value())));
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
        "budget PAUSE", paused.policyVersion(), now);
  }

  private static InferenceResult answer(InferenceRequest request, String requestId, String teamId, ResultStatus status,
      String code, String message, String reason, String policyVersion, Instant now) {
    return InferenceResult.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setPipelineId(request.getPipelineId())
        .setSessionId(request.getSessionId())
        .setTaskType(request.getTaskType())
        .setStatus(status)
        .setProfile(null)
        .setProvider(null)
        .setModel(null)
        .setContent(null)
        .setStopReason(null)
        .setUsage(new TokenUsage(0L, 0L, 0L, false))
        .setCostMicros(0)
        .setCreditsMicros(0)
        .setAttempts(List.of())
        .setRoutingReason(reason)
        .setPolicyVersion(policyVersion)
        .setErrorCode(code)
        .setErrorMessage(message)
        .setLatencyMs(request.getCreatedAt() == null ? 0 : Math.max(0, now.toEpochMilli()
            - request.getCreatedAt().toEpochMilli()))
        .setSimulated(false)
        .setCompletedAt(now)
        .build();
  }
}
