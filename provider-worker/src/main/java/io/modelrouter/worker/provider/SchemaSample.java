package io.modelrouter.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;

/**
 * A JSON value that conforms to a JSON Schema, drawn for the simulated provider's tool calls and structured answers:
 * objects with all their properties, strings within their length and enum, numbers within their bounds, arrays of
 * their minimum size (at least one item), the first branch of an anyOf or oneOf, local {@code $ref}s followed.
 * Keywords it does not know (patterns, formats) are not honoured: the worker's validation then rejects the answer,
 * as it would a real model's.
 */
final class SchemaSample {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String[] WORDS = {"alpha", "route", "budget", "model", "review", "oslo", "ledger", "retry"};

  private SchemaSample() {}

  /** A value conforming to the schema given as JSON text, as JSON text. */
  static String of(String schemaText, SplittableRandom random) {
    try {
      JsonNode schema = JSON.readTree(schemaText);
      return JSON.writeValueAsString(sample(schema, schema, random, 0));
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a JSON schema: " + e.getMessage(), e);
    }
  }

  private static JsonNode sample(JsonNode schema, JsonNode root, SplittableRandom random, int depth) {
    if (depth > 8 || schema == null || !schema.isObject()) {
      return NODES.nullNode();
    }
    if (schema.has("$ref") && schema.get("$ref").asText().startsWith("#/")) {
      JsonNode target = root.at(schema.get("$ref").asText().substring(1));
      return sample(target.isMissingNode() ? null : target, root, random, depth + 1);
    }
    if (schema.has("const")) {
      return schema.get("const");
    }
    if (schema.has("enum") && schema.get("enum").size() > 0) {
      return schema.get("enum").get(random.nextInt(schema.get("enum").size()));
    }
    for (String branch : new String[] {"anyOf", "oneOf", "allOf"}) {
      if (schema.has(branch) && schema.get(branch).size() > 0) {
        return sample(schema.get(branch).get(0), root, random, depth + 1);
      }
    }
    JsonNode typeNode = schema.get("type");
    String type = typeNode == null ? (schema.has("properties") ? "object" : "string")
        : typeNode.isArray() ? firstNonNull(typeNode) : typeNode.asText();
    switch (type) {
      case "object" -> {
        ObjectNode object = NODES.objectNode();
        schema.path("properties").properties().forEach(p ->
            object.set(p.getKey(), sample(p.getValue(), root, random, depth + 1)));
        return object;
      }
      case "array" -> {
        ArrayNode array = NODES.arrayNode();
        int count = Math.max(1, schema.path("minItems").asInt(1));
        if (schema.has("maxItems")) {
          count = Math.min(count, schema.get("maxItems").asInt());
        }
        for (int i = 0; i < count; i++) {
          array.add(sample(schema.get("items"), root, random, depth + 1));
        }
        return array;
      }
      case "integer" -> {
        long min = schema.path("minimum").asLong(0);
        long max = schema.path("maximum").asLong(min + 100);
        return NODES.numberNode(min + random.nextLong(Math.max(1, max - min + 1)));
      }
      case "number" -> {
        double min = schema.path("minimum").asDouble(0);
        double max = schema.path("maximum").asDouble(min + 100);
        return NODES.numberNode(min + random.nextDouble() * (max - min));
      }
      case "boolean" -> {
        return NODES.booleanNode(random.nextBoolean());
      }
      case "null" -> {
        return NODES.nullNode();
      }
      default -> {
        StringBuilder text = new StringBuilder(WORDS[random.nextInt(WORDS.length)]);
        int min = schema.path("minLength").asInt(0);
        while (text.length() < min) {
          text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
        }
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        return NODES.textNode(text.length() > max ? text.substring(0, max) : text.toString());
      }
    }
  }

  private static String firstNonNull(JsonNode types) {
    for (JsonNode t : types) {
      if (!"null".equals(t.asText())) {
        return t.asText();
      }
    }
    return "null";
  }
}
