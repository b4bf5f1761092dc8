package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** The endpoints of budget-service, each a thin step between {@link HttpApi} and {@link BudgetStore}. */
public final class Routes {
  static final int DEFAULT_ALERTS = 50;
  static final int DEFAULT_CHANGES = 50;
  /** Changes shown in {@code /usage}. */
  static final int USAGE_CHANGES = 10;
  static final int MAX_SESSION_ID = 200;

  private final BudgetStore store;
  private final ResultHistory results;
  private final FeedbackHistory feedback;

  private java.util.Set<String> webhooks = java.util.Set.of();

  private Routes(BudgetStore store, ResultHistory results, FeedbackHistory feedback) {
    this.store = store;
    this.results = results;
    this.feedback = feedback;
  }

  public static void register(HttpApi api, BudgetStore store, ResultHistory results, FeedbackHistory feedback) {
    register(api, store, results, feedback, java.util.Set.of());
  }

  /** With the names of the webhooks this budget-service posts alerts to: a budget may name only those. */
  public static void register(HttpApi api, BudgetStore store, ResultHistory results, FeedbackHistory feedback,
      java.util.Set<String> webhooks) {
    Routes r = new Routes(store, results, feedback);
    r.webhooks = java.util.Set.copyOf(webhooks);
    api.get("/teams", ctx -> Permission.readShared("teams.read", "the list of teams"), r::teams);

    api.get("/teams/{team}/budget", ctx -> Permission.readTeam("budget.read", team(ctx), "the budget"),
        r::getBudget);
    api.put("/teams/{team}/budget", ctx -> Permission.selfService("budget.write", team(ctx), "the budget"),
        r::putBudget);
    api.delete("/teams/{team}/budget", ctx -> Permission.adminTeam("budget.delete", team(ctx), "the budget"),
        r::deleteBudget);
    api.post("/teams/{team}/budget/reset",
        ctx -> Permission.selfService("budget.reset", team(ctx), "the budget state"), r::reset);

    api.get("/teams/{team}/policy", ctx -> Permission.readTeam("policy.read", team(ctx), "the routing policy"),
        r::getPolicy);
    api.put("/teams/{team}/policy", ctx -> Permission.adminTeam("policy.write", team(ctx), "the routing policy"),
        r::putPolicy);
    api.delete("/teams/{team}/policy",
        ctx -> Permission.adminTeam("policy.delete", team(ctx), "the routing policy"), r::deletePolicy);
    api.get("/policies/default", ctx -> Permission.readShared("default-policy.read", "the default routing policy"),
        r::getDefault);
    api.put("/policies/default",
        ctx -> Permission.writeShared("default-policy.write", "the default routing policy"), r::putDefault);

    api.get("/teams/{team}/state", ctx -> Permission.readTeam("state.read", team(ctx), "the budget state"),
        r::state);
    api.get("/teams/{team}/alerts", ctx -> Permission.readTeam("alerts.read", team(ctx), "the alerts"), r::alerts);
    api.get("/teams/{team}/usage", ctx -> Permission.readTeam("usage.read", team(ctx), "the usage"), r::usage);
    api.get("/teams/{team}/usage/series", ctx -> Permission.readTeam("usage.read", team(ctx), "the usage"),
        r::series);
    api.get("/teams/{team}/changes", ctx -> Permission.readTeam("changes.read", team(ctx), "the changes"),
        r::changes);
    api.post("/teams/{team}/feedback", ctx -> Permission.writeTeam("feedback.write", team(ctx), "feedback"),
        r::feedback);
    api.get("/teams/{team}/learned-model",
        ctx -> Permission.readTeam("learned-model.read", team(ctx), "the learned routing model"), r::learnedModel);
    api.put("/teams/{team}/learned-model/pin",
        ctx -> Permission.adminTeam("learned-model.pin", team(ctx), "the learned routing model version"), r::pin);
    api.delete("/teams/{team}/learned-model/pin",
        ctx -> Permission.adminTeam("learned-model.unpin", team(ctx), "the learned routing model version"),
        r::unpin);

    api.get("/models", ctx -> Permission.readShared("models.read", "the model catalog"), r::models);
    api.get("/models/{id}", ctx -> Permission.readShared("models.read", "the model catalog"), r::getModel);
    api.put("/models/{id}", ctx -> Permission.writeShared("models.write", "the model catalog"), r::putModel);
    api.delete("/models/{id}", ctx -> Permission.writeShared("models.delete", "the model catalog"),
        r::deleteModel);
    api.selfService(store::selfService);

    // The page and its assets carry no data: the page asks for a token and calls /dashboard/summary with it.
    api.asset("/", "/dashboard/index.html", "text/html; charset=utf-8");
    api.asset("/dashboard/dashboard.js", "/dashboard/dashboard.js", "text/javascript; charset=utf-8");
    api.asset("/dashboard/dashboard.css", "/dashboard/dashboard.css", "text/css; charset=utf-8");
    // uPlot (MIT), vendored: the page loads nothing from anywhere else (docs/decisions/0005-vendored-charts.md).
    api.asset("/dashboard/vendor/uPlot.iife.min.js", "/dashboard/vendor/uPlot.iife.min.js",
        "text/javascript; charset=utf-8");
    api.asset("/dashboard/vendor/uPlot.min.css", "/dashboard/vendor/uPlot.min.css", "text/css; charset=utf-8");
    api.get("/dashboard/summary", ctx -> Permission.readShared("dashboard.read", "the dashboard summary"),
        r::dashboard);
  }

