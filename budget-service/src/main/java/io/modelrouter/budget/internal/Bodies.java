package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.Feedback;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Request bodies to records, or a 400 naming each problem's JSON path. Pure: the caller supplies the catalog.
 * {@code updatedAt} is set by the service and dropped from bodies, so a GET answer can be PUT back as it is.
 */
public final class Bodies {
  private Bodies() {}

  public static BudgetPolicy budget(String team, String body) {
    ObjectNode json = object(body, "budget policy");
    checkName(json, "team", team, "budget policy");
    try {
      return PolicyJson.parseBudgetPolicy(team, json);
    } catch (PolicyException e) {
      throw ApiException.invalid("budget policy of team '" + team + "'", e);
    }
  }

  /**
   * @param key team id, or {@code *} for the default policy
   * @param catalog the current catalog: profiles naming a model outside it are refused
   */
  public static RoutingPolicy routingPolicy(String key, String body, Map<String, ModelSpec> catalog) {
    String what = key.equals("*") ? "default routing policy" : "routing policy of team '" + key + "'";
    ObjectNode json = object(body, what);
    checkName(json, "team", key, what);
    try {
      return PolicyJson.parseRoutingPolicy(key, json, catalog);
    } catch (PolicyException e) {
      throw ApiException.invalid(what, e);
    }
  }

  /** The body's {@code id} must be the path's, or absent (then the path's is used). */
  public static ModelSpec model(String id, String body) {
    String what = "model '" + id + "'";
    ObjectNode json = object(body, what);
    checkName(json, "id", id, what);
    json.put("id", id);
    try {
      return PolicyJson.parseModelSpec(json);
    } catch (PolicyException e) {
      throw ApiException.invalid(what, e);
    }
  }

  /** The fields a feedback body may have; anything else is refused, so a misspelt field is not silently lost. */
  static final java.util.Set<String> FEEDBACK_FIELDS = java.util.Set.of("feedbackId", "requestId", "teamId",
      "sessionId", "score", "source", "neededProfile", "comment");

  /**
   * A feedback body ({@code requestId}, {@code score} in [0, 1], {@code source}; optional {@code sessionId},
   * {@code neededProfile}, {@code comment}, {@code feedbackId}) for {@code team}, stamped {@code now}; a 400 naming
   * every problem's path.
   */
  public static FeedbackEvent feedback(String team, String body, java.time.Instant now) {
    String what = "feedback of team '" + team + "'";
    ObjectNode json = object(body, what);
    checkName(json, "teamId", team, what);
    List<String> problems = new java.util.ArrayList<>();
    json.fieldNames().forEachRemaining(name -> {
      if (!FEEDBACK_FIELDS.contains(name)) {
        problems.add("$." + cutName(name) + ": unknown field (expected " + String.join(", ",
            new java.util.TreeSet<>(FEEDBACK_FIELDS)) + ")");
      }
    });
    String requestId = text(json, "requestId", problems, null);
    if (requestId == null) {
      // (found by BodiesFuzzTest: a body without requestId failed the record's build, a 500)
      problems.add("$.requestId: is required (the id of the request judged)");
      requestId = "";
    }
    FeedbackEvent.Builder event = FeedbackEvent.newBuilder()
        .setTeamId(team)
        .setFeedbackId(text(json, "feedbackId", problems, java.util.UUID.randomUUID().toString()))
        .setRequestId(requestId)
        .setSessionId(text(json, "sessionId", problems, null))
        .setNeededProfile(text(json, "neededProfile", problems, null))
        .setComment(text(json, "comment", problems, null))
        .setEventTime(now);
    JsonNode score = json.get("score");
    if (score == null || score.isNull()) {
      problems.add("$.score: is required (a number from 0 to 1)");
      event.setScore(0);
    } else if (!score.isNumber()) {
      problems.add("$.score: must be a number from 0 to 1, got " + score.getNodeType().name().toLowerCase(Locale.ROOT));
      event.setScore(0);
    } else {
      event.setScore(score.asDouble());
    }
    String source = text(json, "source", problems, null);
    event.setSource(FeedbackSource.UNKNOWN);
    if (source == null) {
      problems.add("$.source: is required (HUMAN, TEST, JUDGE or IMPLICIT)");
    } else {
      try {
        event.setSource(FeedbackSource.valueOf(source.trim().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        // reported below
      }
    }
    FeedbackEvent built = event.build();
    if (problems.isEmpty()) {
      Feedback.problems(built).forEach(p -> problems.add("$." + p));
    } else {
      // report the record's own problems only for fields not already named
      Feedback.problems(built).stream().filter(p -> problems.stream().noneMatch(q -> q.startsWith("$."
          + p.substring(0, p.indexOf(':')) + ":"))).forEach(p -> problems.add("$." + p));
    }
    if (!problems.isEmpty()) {
      throw new ApiException(400, what + " is invalid (" + problems.size()
          + (problems.size() == 1 ? " problem)" : " problems)"), problems);
    }
    return built;
  }

  /** A text field, or {@code fallback} when absent or null; a non-text value is a problem. */
  private static String text(ObjectNode json, String field, List<String> problems, String fallback) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isTextual()) {
      problems.add("$." + field + ": must be a string, got " + node.getNodeType().name().toLowerCase(Locale.ROOT));
      return fallback;
    }
    return node.asText();
  }

  private static String cutName(String name) {
    String bounded = name.length() > 64 ? name.substring(0, 64) + "..." : name;
    return bounded.replaceAll("\\p{Cntrl}", "?");
  }

  static ObjectNode object(String body, String what) {
    if (body == null || body.isBlank()) {
      throw new ApiException(400, "the request body is empty: send the " + what + " as a JSON object",
          List.of("$: expected a JSON object"));
    }
    JsonNode json;
    try {
      json = PolicyJson.read(body, what);
    } catch (PolicyException e) {
      throw ApiException.invalid(what, e);
    }
    if (!(json instanceof ObjectNode object)) {
      throw new ApiException(400, what + " is invalid (1 problem)",
          List.of("$: expected a JSON object, got " + json.getNodeType().name().toLowerCase(Locale.ROOT)));
    }
    object.remove("updatedAt");
    return object;
  }

  private static void checkName(ObjectNode json, String field, String expected, String what) {
    JsonNode given = json.get(field);
    if (given != null && !(given.isTextual() && given.asText().equals(expected))) {
      throw new ApiException(400, what + " is invalid (1 problem)", List.of("$." + field + ": " + given
          + " does not match '" + expected + "' in the path (leave it out or make them equal)"));
    }
  }
}
