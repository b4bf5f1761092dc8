package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.runtime.BudgetStateGauges;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * budget-service's view of the topics and its writes to them. This service is the single writer of the policy
 * topics ({@code llm.budget.policies}, {@code llm.routing.policies}, {@code llm.models}): it computes each new
 * version from its own view, so run one instance (two would hand out the same version). Writes are serialized by
 * one lock, wait for Kafka's acknowledgement, and are visible to the next read at once.
 */
public final class BudgetStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetStore.class);

  private final Topics topics;
  private final Clock clock;
  private final Publisher publisher;
  private final TableView<BudgetPolicy> budgets;
  private final TableView<RoutingPolicy> routing;
  private final TableView<ModelSpec> models;
  private final TableView<BudgetAction> actions;
  private final TableView<UsageTotals> totals;
  private final TableView<LearnedVersion> learned;
  private final TableView<RouterModelPin> pins;
  private final AlertHistory alerts;
  private final ChangeHistory changes;
  private final ChangeLog changeLog;
  // Highest version seen per key, also after a deletion, so a policy deleted and created again keeps counting up.
  private final Map<String, Long> budgetVersions = new ConcurrentHashMap<>();
  private final Map<String, Long> routingVersions = new ConcurrentHashMap<>();
  private final ReentrantLock writes = new ReentrantLock();
  private volatile boolean loaded;
  private final MeterRegistry registry;

  public BudgetStore(Topics topics, Map<String, Object> clientConfig, int alertsPerTeam, Clock clock,
      MeterRegistry registry) {
    this.topics = topics;
    this.clock = clock;
    this.registry = registry;
    BudgetStateGauges gauges = new BudgetStateGauges(registry);
    this.publisher = new Publisher(clientConfig, registry);
    this.budgets = new TableView<>(topics.budgetPolicies(), clientConfig,
        (team, p) -> remember(budgetVersions, team, p == null ? null : p.getVersion()), registry);
    this.routing = new TableView<>(topics.routingPolicies(), clientConfig,
        (key, p) -> remember(routingVersions, key, p == null ? null : p.getVersion()), registry);
    this.models = new TableView<>(topics.models(), clientConfig, (id, m) -> { }, registry);
    this.actions = new TableView<>(topics.budgetActions(), clientConfig, gauges::update, registry);
    this.totals = new TableView<>(topics.usageTotals(), clientConfig, (key, t) -> { }, registry);
    this.learned = new TableView<>(LearnedVersion.topic(topics), clientConfig, (key, v) -> { }, registry);
    this.pins = new TableView<>(topics.routerModelPins(), clientConfig, (key, p) -> { }, registry);
    this.alerts = new AlertHistory(topics.budgetAlerts(), clientConfig, alertsPerTeam, registry);
    this.changes = new ChangeHistory(topics.adminChanges(), clientConfig, CHANGES_PER_TEAM, registry);
    this.changeLog = new ChangeLog(clientConfig, topics.config().prefix() + "budget-service", registry);
  }

  /** Admin changes kept in memory per team for {@code /usage} and {@code /teams/{team}/changes}. */
  public static final int CHANGES_PER_TEAM = 200;

  /** Who publishes the shipped defaults on an empty cluster, in {@link AdminChange#getBy()}. */
  public static final String SYSTEM = "budget-service";

  private static void remember(Map<String, Long> versions, String key, Long version) {
    if (version != null) {
      versions.merge(key, version, Math::max);
    }
  }

  /** Starts following every topic and returns when each has been read to its end, or fails after {@code timeout}. */
  public BudgetStore start(Duration timeout) throws InterruptedException {
    List<TableView<?>> views = List.of(budgets, routing, models, actions, totals, learned, pins);
    views.forEach(TableView::start);
    alerts.start();
    changes.start();
    changeLog.start();
    Instant deadline = clock.instant().plus(timeout);
    List<Topic<String, ?>> followed = List.of(topics.budgetPolicies(), topics.routingPolicies(), topics.models(),
        topics.budgetActions(), topics.usageTotals(), topics.routerModels(), topics.routerModelPins());
    for (int i = 0; i < views.size(); i++) {
      if (!views.get(i).awaitLoaded(remaining(deadline))) {
        throw new IllegalStateException(notLoaded(followed.get(i).name(), timeout));
      }
    }
    if (!alerts.awaitLoaded(remaining(deadline))) {
      throw new IllegalStateException(notLoaded(topics.budgetAlerts().name(), timeout));
    }
    if (!changes.awaitLoaded(remaining(deadline))) {
      throw new IllegalStateException(notLoaded(topics.adminChanges().name(), timeout));
    }
    loaded = true;
    return this;
  }

  private Duration remaining(Instant deadline) {
    Duration left = Duration.between(clock.instant(), deadline);
    return left.isNegative() ? Duration.ZERO : left;
  }

  private static String notLoaded(String topic, Duration timeout) {
    return "budget-service could not read " + topic + " to its end within " + timeout.toSeconds() + " s: check that"
        + " Kafka is reachable (kafka.bootstrap.servers), that the topic exists (or topics.create=true) and that the"
        + " schema registry is reachable";
  }

  /** Publishes the shipped default policy (version 1) and catalog when their topics hold none. */
  public void bootstrapDefaults() {
    if (routing.get(Topics.DEFAULT_POLICY_KEY) == null) {
      RoutingPolicy policy = DefaultPolicies.routingPolicy();
      policy.setVersion(Math.max(1, routingVersions.getOrDefault(Topics.DEFAULT_POLICY_KEY, 0L) + 1));
      policy.setUpdatedAt(now());
      write(topics.routingPolicies(), routing, Topics.DEFAULT_POLICY_KEY, policy,
          change(SYSTEM, null, "default-policy.write", topics.routingPolicies(), Topics.DEFAULT_POLICY_KEY,
              policy.getVersion(), PolicyJson.toJson(policy)));
      LOG.info("published the shipped default routing policy to {} (version {})", topics.routingPolicies().name(),
          policy.getVersion());
    }
    if (models.isEmpty()) {
      List<ModelSpec> catalog = DefaultPolicies.catalog();
      for (ModelSpec model : catalog) {
        model.setUpdatedAt(now());
        write(topics.models(), models, model.getId(), model,
            change(SYSTEM, null, "models.write", topics.models(), model.getId(), null, PolicyJson.toJson(model)));
      }
      LOG.info("published the shipped model catalog to {} ({} models)", topics.models().name(), catalog.size());
    }
  }

  // ---------------------------------------------------------------- budgets

  public BudgetPolicy budget(String team) {
    return budgets.get(team);
  }

  /** Stores the team's budget as the next version; returns what was published. */
  public BudgetPolicy putBudget(String team, BudgetPolicy policy, Principal by) {
    return locked(() -> {
      policy.setTeamId(team);
      policy.setVersion(budgetVersions.getOrDefault(team, 0L) + 1);
      policy.setUpdatedAt(now());
      write(topics.budgetPolicies(), budgets, team, policy, change(by.id(), team, "budget.write",
          topics.budgetPolicies(), team, policy.getVersion(), PolicyJson.toJson(policy)));
      remember(budgetVersions, team, policy.getVersion());
      return policy;
    });
  }

  /** @return false when the team had no budget */
  public boolean deleteBudget(String team, Principal by) {
    return locked(() -> delete(topics.budgetPolicies(), budgets, team,
        change(by.id(), team, "budget.delete", topics.budgetPolicies(), team, null, null)));
  }

  // ---------------------------------------------------------------- routing policies

  /** The team's own policy, or the published default for {@code *}; null when there is none. */
  public RoutingPolicy routingPolicy(String key) {
    return routing.get(key);
  }

  /** The default policy: the published one, else the shipped one (what the router applies then). */
  public RoutingPolicy defaultPolicy() {
    RoutingPolicy published = routing.get(Topics.DEFAULT_POLICY_KEY);
    return published != null ? published : DefaultPolicies.routingPolicy();
  }

  public RoutingPolicy putRoutingPolicy(String key, RoutingPolicy policy, Principal by) {
    return locked(() -> {
      policy.setTeamId(key);
      policy.setVersion(routingVersions.getOrDefault(key, 0L) + 1);
      policy.setUpdatedAt(now());
      boolean shared = key.equals(Topics.DEFAULT_POLICY_KEY);
      write(topics.routingPolicies(), routing, key, policy, change(by.id(), shared ? null : key,
          shared ? "default-policy.write" : "policy.write", topics.routingPolicies(), key, policy.getVersion(),
          PolicyJson.toJson(policy)));
      remember(routingVersions, key, policy.getVersion());
      return policy;
    });
  }

  public boolean deleteRoutingPolicy(String key, Principal by) {
    return locked(() -> delete(topics.routingPolicies(), routing, key,
        change(by.id(), key, "policy.delete", topics.routingPolicies(), key, null, null)));
  }

  // ---------------------------------------------------------------- model catalog

  /** The published catalog, or the shipped one while nothing is published (what router and worker use then). */
  public Map<String, ModelSpec> catalog() {
    Map<String, ModelSpec> published = models.snapshot();
    return new TreeMap<>(published.isEmpty() ? DefaultPolicies.catalogById() : published);
  }

  public boolean catalogPublished() {
    return !models.isEmpty();
  }

  public ModelSpec putModel(ModelSpec model, Principal by) {
    return locked(() -> {
      model.setUpdatedAt(now());
      write(topics.models(), models, model.getId(), model,
          change(by.id(), null, "models.write", topics.models(), model.getId(), null, PolicyJson.toJson(model)));
      return model;
    });
  }

  /**
   * Removes a model unless a routing policy still names it: then 409 with each policy's problems as they would be
   * without the model.
   */
  public boolean deleteModel(String id, Principal by) {
    return locked(() -> {
      Map<String, ModelSpec> without = catalog();
      if (without.remove(id) == null) {
        return false;
      }
      Map<String, RoutingPolicy> policies = new TreeMap<>(routing.snapshot());
      policies.putIfAbsent(Topics.DEFAULT_POLICY_KEY, DefaultPolicies.routingPolicy());
      List<String> problems = new ArrayList<>();
      policies.forEach((key, policy) -> PolicyJson.checkRoutingPolicy(policy, without).forEach(problem ->
          problems.add((key.equals(Topics.DEFAULT_POLICY_KEY) ? "default policy" : "policy of team '" + key + "'")
              + " " + problem)));
      if (!problems.isEmpty()) {
        throw new ApiException(409, "model '" + id + "' is still used by routing policies; change them first",
            problems);
      }
      return delete(topics.models(), models, id,
          change(by.id(), null, "models.delete", topics.models(), id, null, null));
    });
  }

  // ---------------------------------------------------------------- state, usage, alerts

  public BudgetAction action(String team) {
    return actions.get(team);
  }

  /**
   * Lifts a pause: a NORMAL action with {@code manualReset=true}, which the router applies at once and the
   * aggregator answers with the team's recomputed state.
   */
  public BudgetAction reset(String team, Principal by) {
    return locked(() -> {
      BudgetPolicy policy = budgets.get(team);
      BudgetAction action = BudgetAction.newBuilder()
          .setTeamId(team)
          .setState(BudgetState.NORMAL)
          .setWindow(null)
          .setWindowStart(null)
          .setMetric(null)
          .setUsage(0L)
          .setLimit(0L)
          .setFraction(0.0)
          .setDailyState(BudgetState.NORMAL)
          .setMonthlyState(BudgetState.NORMAL)
          .setReason("manual reset by " + by.describe())
          .setSince(now())
          .setPolicyVersion(policy == null ? 0L : policy.getVersion())
          .setManualReset(true)
          .build();
      write(topics.budgetActions(), actions, team, action,
          change(by.id(), team, "budget.reset", topics.budgetActions(), team, null, Json.action(action)));
      return action;
    });
  }

  public UsageTotals totals(String key) {
    return totals.get(key);
  }

  public List<BudgetAlert> alerts(String team, int limit) {
    return alerts.recent(team, limit);
  }

  public int alertsPerTeam() {
    return alerts.perTeam();
  }

  /** Every team something is known about (budget, routing policy, action, totals), sorted. */
  public TreeSet<String> teams() {
    TreeSet<String> teams = new TreeSet<>(budgets.snapshot().keySet());
    teams.addAll(actions.snapshot().keySet());
    routing.snapshot().keySet().stream().filter(k -> !k.equals(Topics.DEFAULT_POLICY_KEY)).forEach(teams::add);
    totals.snapshot().keySet().forEach(key -> {
      int bar = key.indexOf('|');
      teams.add(bar < 0 ? key : key.substring(0, bar));
    });
    return teams;
  }

  public Instant now() {
    // Millisecond precision: what a timestamp-millis field keeps, so a write equals its copy read back.
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** Healthy once every topic was loaded and the alert reader is alive. */
  public String problem() {
    if (!loaded) {
      return "topics not loaded yet";
    }
    if (!alerts.isRunning()) {
      return "the alert reader of " + topics.budgetAlerts().name() + " stopped";
    }
    if (!changes.isRunning()) {
      return "the change history reader of " + topics.adminChanges().name() + " stopped";
    }
    if (changeLog.fenced() != null) {
      return changeLog.fenced();
    }
    return null;
  }

  // ---------------------------------------------------------------- writing

  /** Publishes a feedback event keyed by its team and counts it ({@code feedback_total{team, source, outcome}}). */
  public void publishFeedback(FeedbackEvent event, boolean matched) {
    publisher.publish(topics.feedback(), event.getTeamId(), event);
    countFeedback(event.getTeamId(), event, matched ? "matched" : "unmatched");
  }

  /** {@code outcome}: matched (its result was seen), unmatched (not seen: too old or not answered yet), refused. */
  public void countFeedback(String team, FeedbackEvent event, String outcome) {
    io.micrometer.core.instrument.Counter.builder("feedback_total")
        .description("Feedback received by POST /teams/{team}/feedback: matched (its result was seen), unmatched, "
            + "refused (a request of another team)")
        .tag("team", team).tag("source", event.getSource().name()).tag("outcome", outcome)
        .register(registry).increment();
  }

  // ---------------------------------------------------------------- learned routing models

  /** The versions of the team's learned model that are kept, oldest first. */
  public List<LearnedVersion> learnedVersions(String team) {
    return learned.snapshot().entrySet().stream()
        .filter(e -> Topics.isRouterModelKeyOf(e.getKey(), team))
        .map(Map.Entry::getValue)
        .sorted(java.util.Comparator.comparingLong(LearnedVersion::version))
        .toList();
  }

  /** A team's learned model as the router sees it: the kept versions (oldest first) and the pin, if any. */
  public record LearnedModel(List<LearnedVersion> versions, RouterModelPin pin) {
    /** The latest kept version; 0 when none (the shipped exemplars only). */
    public long latest() {
      return versions.isEmpty() ? 0 : versions.getLast().version();
    }

    /** The version the router uses: the pinned one, else the latest. */
    public long inUse() {
      return pin == null ? latest() : pin.getVersion();
    }
  }

  public LearnedModel learnedModel(String team) {
    return new LearnedModel(learnedVersions(team), learnedPin(team));
  }

  /** The team's pinned version, or null when the router follows the latest. */
  public RouterModelPin learnedPin(String team) {
    return pins.get(team);
  }

  public RouterModelPin pinLearned(String team, long version, String reason, Principal by) {
    return locked(() -> {
      RouterModelPin pin = new RouterModelPin(team, version, reason == null ? "" : reason,
          by.describe(), now());
      ObjectNode document = Json.object();
      document.put("version", version);
      document.put("reason", pin.getReason());
      write(topics.routerModelPins(), pins, team, pin,
          change(by.id(), team, "learned-model.pin", topics.routerModelPins(), team, version, document));
      return pin;
    });
  }

  /** @return false when the team had no pin */
  public boolean unpinLearned(String team, Principal by) {
    return locked(() -> delete(topics.routerModelPins(), pins, team,
        change(by.id(), team, "learned-model.unpin", topics.routerModelPins(), team, null, null)));
  }

  /** Writes a change and its history record in one transaction, then shows it to the next read. */
  private <V> void write(Topic<String, V> topic, TableView<V> view, String key, V value, AdminChange change) {
    String historyKey = change.getTeamId() == null ? Topics.DEFAULT_POLICY_KEY : change.getTeamId();
    changeLog.write(List.of(new ChangeLog.Out<>(topic, key, value),
        new ChangeLog.Out<>(topics.adminChanges(), historyKey, change)));
    view.written(key, value);
  }

  private <V> boolean delete(Topic<String, V> topic, TableView<V> view, String key, AdminChange change) {
    if (view.get(key) == null) {
      return false;
    }
    write(topic, view, key, null, change);
    return true;
  }

  private AdminChange change(String by, String team, String action, Topic<String, ?> topic, String key,
      Long version, ObjectNode document) {
    return AdminChange.newBuilder()
        .setChangeId(java.util.UUID.randomUUID().toString())
        .setAt(now())
        .setBy(by)
        .setTeamId(team)
        .setAction(action)
        .setTarget(topic.name() + "/" + key)
        .setVersion(version)
        .setDocument(document == null ? null : Json.write(document))
        .build();
  }

  /** The team's most recent admin changes ({@code *}: shared data), newest first. */
  public List<AdminChange> changes(String team, int limit) {
    return changes.recent(team, limit);
  }

  /** Whether the admin granted the team self-service (its budget's {@code selfService}). */
  public boolean selfService(String team) {
    BudgetPolicy policy = budgets.get(team);
    return policy != null && policy.getSelfService();
  }

  private <T> T locked(Supplier<T> write) {
    writes.lock();
    try {
      return write.get();
    } finally {
      writes.unlock();
    }
  }

  @Override
  public void close() {
    List<AutoCloseable> parts = List.of(alerts, changes, changeLog, budgets, routing, models, actions, totals, learned, pins, publisher);
    for (AutoCloseable part : parts) {
      try {
        part.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", part.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