  /** The path's team id, or 400 naming {@code team}. */
  static String team(Context ctx) {
    String team = ctx.pathParam("team");
    if (!TeamTokens.TEAM_ID.matcher(team).matches()) {
      throw new ApiException(400, "invalid team id in the path",
          List.of("team: must be 1 to 64 of A-Z a-z 0-9 . _ -, got '" + cut(team, 80) + "'"));
    }
    return team;
  }

  // ---------------------------------------------------------------- teams

  private void teams(Context ctx, Principal principal) {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (String team : store.teams()) {
      if (!principal.reaches(team)) {
        continue;
      }
      BudgetAction action = store.action(team);
      BudgetPolicy budget = store.budget(team);
      ObjectNode node = out.addObject();
      node.put("team", team);
      node.put("state", action == null ? "NORMAL" : action.getState().name());
      node.put("reason", action == null ? "" : action.getReason());
      node.put("budgetVersion", budget == null ? null : budget.getVersion());
      node.put("hasRoutingPolicy", store.routingPolicy(team) != null);
    }
    HttpApi.json(ctx, 200, out);
  }

  // ---------------------------------------------------------------- budgets

  private void getBudget(Context ctx, Principal principal) {
    String team = team(ctx);
    BudgetPolicy policy = store.budget(team);
    if (policy == null) {
      throw ApiException.notFound("team '" + team + "' has no budget");
    }
    HttpApi.json(ctx, 200, budgetJson(policy));
  }

  /**
   * Replaces the team's limits. {@code selfService} is the admin's grant: omitted, it stays as it is; a team token
   * may not change it (403 naming {@code budget.grant-self-service}).
   */
  private void putBudget(Context ctx, Principal principal) {
    String team = team(ctx);
    String body = HttpApi.body(ctx);
    BudgetPolicy parsed = Bodies.budget(team, body);
    List<String> unknown = new java.util.ArrayList<>();
    for (int i = 0; i < parsed.getWebhooks().size(); i++) {
      if (!webhooks.contains(parsed.getWebhooks().get(i))) {
        unknown.add("$.webhooks[" + i + "]: '" + parsed.getWebhooks().get(i) + "' is not a webhook of this "
            + "budget-service (alerts.webhooks: " + (webhooks.isEmpty() ? "none" : String.join(", ",
                new java.util.TreeSet<>(webhooks))) + ")");
      }
    }
    if (!unknown.isEmpty()) {
      throw new ApiException(400, "the budget names webhooks this budget-service does not post to", unknown);
    }
    boolean granted = store.selfService(team);
    boolean stated = Bodies.object(body, "budget policy").has("selfService");
    if (!stated) {
      parsed.setSelfService(granted);
    } else if (!principal.isAdmin() && parsed.getSelfService() != granted) {
      throw new ApiException(403, "the team token of '" + principal.team() + "' may not change the self-service"
          + " grant of team '" + team + "' (permission budget.grant-self-service): only the admin token may",
          List.of(), "budget.grant-self-service");
    }
    BudgetPolicy stored = store.putBudget(team, parsed, principal);
    HttpApi.json(ctx, 200, budgetJson(stored));
  }

