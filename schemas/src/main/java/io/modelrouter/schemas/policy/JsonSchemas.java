package io.modelrouter.schemas.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;

/** The JSON Schemas shipped in {@code schemas/src/main/resources/policy}, loaded once. */
final class JsonSchemas {
  static final JsonSchema ROUTING_POLICY = load("routing-policy.schema.json");
  static final JsonSchema BUDGET_POLICY = load("budget-policy.schema.json");
  static final JsonSchema MODEL_SPEC = load("model-spec.schema.json");

  private JsonSchemas() {}

  private static JsonSchema load(String name) {
    try (InputStream in = JsonSchemas.class.getResourceAsStream("/policy/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource /policy/" + name);
      }
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Problems as "path: message", e.g. {@code $.profiles.fast.maxTokens: must have a minimum value of 1}. */
  static List<String> problems(JsonSchema schema, JsonNode json) {
    Set<ValidationMessage> messages = schema.validate(json);
    return messages.stream()
        .map(m -> {
          String path = m.getInstanceLocation().toString();
          String text = m.getMessage();
          return text.startsWith(path) ? text : path + ": " + text;
        })
        .sorted()
        .toList();
  }
}
