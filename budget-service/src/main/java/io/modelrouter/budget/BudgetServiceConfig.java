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

  public static final Setting<String> WEBHOOKS = Setting.string("alerts.webhooks", "",
      "Comma-separated names of the webhooks budget alerts may be posted to (lower-case letters and digits); a "
          + "team's budget lists the ones it uses. Each is configured with alerts.webhook.<name>.*.");
  public static final Setting<String> W_URL = Setting.secret("alerts.webhook.<name>.url",
      "The webhook's URL (a secret: a Slack incoming webhook's URL is its credential).");
  public static final Setting<String> W_FORMAT = Setting.string("alerts.webhook.<name>.format", "generic",
      "slack: a Slack-compatible {\"text\": ...} body; generic: the alert as JSON.").oneOf("slack", "generic");
  public static final Setting<String> W_SECRET = Setting.secret("alerts.webhook.<name>.secret",
      "Key of the HMAC-SHA256 signature in X-ModelRouter-Signature (t=<unix seconds>,v1=<hex of HMAC(key, "
          + "t + \".\" + body)>); none: unsigned.");
  public static final Setting<String> DELIVERY_GROUP = Setting.string("alerts.delivery.group",
      "model-router-alert-delivery", "Consumer group of the alert delivery (its offsets say which alerts were "
          + "delivered).").nonEmpty();
  public static final Setting<Integer> DELIVERY_ATTEMPTS = Setting.integer("alerts.delivery.max.attempts", 8,
      "Posts of one alert to one webhook before it goes to the DLQ.").between(1, 100);
  public static final Setting<java.time.Duration> DELIVERY_BACKOFF = Setting.duration("alerts.delivery.backoff",
      java.time.Duration.ofSeconds(1), "Wait after the first failed post; doubles up to alerts.delivery.max.backoff.")
      .positive();
  public static final Setting<java.time.Duration> DELIVERY_MAX_BACKOFF = Setting.duration(
      "alerts.delivery.max.backoff", java.time.Duration.ofSeconds(60), "Longest wait between two posts.").positive();
  public static final Setting<java.time.Duration> DELIVERY_TIMEOUT = Setting.duration("alerts.delivery.timeout",
      java.time.Duration.ofSeconds(10), "How long one post may take.").positive();

  public static final List<Setting<?>> SETTINGS = List.of(HTTP_HOST, HTTP_PORT, ADMIN_TOKEN, TEAM_TOKENS,
      ALERTS_HISTORY, RESULTS_HISTORY, RESULTS_LOOKBACK, MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_CONNECTIONS,
      IDLE_TIMEOUT, BOOTSTRAP_DEFAULTS, WEBHOOKS, DELIVERY_GROUP, DELIVERY_ATTEMPTS, DELIVERY_BACKOFF,
      DELIVERY_MAX_BACKOFF, DELIVERY_TIMEOUT);
  public static final List<Setting<?>> WEBHOOK_TEMPLATES = List.of(W_URL, W_FORMAT, W_SECRET);

  private final Settings settings;
  private final String host;
  private final int port;
  private final String adminToken;
  private final Map<String, String> teamTokens;
  private final int alertsHistory;
  private final int resultsHistory;
  private final int resultsLookback;
  private final boolean bootstrapDefaults;
  private final Delivery delivery;

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
    this.delivery = parseDelivery(settings);
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
    all.addAll(WEBHOOK_TEMPLATES);
    return all;
  }

  /** A configured webhook: where alerts go, in which body, signed with which key (null: unsigned). */
  public record Webhook(String name, java.net.URI url, String format, String secret) {
    @Override
    public String toString() {
      return "webhook " + name + " (" + format + (secret == null ? ", unsigned)" : ", signed)");
    }
  }

  /** How alerts are delivered: the webhooks by name, retries, timeout, consumer group. */
  public record Delivery(Map<String, Webhook> webhooks, String group, int maxAttempts, java.time.Duration backoff,
      java.time.Duration maxBackoff, java.time.Duration timeout) {}

  public Delivery delivery() {
    return delivery;
  }

  private Delivery parseDelivery(Settings settings) {
    Map<String, Webhook> webhooks = new java.util.LinkedHashMap<>();
    for (String name : settings.get(WEBHOOKS).split(",")) {
      String n = name.trim();
      if (n.isEmpty()) {
        continue;
      }
      settings.validate(WEBHOOK_TEMPLATES.stream().<Setting<?>>map(t -> t.forName(n)).toList());
      String url = settings.get(W_URL.forName(n));
      if (url == null || url.isBlank()) {
        throw new IllegalArgumentException("webhook " + n + " is listed in " + WEBHOOKS.key() + " but has no URL: set "
            + W_URL.forName(n).envVar());
      }
      java.net.URI uri;
      try {
        uri = java.net.URI.create(url.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(W_URL.forName(n).key() + " is not a URL");
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException(W_URL.forName(n).key() + " must be an http(s) URL");
      }
      String secret = settings.get(W_SECRET.forName(n));
      webhooks.put(n, new Webhook(n, uri, settings.get(W_FORMAT.forName(n)),
          secret == null || secret.isBlank() ? null : secret.trim()));
    }
    return new Delivery(Map.copyOf(webhooks), settings.get(DELIVERY_GROUP), settings.get(DELIVERY_ATTEMPTS),
        settings.get(DELIVERY_BACKOFF), settings.get(DELIVERY_MAX_BACKOFF), settings.get(DELIVERY_TIMEOUT));
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
