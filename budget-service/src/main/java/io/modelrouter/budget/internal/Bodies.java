package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
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
