package io.modelrouter.worker.provider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A response format's JSON Schema as Anthropic's structured outputs take it, the way Anthropic's own Python and
 * TypeScript SDKs prepare one: every object closed ({@code additionalProperties: false}, which the API requires), and
 * the constraints it does not take (numeric bounds, string lengths and patterns, array sizes beyond a minimum of 0 or
 * 1) moved into the property's description. The worker still validates the answer against the original schema, so
 * those constraints hold all the same (an answer that breaks one is asked again, then the next model is).
 */
final class AnthropicSchemas {
  private static final Set<String> MOVED = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      "multipleOf", "minLength", "maxLength", "pattern", "maxItems", "uniqueItems", "minProperties", "maxProperties");
  private static final Set<String> SUBSCHEMA_MAPS = Set.of("properties", "$defs", "definitions");
  private static final Set<String> SUBSCHEMA_LISTS = Set.of("anyOf", "allOf", "oneOf", "prefixItems");

  private AnthropicSchemas() {}

  static Map<String, Object> forOutputFormat(Map<String, Object> schema) {
    return prepare(schema);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> prepare(Map<String, Object> schema) {
    Map<String, Object> out = new LinkedHashMap<>();
    List<String> moved = new ArrayList<>();
    for (Map.Entry<String, Object> e : schema.entrySet()) {
      String key = e.getKey();
      Object value = e.getValue();
      if (MOVED.contains(key) || key.equals("minItems") && value instanceof Number n && n.longValue() > 1) {
        moved.add(key + ": " + value);
      } else if (SUBSCHEMA_MAPS.contains(key) && value instanceof Map<?, ?> map) {
        Map<String, Object> children = new LinkedHashMap<>();
        map.forEach((name, child) -> children.put(String.valueOf(name),
            child instanceof Map<?, ?> c ? prepare((Map<String, Object>) c) : child));
        out.put(key, children);
      } else if (SUBSCHEMA_LISTS.contains(key) && value instanceof List<?> list) {
        out.put(key, list.stream().map(c -> c instanceof Map<?, ?> m ? prepare((Map<String, Object>) m) : c).toList());
      } else if (key.equals("items") && value instanceof Map<?, ?> items) {
        out.put(key, prepare((Map<String, Object>) items));
      } else {
        out.put(key, value);
      }
    }
    boolean object = "object".equals(out.get("type")) || out.containsKey("properties");
    if (object && !out.containsKey("additionalProperties")) {
      out.put("additionalProperties", false);
    }
    if (!moved.isEmpty()) {
      Object description = out.get("description");
      out.put("description", (description == null ? "" : description + " ") + "(" + String.join(", ", moved) + ")");
    }
    return out;
  }
}
