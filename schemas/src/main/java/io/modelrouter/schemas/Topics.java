package io.modelrouter.schemas;

import io.modelrouter.avro.AdminChange;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.schemas.serde.AvroSerde;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of the system, in one place. Keys are team ids (strings) unless noted, so that a team's requests,
 * usage and budget state are co-partitioned. No topic name is ever built from a payload.
 */
public final class Topics {
  public static final String REQUESTS = "llm.requests";
  public static final String ROUTED = "llm.requests.routed";
  /** The BATCH lane: routed requests of priority BATCH, which the worker takes only with capacity to spare. */
  public static final String ROUTED_BATCH = "llm.requests.routed.batch";
  /** BATCH requests handed by the worker to its batch coordinator, to go through a provider's batch API. */
  public static final String BATCH_REQUESTS = "llm.batch.requests";
  /** The batch coordinator's batches and their state (compacted). */
  public static final String BATCH_STATE = "llm.batch.state";
  public static final String RESULTS = "llm.results";
  public static final String USAGE = "llm.usage";
  public static final String USAGE_TOTALS = "llm.usage.totals";
  public static final String BUDGET_POLICIES = "llm.budget.policies";
  public static final String ROUTING_POLICIES = "llm.routing.policies";
  public static final String MODELS = "llm.models";
  public static final String BUDGET_ACTIONS = "llm.budget.actions";
  public static final String BUDGET_ALERTS = "llm.budget.alerts";
  public static final String FEEDBACK = "llm.feedback";
  public static final String SHADOW_RESULTS = "llm.shadow.results";
  public static final String ROUTER_MODELS = "llm.router.models";
  public static final String ROUTER_MODEL_PINS = "llm.router.model.pins";
  public static final String ADMIN_CHANGES = "llm.admin.changes";
  public static final String DLQ = "llm.dlq";

  /**
   * Header of a record on {@link #ROUTED} whose decision the learned model made: the model version (UTF-8). The
   * learner keeps only these decisions and reads the header before decoding anything.
   */
  public static final String LEARNED_MODEL_HEADER = "mr.learned-model";

  /** Header the router sets on a routed record of the BATCH lane (value {@code batch}), to pick its topic. */
  public static final String LANE_HEADER = "mr.lane";
  /**
   * On a routed request the batch coordinator sends back to {@code llm.requests.routed.batch}: why its provider batch
   * did not answer it. The worker then calls the provider directly, never through a batch again.
   */
  public static final String BATCH_FALLBACK_HEADER = "mr.batch-fallback";

  /** Key of the default routing policy on {@link #ROUTING_POLICIES}. */
  public static final String DEFAULT_POLICY_KEY = "*";

  private final TopicsConfig config;
  private final Topic<String, InferenceRequest> requests;
  private final Topic<String, RoutedRequest> routed;
  private final Topic<String, RoutedRequest> routedBatch;
  private final Topic<String, RoutedRequest> batchRequests;
  private final Topic<String, io.modelrouter.avro.ProviderBatch> batchState;
  private final Topic<String, InferenceResult> results;
  private final Topic<String, UsageEvent> usage;
  private final Topic<String, UsageTotals> usageTotals;
  private final Topic<String, BudgetPolicy> budgetPolicies;
  private final Topic<String, RoutingPolicy> routingPolicies;
  private final Topic<String, ModelSpec> models;
  private final Topic<String, BudgetAction> budgetActions;
  private final Topic<String, BudgetAlert> budgetAlerts;
  private final Topic<String, FeedbackEvent> feedback;
  private final Topic<String, InferenceResult> shadowResults;
  private final Topic<String, RouterModel> routerModels;
  private final Topic<String, RouterModelPin> routerModelPins;
  private final Topic<String, AdminChange> adminChanges;
  private final Topic<byte[], byte[]> dlq;
  private final Map<String, Schema> valueSchemas = new LinkedHashMap<>();