  private void deleteBudget(Context ctx, Principal principal) {
    String team = team(ctx);
    if (!store.deleteBudget(team, principal)) {
      throw ApiException.notFound("team '" + team + "' has no budget");
    }
    ctx.status(204);
  }

  private void reset(Context ctx, Principal principal) {
    HttpApi.json(ctx, 202, Json.action(store.reset(team(ctx), principal)));
  }

  private static ObjectNode budgetJson(BudgetPolicy policy) {
    ObjectNode out = PolicyJson.toJson(policy);
    Json.instant(out, "updatedAt", policy.getUpdatedAt());
    return out;
  }

  // ---------------------------------------------------------------- routing policies

  private void getPolicy(Context ctx, Principal principal) {
    String team = team(ctx);
    RoutingPolicy policy = store.routingPolicy(team);
    if (policy == null) {
      throw ApiException.notFound("team '" + team + "' has no routing policy of its own: it uses the default"
          + " policy (GET /policies/default)");
    }
    HttpApi.json(ctx, 200, policyJson(policy));
  }

  private void putPolicy(Context ctx, Principal principal) {
    String team = team(ctx);
    RoutingPolicy parsed = Bodies.routingPolicy(team, HttpApi.body(ctx), store.catalog());
    HttpApi.json(ctx, 200, policyJson(store.putRoutingPolicy(team, parsed, principal)));
  }

  private void deletePolicy(Context ctx, Principal principal) {
    String team = team(ctx);
    if (!store.deleteRoutingPolicy(team, principal)) {
      throw ApiException.notFound("team '" + team + "' has no routing policy of its own");
    }
    ctx.status(204);
  }

  private void getDefault(Context ctx, Principal principal) {
    HttpApi.json(ctx, 200, policyJson(store.defaultPolicy()));
  }

  private void putDefault(Context ctx, Principal principal) {
    RoutingPolicy parsed = Bodies.routingPolicy(Topics.DEFAULT_POLICY_KEY, HttpApi.body(ctx), store.catalog());
    HttpApi.json(ctx, 200, policyJson(store.putRoutingPolicy(Topics.DEFAULT_POLICY_KEY, parsed, principal)));
  }

  private static ObjectNode policyJson(RoutingPolicy policy) {
    ObjectNode out = PolicyJson.toJson(policy);
    Json.instant(out, "updatedAt", policy.getUpdatedAt());
    return out;
  }

  // ---------------------------------------------------------------- state, alerts, usage

  private void state(Context ctx, Principal principal) {
    String team = team(ctx);
    BudgetAction action = store.action(team);
    if (action != null) {
      HttpApi.json(ctx, 200, Json.action(action));
      return;
    }
    ObjectNode out = Json.object();
    out.put("team", team);
    out.put("state", "NORMAL");
    out.put("reason", "no budget action recorded for this team");
    out.put("dailyState", "NORMAL");
    out.put("monthlyState", "NORMAL");
    HttpApi.json(ctx, 200, out);
  }

  private void alerts(Context ctx, Principal principal) {
    String team = team(ctx);
    int limit = intParam(ctx, "limit", DEFAULT_ALERTS, store.alertsPerTeam());
    ArrayNode out = Json.MAPPER.createArrayNode();
    store.alerts(team, limit).forEach(a -> out.add(Json.alert(a)));
    HttpApi.json(ctx, 200, out);
  }

