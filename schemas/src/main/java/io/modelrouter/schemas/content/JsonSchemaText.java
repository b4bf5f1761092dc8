package io.modelrouter.schemas.content;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON Schemas that arrive in requests as text (a tool's input schema, a structured-output schema): checked against
 * the draft 2020-12 meta-schema before a request is routed, and used by the worker to check a structured answer.
 * Pipelines send the same few schemas again and again, so checked and compiled schemas are kept in a small
 * least-recently-used cache (per instance, thread-safe).
 */
public final class JsonSchemaText {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private static final JsonSchema META = FACTORY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
  private static final int CACHE = 256;

  private final Map<String, List<String>> checked = lru();
  private final Map<String, JsonSchema> compiled = lru();

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > CACHE;
      }
    };
  }

  /**
   * What is wrong with a schema given as text: not JSON, not an object schema ({@code "type": "object"} at its
   * root, which every provider requires), or not valid against the meta-schema. Empty when it is fine.
   */
  public synchronized List<String> problems(String schemaText) {
    List<String> known = checked.get(schemaText);
    if (known != null) {
      return known;
    }
    List<String> problems;
    JsonNode schema;
    try {
      schema = JSON.readTree(schemaText);
    } catch (JsonProcessingException e) {
      schema = null;
    }
    if (schema == null || !schema.isObject()) {
      problems = List.of("is not a JSON object");
    } else if (!"object".equals(schema.path("type").asText())) {
      problems = List.of("must describe an object (\"type\": \"object\" at its root)");
    } else {
      problems = META.validate(schema).stream().map(JsonSchemaText::describe).sorted().limit(5).toList();
    }
    checked.put(schemaText, problems);
    return problems;
  }

  /** What in {@code json} does not conform to the schema (valid, as {@link #problems} says); empty when it does. */
  public synchronized List<String> violations(String schemaText, String json) {
    JsonNode value;
    try {
      value = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      return List.of("the answer is not JSON: " + e.getOriginalMessage());
    }
    if (value == null || value.isMissingNode()) {
      return List.of("the answer is empty");
    }
    JsonSchema schema = compiled.get(schemaText);
    if (schema == null) {
      schema = FACTORY.getSchema(schemaText);
      compiled.put(schemaText, schema);
    }
    return schema.validate(value).stream().map(JsonSchemaText::describe).sorted().limit(5).toList();
  }

  /** Whether the text is a JSON object (a tool call's arguments). */
  public static boolean isJsonObject(String text) {
    try {
      JsonNode node = JSON.readTree(text);
      return node != null && node.isObject();
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static String describe(ValidationMessage m) {
    String path = m.getInstanceLocation().toString();
    String text = m.getMessage();
    return text.startsWith(path) ? text : path + ": " + text;
  }
}
