package io.modelrouter.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnthropicSchemasTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void objectsAreClosedAndUnsupportedConstraintsMoveIntoTheDescription() throws Exception {
    Map<String, Object> schema = JsonText.object("""
        {"type": "object", "properties": {
           "city": {"type": "string", "maxLength": 40, "description": "The city"},
           "days": {"type": "integer", "minimum": 1, "maximum": 7},
           "stops": {"type": "array", "minItems": 2, "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
           "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
         "required": ["city", "days"]}""");

    String prepared = JSON.writeValueAsString(AnthropicSchemas.forOutputFormat(schema));

    assertThat(JSON.readTree(prepared)).isEqualTo(JSON.readTree("""
        {"type": "object", "properties": {
           "city": {"type": "string", "description": "The city (maxLength: 40)"},
           "days": {"type": "integer", "description": "(minimum: 1, maximum: 7)"},
           "stops": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}},
                                                "additionalProperties": false},
                     "description": "(minItems: 2)"},
           "tags": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
         "required": ["city", "days"], "additionalProperties": false}"""));
  }

  @Test
  void anObjectThatSaysWhatItAllowsIsLeftAsItSays() {
    Map<String, Object> schema = JsonText.object("""
        {"type": "object", "properties": {"meta": {"type": "object", "additionalProperties": {"type": "string"}}},
         "additionalProperties": false}""");

    Map<String, Object> prepared = AnthropicSchemas.forOutputFormat(schema);

    @SuppressWarnings("unchecked")
    Map<String, Object> meta = (Map<String, Object>) ((Map<String, Object>) prepared.get("properties")).get("meta");
    assertThat(meta.get("additionalProperties")).isEqualTo(Map.of("type", "string"));
  }
}