  private void usage(Context ctx, Principal principal) {
    String team = team(ctx);
    String session = ctx.queryParam("session");
    if (session != null && (session.isBlank() || session.length() > MAX_SESSION_ID)) {
      throw new ApiException(400, "invalid session id",
          List.of("session: must be 1 to " + MAX_SESSION_ID + " characters, got " + session.length()));
    }
    UsageReport report = UsageReport.of(team, store.now(), store.budget(team), store::totals, store.action(team),
        session);
    List<AdminChange> changes = store.changes(team, USAGE_CHANGES);
    if (wantsText(ctx.header("Accept"))) {
      HttpApi.text(ctx, 200, report.toText() + ChangeHistory.text(changes));
    } else {
      ObjectNode out = report.toJson();
      out.set("changes", ChangeHistory.json(changes));
      HttpApi.json(ctx, 200, out);
    }
  }

  /** The team's usage over time: today by hour, the month by day, and each window's burn-down ({@link TeamSeries}). */
  private void series(Context ctx, Principal principal) {
    String team = team(ctx);
    HttpApi.json(ctx, 200, series(team, store.now()).toJson());
  }

  private TeamSeries series(String team, Instant at) {
    return new TeamSeries(team, at, store.budget(team), store::totals,
        FrontierBaseline.of(store.routingPolicy(team), store.defaultPolicy(), store.catalog()));
  }

  /** Who changed the team's budget, policy, state or pin, and when, newest first ({@code ?limit=}, 50). */
  private void changes(Context ctx, Principal principal) {
    String team = team(ctx);
    int limit = intParam(ctx, "limit", DEFAULT_CHANGES, BudgetStore.CHANGES_PER_TEAM);
    HttpApi.json(ctx, 200, ChangeHistory.json(store.changes(team, limit)));
  }

  /** Text when the client asks for text/plain and not for JSON (browsers and curl send {@code *}/{@code *}). */
  static boolean wantsText(String accept) {
    if (accept == null) {
      return false;
    }
    String a = accept.toLowerCase(Locale.ROOT);
    return a.contains("text/plain") && !a.contains("application/json");
  }

  // ---------------------------------------------------------------- feedback

  /**
   * Publishes a judgement of one of the team's results to {@code llm.feedback}. A request id this service has seen
   * answered for another team is refused (403): one team's feedback never reaches another's routing. An id it has
   * not seen (too old, or not answered yet) is accepted and answered {@code "matched": false}.
   */
  private void feedback(Context ctx, Principal principal) {
    String team = team(ctx);
    FeedbackEvent event = Bodies.feedback(team, HttpApi.body(ctx), store.now());
    String owner = results.ownerOf(event.getRequestId());
    if (owner != null && !owner.equals(team)) {
      store.countFeedback(team, event, "refused");
      throw new ApiException(403, "request '" + cut(event.getRequestId(), 130) + "' is not a request of team '"
          + team + "': feedback is accepted only for the team's own requests", List.of());
    }
    boolean matched = owner != null;
    store.publishFeedback(event, matched);
    ObjectNode out = Json.object();
    out.put("feedbackId", event.getFeedbackId());
    out.put("requestId", event.getRequestId());
    out.put("team", team);
    out.put("matched", matched);
    HttpApi.json(ctx, 202, out);
  }

  // ---------------------------------------------------------------- learned routing models

  /** The versions of the team's learned model kept on {@code llm.router.models}, the pin, and what the router uses. */
  private void learnedModel(Context ctx, Principal principal) {
    String team = team(ctx);
    HttpApi.json(ctx, 200, learnedJson(team));
  }

  private ObjectNode learnedJson(String team) {
    BudgetStore.LearnedModel model = store.learnedModel(team);
    RouterModelPin pin = model.pin();
    ObjectNode out = Json.object();
    out.put("team", team);
    ArrayNode list = out.putArray("versions");
    for (LearnedVersion v : model.versions()) {
      ObjectNode node = list.addObject();
      node.put("version", v.version());
      Json.instant(node, "createdAt", v.createdAt());
      node.put("exemplars", v.exemplars());
      node.put("feedbackApplied", v.feedbackApplied());
      node.put("base", v.base());
    }
    out.put("latest", model.latest());
    out.put("inUse", model.inUse());
    if (pin == null) {
      out.putNull("pin");
    } else {
      ObjectNode node = out.putObject("pin");
      node.put("version", pin.getVersion());
      node.put("reason", pin.getReason());
      node.put("pinnedBy", pin.getPinnedBy());
      Json.instant(node, "pinnedAt", pin.getPinnedAt());
    }
    out.put("note", "version 0 is the shipped exemplars only; the router uses the pinned version, else the latest");
    return out;
  }