  private Topics(TopicsConfig config) {
    this.config = config;
    this.requests = avro(REQUESTS, InferenceRequest.class, false, false);
    this.routed = avro(ROUTED, RoutedRequest.class, false, false);
    this.routedBatch = avro(ROUTED_BATCH, RoutedRequest.class, false, false);
    this.batchRequests = avro(BATCH_REQUESTS, RoutedRequest.class, false, false);
    this.batchState = avro(BATCH_STATE, io.modelrouter.avro.ProviderBatch.class, true, false);
    this.results = avro(RESULTS, InferenceResult.class, false, false);
    this.usage = avro(USAGE, UsageEvent.class, false, false);
    this.usageTotals = avro(USAGE_TOTALS, UsageTotals.class, true, false);
    this.budgetPolicies = avro(BUDGET_POLICIES, BudgetPolicy.class, true, false);
    this.routingPolicies = avro(ROUTING_POLICIES, RoutingPolicy.class, true, true);
    this.models = avro(MODELS, ModelSpec.class, true, true);
    this.budgetActions = avro(BUDGET_ACTIONS, BudgetAction.class, true, false);
    this.budgetAlerts = avro(BUDGET_ALERTS, BudgetAlert.class, false, false);
    this.feedback = avro(FEEDBACK, FeedbackEvent.class, false, false);
    this.shadowResults = avro(SHADOW_RESULTS, InferenceResult.class, false, false);
    this.routerModels = avro(ROUTER_MODELS, RouterModel.class, true, true);
    this.routerModelPins = avro(ROUTER_MODEL_PINS, RouterModelPin.class, true, true);
    this.adminChanges = avro(ADMIN_CHANGES, AdminChange.class, false, false);
    this.dlq = new Topic<>(config.prefix() + DLQ, Serdes.ByteArray(), Serdes.ByteArray(), false, false);
  }

  public static Topics create(TopicsConfig config) {
    return new Topics(config);
  }

  private <V extends SpecificRecord> Topic<String, V> avro(String name, Class<V> type, boolean compacted,
      boolean global) {
    valueSchemas.put(config.prefix() + name, SpecificData.get().getSchema(type));
    return new Topic<>(config.prefix() + name, Serdes.String(),
        AvroSerde.forValues(type, config.client(), config.serde()), compacted, global);
  }

  public TopicsConfig config() {
    return config;
  }

  /** Pipelines' requests ({@code InferenceRequest}). */
  public Topic<String, InferenceRequest> requests() {
    return requests;
  }

  /** Requests with the router's decision, for the worker. */
  public Topic<String, RoutedRequest> routed() {
    return routed;
  }

  /**
   * Routed requests of priority BATCH: the worker's second lane, read only with capacity the INTERACTIVE lane
   * ({@link #routed()}) leaves, so that interactive requests never wait behind a batch backlog.
   */
  public Topic<String, RoutedRequest> routedBatch() {
    return routedBatch;
  }

  /**
   * BATCH requests the worker hands to its batch coordinator to go through their provider's batch API (keyed by team,
   * as read from {@link #routedBatch()}).
   */
  public Topic<String, RoutedRequest> batchRequests() {
    return batchRequests;
  }

  /**
   * The batch coordinator's batches (key: batch id; each on the partition of {@link #batchRequests()} its items came
   * from), compacted: what a restarted coordinator resumes from.
   */
  public Topic<String, io.modelrouter.avro.ProviderBatch> batchState() {
    return batchState;
  }

  /** The routed topic of a request's lane: {@link #routedBatch()} for BATCH, {@link #routed()} otherwise. */
  public Topic<String, RoutedRequest> routedFor(io.modelrouter.avro.Priority priority) {
    return priority == io.modelrouter.avro.Priority.BATCH ? routedBatch : routed;
  }

  /** One result per request: the worker's, or the router's for requests it rejects or pauses. */
  public Topic<String, InferenceResult> results() {
    return results;
  }

  /** One event per provider call. */
  public Topic<String, UsageEvent> usage() {
    return usage;
  }

  /** Per team and calendar window (key {@code <teamId>|<DAILY|MONTHLY>|<windowStart>}), compacted. */
  public Topic<String, UsageTotals> usageTotals() {
    return usageTotals;
  }

  public Topic<String, BudgetPolicy> budgetPolicies() {
    return budgetPolicies;
  }

  /** Key: team id, or {@value #DEFAULT_POLICY_KEY} for the default policy. */
  public Topic<String, RoutingPolicy> routingPolicies() {
    return routingPolicies;
  }

  /** The model catalog; key: model id. */
  public Topic<String, ModelSpec> models() {
    return models;
  }

