package io.modelrouter.budget;

import io.modelrouter.budget.internal.TeamTokens;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * budget-service's settings, validated once. Tokens are secrets: they are never printed, and an error about one
 * names its team (or its position in the list), never the token.
 */
public final class BudgetServiceConfig {
  public static final Setting<String> HTTP_HOST = Setting.string("budget.http.host", "localhost",
      "Interface the HTTP API listens on (0.0.0.0 for every interface).").nonEmpty();
  public static final Setting<Integer> HTTP_PORT = Setting.integer("budget.http.port", 8080,
      "Port of the HTTP API (0 picks a free port).").between(0, 65_535);
  public static final Setting<String> ADMIN_TOKEN = Setting.secret("budget.admin.token",
      "Bearer token that may do everything (required).");
  public static final Setting<String> TEAM_TOKENS = Setting.secret("budget.team.tokens",
      "Comma-separated team=token pairs: each token reads its own team and sends its feedback; it changes its"
          + " limits or lifts its pause only with self-service, which the admin grants in the team's budget.");
  public static final Setting<Integer> ALERTS_HISTORY = Setting.integer("budget.alerts.history", 1000,
      "Budget alerts kept in memory per team for GET /teams/{team}/alerts.").atLeast(1);
  public static final Setting<Integer> RESULTS_HISTORY = Setting.integer("budget.results.history", 50,
      "Results kept in memory per team for the dashboard's recent routing reasons.").atLeast(1);
  public static final Setting<Integer> RESULTS_LOOKBACK = Setting.integer("budget.results.lookback", 10_000,
      "Records of each llm.results partition read at start to fill the dashboard's recent results.").atLeast(0);
  public static final Setting<Integer> MAX_BODY_BYTES = Setting.integer("budget.http.max.body.bytes", 1_000_000,
      "Largest request body accepted; a larger one is answered 413 naming the limit. The largest policy or budget "
          + "written by hand is a few kilobytes.").between(1_024, 100_000_000);
  public static final Setting<Integer> MAX_HEADER_BYTES = Setting.integer("budget.http.max.header.bytes", 16_384,
      "Largest request line and headers accepted; larger ones are answered 431 naming the limit.")
      .between(1_024, 1_048_576);
  public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("budget.http.max.connections", 1_000,
      "Open connections at most; beyond, new ones wait to be accepted.").between(1, 100_000);
  public static final Setting<java.time.Duration> IDLE_TIMEOUT = Setting.duration("budget.http.idle.timeout",
      java.time.Duration.ofSeconds(30), "How long an idle connection (or a stalled request body) is kept open.")
      .positive();
  public static final Setting<Boolean> BOOTSTRAP_DEFAULTS = Setting.bool("budget.bootstrap.defaults", true,
      "At start, publish the shipped default routing policy (key *) and model catalog when their topics hold none.");

  public static final List<Setting<?>> SETTINGS = List.of(HTTP_HOST, HTTP_PORT, ADMIN_TOKEN, TEAM_TOKENS,
      ALERTS_HISTORY, RESULTS_HISTORY, RESULTS_LOOKBACK, MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_CONNECTIONS,
      IDLE_TIMEOUT, BOOTSTRAP_DEFAULTS);

  private final Settings settings;
  private final String host;
  private final int port;
  private final String adminToken;
  private final Map<String, String> teamTokens;
  private final int alertsHistory;
  private final int resultsHistory;
  private final int resultsLookback;
  private final boolean bootstrapDefaults;

  public BudgetServiceConfig(Settings settings) {
    this.settings = settings.validate(allSettings());
    this.host = settings.get(HTTP_HOST);
    this.port = settings.get(HTTP_PORT);
    String admin = settings.get(ADMIN_TOKEN);
    if (admin == null || admin.isBlank()) {
      throw new IllegalArgumentException(ADMIN_TOKEN.key() + " is required: set " + ADMIN_TOKEN.envVar()
          + " to the bearer token that administers budgets, policies and the model catalog");
    }
    this.adminToken = admin.trim();
    this.teamTokens = TeamTokens.parse(settings.get(TEAM_TOKENS), adminToken,
        TEAM_TOKENS.key() + " (" + TEAM_TOKENS.envVar() + ")");
    this.alertsHistory = settings.get(ALERTS_HISTORY);
    this.resultsHistory = settings.get(RESULTS_HISTORY);
    this.resultsLookback = settings.get(RESULTS_LOOKBACK);
    this.bootstrapDefaults = settings.get(BOOTSTRAP_DEFAULTS);
  }

  /** The HTTP server's limits. */
  public io.modelrouter.budget.internal.HttpApi.Limits limits() {
    return new io.modelrouter.budget.internal.HttpApi.Limits(settings.get(MAX_BODY_BYTES),
        settings.get(MAX_HEADER_BYTES), settings.get(MAX_CONNECTIONS), settings.get(IDLE_TIMEOUT));
  }

  /** CommonSettings.ALL and budget-service's own settings, for documentation and the start-up listing. */
  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(CommonSettings.ALL);
    all.addAll(SETTINGS);
    return all;
  }

  public Settings settings() {
    return settings;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String adminToken() {
    return adminToken;
  }

  /** Team id to token; unmodifiable. */
  public Map<String, String> teamTokens() {
    return teamTokens;
  }

  public int alertsHistory() {
    return alertsHistory;
  }

  public int resultsHistory() {
    return resultsHistory;
  }

  public int resultsLookback() {
    return resultsLookback;
  }

  public boolean bootstrapDefaults() {
    return bootstrapDefaults;
  }

  @Override
  public String toString() {
    // Tokens are secrets: only the teams that have one are printed.
    return "BudgetServiceConfig[" + host + ":" + port + ", team tokens for " + teamTokens.keySet()
        + ", alerts history " + alertsHistory + ", results history " + resultsHistory + " (lookback " + resultsLookback
        + "), bootstrap defaults " + bootstrapDefaults + "]";
  }
}