  /**
   * Pins the team's learned model to a version (admin only): {@code {"version": 3, "reason": "..."}}; 0 is the
   * shipped model. A version no longer kept is refused (400), so a pin never points at nothing.
   */
  private void pin(Context ctx, Principal principal) {
    String team = team(ctx);
    ObjectNode body = Bodies.object(HttpApi.body(ctx), "pin");
    com.fasterxml.jackson.databind.JsonNode version = body.get("version");
    if (version == null || !version.canConvertToLong() || !version.isIntegralNumber() || version.asLong() < 0) {
      throw new ApiException(400, "pin is invalid (1 problem)",
          List.of("$.version: must be a whole number: 0 (the shipped model) or a kept version"));
    }
    long wanted = version.asLong();
    if (wanted != 0 && store.learnedVersions(team).stream().noneMatch(v -> v.version() == wanted)) {
      throw new ApiException(400, "pin is invalid (1 problem)", List.of("$.version: team '" + team
          + "' has no learned model version " + wanted + " (GET /teams/" + team + "/learned-model lists the kept "
          + "versions)"));
    }
    String reason = body.path("reason").isTextual() ? body.get("reason").asText() : "";
    if (reason.length() > 500) {
      throw new ApiException(400, "pin is invalid (1 problem)", List.of("$.reason: must be at most 500 characters"));
    }
    store.pinLearned(team, wanted, reason, principal);
    HttpApi.json(ctx, 200, learnedJson(team));
  }

  private void unpin(Context ctx, Principal principal) {
    String team = team(ctx);
    if (!store.unpinLearned(team, principal)) {
      throw ApiException.notFound("team '" + team + "' has no pinned learned model version");
    }
    HttpApi.json(ctx, 200, learnedJson(team));
  }

  // ---------------------------------------------------------------- dashboard

  /** Every team the token reaches (a team token: its own, known or not yet), as {@link TeamSummary} cards. */
  private void dashboard(Context ctx, Principal principal) {
    Instant at = store.now();
    TreeSet<String> teams = new TreeSet<>();
    if (principal.isAdmin()) {
      teams.addAll(store.teams());
      teams.addAll(results.teams());
    } else {
      teams.add(principal.team());
    }
    Map<String, ModelSpec> catalog = store.catalog();
    RoutingPolicy defaultPolicy = store.defaultPolicy();
    ObjectNode out = Json.object();
    Json.instant(out, "at", at);
    out.put("viewer", principal.describe());
    ArrayNode cards = out.putArray("teams");
    for (String team : teams) {
      FrontierBaseline baseline = FrontierBaseline.of(store.routingPolicy(team), defaultPolicy, catalog);
      ObjectNode card = TeamSummary.of(team, at, store.budget(team), store::totals, store.action(team),
          store.alerts(team, store.alertsPerTeam()), results.recent(team, TeamSummary.RESULTS_SHOWN), baseline)
          .toJson();
      // The charts' series as of the minute: the projections move with the clock, and the page redraws only when
      // what it is sent changes.
      card.set("series", series(team, at.truncatedTo(java.time.temporal.ChronoUnit.MINUTES)).toJson());
      ObjectNode learning = learningJson(team, baseline);
      if (learning != null) {
        card.set("learning", learning);
      }
      cards.add(card);
    }
    HttpApi.json(ctx, 200, out);
  }