  /** Current budget state per team, compacted. */
  public Topic<String, BudgetAction> budgetActions() {
    return budgetActions;
  }

  public Topic<String, BudgetAlert> budgetAlerts() {
    return budgetAlerts;
  }

  /** How good results were, as their teams judged them; keyed by team. */
  public Topic<String, FeedbackEvent> feedback() {
    return feedback;
  }

  /** What the shadow model of a policy's shadow evaluation answered, one per shadowed request; never llm.results. */
  public Topic<String, InferenceResult> shadowResults() {
    return shadowResults;
  }

  /**
   * Each team's learned routing models, one record per version (key {@code <teamId>@<version, 20 digits>}, see
   * {@link #routerModelKey}), written by the learner, read by the router as a global table; compacted.
   */
  public Topic<String, RouterModel> routerModels() {
    return routerModels;
  }

  /** An admin's pinned version of a team's learned model (key: team id); compacted. */
  public Topic<String, RouterModelPin> routerModelPins() {
    return routerModelPins;
  }

  /**
   * Whether {@code key} is the key of a version of {@code teamId}'s learned model, and not of another team whose id
   * starts alike (team {@code a} and team {@code a@0}).
   */
  public static boolean isRouterModelKeyOf(String key, String teamId) {
    return key.length() == teamId.length() + 21 && key.startsWith(teamId) && key.charAt(teamId.length()) == '@';
  }

  /** The key of one version of a team's learned model: versions of a team sort in order after {@code teamId@}. */
  public static String routerModelKey(String teamId, long version) {
    return teamId + "@" + String.format(java.util.Locale.ROOT, "%020d", version);
  }

  /**
   * Every change made through budget-service (who, when, what), written in the change's own transaction; keyed by
   * team, or {@value #DEFAULT_POLICY_KEY} for shared data. Not compacted: the history is the point.
   */
  public Topic<String, AdminChange> adminChanges() {
    return adminChanges;
  }

  /** Records no service could process: the original bytes and {@code dlq.*} headers. */
  public Topic<byte[], byte[]> dlq() {
    return dlq;
  }

  /**
   * Registers every Avro topic's value schema under {@code <topic>-value} (TopicNameStrategy), as our serializers do on
   * their first write, so that a client that writes with the latest registered schema (Confluent's
   * {@code use.latest.version}) finds it on a new cluster before any of our services has written. Does nothing when
   * {@code auto.register.schemas} is off (the registry's schemas are then managed by whoever turned it off).
   *
   * @return the subjects registered
   */
  public List<String> registerValueSchemas() {
    if (!config.serde().autoRegister()) {
      return List.of();
    }
    List<String> subjects = new java.util.ArrayList<>();
    valueSchemas.forEach((topic, schema) -> {
      config.client().register(topic + "-value", schema);
      subjects.add(topic + "-value");
    });
    return subjects;
  }

  /**
   * Gets the registry's id of every topic's value schema now, as the first write of each would (registered when
   * auto registration is on), and keeps it in the topic's serializer, so that a service's first write of a record
   * type during a registry outage does not wait for the registry. Returns how many ids it got; it stops at the first
   * topic the registry cannot be reached for (a service starting during an outage waits one request timeout, not
   * one per topic), which only means the first writes ask it.
   */
  public int warmSerializers() {
    int found = 0;
    try {
      for (Topic<?, ?> topic : all()) {
        Schema schema = valueSchemas.get(topic.name());
        if (schema != null && topic.valueSerde() instanceof io.modelrouter.schemas.serde.AvroSerde<?> avro
            && avro.serializer() instanceof io.modelrouter.schemas.serde.AvroSerializer<?> serializer
            && serializer.warm(topic.name(), schema)) {
          found++;
        }
      }
    } catch (io.modelrouter.schemas.registry.SchemaRegistryException e) {
      // unreachable: asking about the other topics would only wait as long again each
    }
    return found;
  }

  public List<Topic<?, ?>> all() {
    return List.of(requests, routed, routedBatch, batchRequests, batchState, results, usage, usageTotals, budgetPolicies, routingPolicies,
        models, budgetActions, budgetAlerts, feedback, shadowResults, routerModels, routerModelPins, adminChanges,
        dlq);
  }
}
