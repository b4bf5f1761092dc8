package io.modelrouter.router.internal;

/**
 * The router's state store names, in one place that both the topology (which creates the stores) and the
 * processors (which open them) import, so neither imports the other for them. Changelog topics are named
 * {@code <application.id>-<name>-changelog}: renaming a store loses its state.
 */
public final class RouterStores {
  private RouterStores() {}

  /** Global table of routing policies (team id or {@code *}). */
  public static final String ROUTING_POLICIES = "routing-policies";
  /** Global table of the model catalog. */
  public static final String CATALOG = "model-catalog";
  /** Global table of the teams' learned routing models, every version kept on the topic. */
  public static final String LEARNED_MODELS = "learned-models";
  /** Global table of the learned model versions admins pinned. */
  public static final String LEARNED_MODEL_PINS = "learned-model-pins";
  /** Each team's latest budget action from the aggregator. */
  public static final String BUDGET_ACTIONS = "budget-actions";
  /** Each team's admission ledger: settled usage in the current windows and what is reserved in flight. */
  public static final String LEDGERS = "spend-ledgers";
  /** Each request's reservation, by request id, until its result or its time-to-live. */
  public static final String RESERVATIONS = "reservations";
  /** The profile each session is on per task type (key {@code team|session|taskType}), for session stickiness. */
  public static final String SESSIONS = "session-routes";
  /** The last request of each session a learned policy routed (key {@code team|session}), for implicit feedback. */
  public static final String SESSION_ASKS = "session-asks";
  /** How long after a request the same prompt again (or escalated) in its session says its answer did not do. */
  public static final java.time.Duration REPEAT_WINDOW = java.time.Duration.ofMinutes(10);
  /** How long a session keeps its profile after its last request. */
  public static final java.time.Duration SESSION_IDLE = java.time.Duration.ofMinutes(30);
  /** Each team's rate-limit buckets and the ends of its queue of waiting requests (key team id). */
  public static final String RATE_BUCKETS = "rate-buckets";
  /** Requests waiting for their team's rate limit (key {@code team|sequence}, zero-padded so a team's are in order). */
  public static final String RATE_QUEUE = "rate-queue";
  /** The response cache's answers (key {@code team|fingerprint}). */
  public static final String RESPONSE_CACHE = "response-cache";
  /** Cacheable requests routed and not answered yet (key request id). */
  public static final String RESPONSE_PENDING = "response-pending";
  /** How often the requests waiting for their team's rate limit are looked at (wall clock). */
  public static final java.time.Duration RATE_RELEASE_INTERVAL = java.time.Duration.ofMillis(100);
  /** Each team's budget policy, as admission reads it. */
  public static final String BUDGET_POLICIES = "router-budget-policies";
}
