package io.modelrouter.budget;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelrouter.budget.internal.BudgetStore;
import io.modelrouter.budget.internal.Gatekeeper;
import io.modelrouter.budget.internal.HttpApi;
import io.modelrouter.budget.internal.ResultHistory;
import io.modelrouter.budget.internal.Routes;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Metrics;
import io.modelrouter.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane: an HTTP API for budgets, routing policies, the model catalog, pause resets, budget state,
 * alerts, {@code /usage} and the live dashboard at {@code /}. It is the single writer of {@code llm.budget.policies}, {@code llm.routing.policies}
 * and {@code llm.models} and computes versions from its own view of them, so run exactly one instance; it reads
 * totals, actions and alerts written by the aggregator, and the recent results on {@code llm.results} for the
 * dashboard's routing reasons.
 */
public final class BudgetService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetService.class);
  /** How long start() waits for the topics to be read to their end. */
  static final Duration LOAD_TIMEOUT = Duration.ofSeconds(60);

  private final BudgetServiceConfig config;
  private final Settings settings;
  private final Clock clock;
  private final PrometheusMeterRegistry registry;
  private BudgetStore store;
  private ResultHistory results;
  private io.modelrouter.budget.internal.FeedbackHistory feedback;
  private HttpApi api;
  private io.modelrouter.budget.internal.AlertDelivery alerts;

  public BudgetService(Settings settings) {
    this(settings, Clock.systemUTC());
  }

  /** With a clock of the caller's: the current windows of {@code /usage} and the times written on records. */
  public BudgetService(Settings settings, Clock clock) {
    this.config = new BudgetServiceConfig(settings);
    this.settings = settings;
    this.clock = clock;
    this.registry = Metrics.registry("budget-service");
  }

  /** Creates missing topics (if configured), loads every view, bootstraps defaults, then listens. */
  public BudgetService start() {
    Topics topics = CommonSettings.topics(settings);
    try {
      CommonSettings.ensureTopics(settings, topics, LOAD_TIMEOUT);
      // schema ids looked up now: a first write during a registry outage does not wait for it
      topics.warmSerializers();
      // So that Confluent clients producing with use.latest.version find llm.requests-value on a new cluster.
      LOG.info("value schemas registered under {}", topics.registerValueSchemas());
      store = new BudgetStore(topics, CommonSettings.kafkaClientConfig(settings), config.alertsHistory(), clock,
          registry).start(LOAD_TIMEOUT);
      results = new ResultHistory(topics.results(), CommonSettings.kafkaClientConfig(settings),
          config.resultsHistory(), config.resultsLookback(), registry).start();
      if (!results.awaitLoaded(LOAD_TIMEOUT)) {
        throw new IllegalStateException("budget-service could not read the last " + config.resultsLookback()
            + " records of " + topics.results().name() + " within " + LOAD_TIMEOUT.toSeconds() + " s");
      }
      feedback = new io.modelrouter.budget.internal.FeedbackHistory(topics.feedback(),
          CommonSettings.kafkaClientConfig(settings), config.resultsLookback(), results::result, clock, registry)
          .start();
      if (!feedback.awaitLoaded(LOAD_TIMEOUT)) {
        throw new IllegalStateException("budget-service could not read the last " + config.resultsLookback()
            + " records of " + topics.feedback().name() + " within " + LOAD_TIMEOUT.toSeconds() + " s");
      }
      if (config.bootstrapDefaults()) {
        store.bootstrapDefaults();
      }
      BudgetStore loaded = store;
      ResultHistory recent = results;
      api = new HttpApi(new Gatekeeper(config.adminToken(), config.teamTokens()), registry, config.limits(),
          () -> loaded.problem() != null ? loaded.problem() : recent.problem());
      Routes.register(api, store, results, feedback, config.delivery().webhooks().keySet());
      if (!config.delivery().webhooks().isEmpty()) {
        alerts = new io.modelrouter.budget.internal.AlertDelivery(topics, CommonSettings.kafkaClientConfig(settings),
            config.delivery(), loaded::budget, registry, clock).start();
      }
      api.start(config.host(), config.port());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while budget-service was starting", e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info("budget-service listening on http://{}:{} ({} team tokens); policies on {}, {}, {}", config.host(),
        api.port(), config.teamTokens().size(), topics.budgetPolicies().name(), topics.routingPolicies().name(),
        topics.models().name());
    return this;
  }

  /** The port the HTTP API listens on (the one picked when configured as 0). */
  public int port() {
    if (api == null) {
      throw new IllegalStateException("budget-service is not started");
    }
    return api.port();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  @Override
  public void close() {
    if (alerts != null) {
      alerts.close();
      alerts = null;
    }
    if (api != null) {
      api.close();
      api = null;
    }
    if (feedback != null) {
      feedback.close();
    }
    if (results != null) {
      results.close();
      results = null;
    }
    if (store != null) {
      store.close();
      store = null;
    }
    registry.close();
  }
}