  /**
   * The dashboard's learning line and chart of a team: its learned model (latest version, the one in use, learned
   * exemplars), how its results are judged lately, and per judged minute the mean score and what the judged requests
   * cost against all-frontier; null for a team with neither a learned model nor a judgement.
   */
  private ObjectNode learningJson(String team, FrontierBaseline baseline) {
    BudgetStore.LearnedModel model = store.learnedModel(team);
    FeedbackHistory.Trend trend = feedback.trend(team);
    if (model.versions().isEmpty() && trend == null) {
      return null;
    }
    ObjectNode out = Json.object();
    out.put("latest", model.latest());
    out.put("inUse", model.inUse());
    out.put("pinned", model.pin() != null);
    out.put("exemplars", model.versions().isEmpty() ? 0 : model.versions().getLast().exemplars());
    if (trend != null) {
      ObjectNode judged = out.putObject("judgements");
      judged.put("latest", trend.latest());
      judged.put("latestMeanScore", Math.round(trend.latestMean() * 1000) / 1000.0);
      judged.put("earlier", trend.earlier());
      judged.put("earlierMeanScore", Math.round(trend.earlierMean() * 1000) / 1000.0);
    }
    out.set("minutes", minutesJson(feedback.minutes(team), baseline));
    return out;
  }

  /**
   * The learning chart's points: per judged minute the judgements, their mean score, the priced requests' cost, and
   * that cost's share of the same tokens on the frontier model ({@code costShare} null without a baseline, without
   * a priced request, or when the baseline prices them at 0).
   */
  static ArrayNode minutesJson(List<FeedbackHistory.Minute> minutes, FrontierBaseline baseline) {
    ArrayNode out = Json.MAPPER.createArrayNode();
    for (FeedbackHistory.Minute m : minutes) {
      ObjectNode point = out.addObject();
      Json.instant(point, "start", m.start());
      point.put("judgements", m.judgements());
      point.put("meanScore", Math.round(m.meanScore() * 1000) / 1000.0);
      point.put("priced", m.priced());
      Json.money(point, "cost", "costUsd", m.costMicros());
      if (baseline == null || m.priced() == 0) {
        point.putNull("baselineCostMicros");
        point.putNull("baselineCostUsd");
        point.putNull("costShare");
        continue;
      }
      long frontier = m.baselineCostMicros(baseline);
      Json.money(point, "baselineCost", "baselineCostUsd", frontier);
      if (frontier > 0) {
        point.put("costShare", Math.round(m.costMicros() * 10_000.0 / frontier) / 10_000.0);
      } else {
        point.putNull("costShare");
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- model catalog

  private void models(Context ctx, Principal principal) {
    ObjectNode out = Json.object();
    out.put("source", store.catalogPublished() ? "published" : "shipped default (nothing published yet)");
    ArrayNode models = out.putArray("models");
    store.catalog().values().forEach(m -> models.add(modelJson(m)));
    HttpApi.json(ctx, 200, out);
  }

  private void getModel(Context ctx, Principal principal) {
    String id = ctx.pathParam("id");
    ModelSpec model = store.catalog().get(id);
    if (model == null) {
      throw ApiException.notFound("model '" + cut(id, 130) + "' is not in the catalog");
    }
    HttpApi.json(ctx, 200, modelJson(model));
  }

  private void putModel(Context ctx, Principal principal) {
    ModelSpec parsed = Bodies.model(ctx.pathParam("id"), HttpApi.body(ctx));
    HttpApi.json(ctx, 200, modelJson(store.putModel(parsed, principal)));
  }

  private void deleteModel(Context ctx, Principal principal) {
    String id = ctx.pathParam("id");
    if (!store.deleteModel(id, principal)) {
      throw ApiException.notFound("model '" + cut(id, 130) + "' is not in the catalog");
    }
    ctx.status(204);
  }

  static ObjectNode modelJson(ModelSpec model) {
    ObjectNode out = PolicyJson.toJson(model);
    Json.instant(out, "updatedAt", model.getUpdatedAt());
    return out;
  }

  // ---------------------------------------------------------------- helpers

  private static int intParam(Context ctx, String name, int fallback, int max) {
    String raw = ctx.queryParam(name);
    if (raw == null) {
      return Math.min(fallback, max);
    }
    try {
      int value = Integer.parseInt(raw.trim());
      if (value >= 1 && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new ApiException(400, "invalid query parameter " + name,
        List.of(name + ": must be a whole number from 1 to " + max + ", got '" + cut(raw, 40) + "'"));
  }

  private static String cut(String text, int max) {
    String bounded = text.length() > max ? text.substring(0, max) + "..." : text;
    return bounded.replaceAll("\\p{Cntrl}", "?");
  }
}
