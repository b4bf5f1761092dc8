package io.modelrouter.worker.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON text of requests (schemas, tool arguments) as the maps the vendors' SDKs take, and back. */
final class JsonText {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<LinkedHashMap<String, Object>> OBJECT = new TypeReference<>() {};

  private JsonText() {}

  /** A JSON object as a map; the router checked it is one. An empty object for null or blank. */
  static Map<String, Object> object(String json) {
    if (json == null || json.isBlank()) {
      return new LinkedHashMap<>();
    }
    try {
      return JSON.readValue(json, OBJECT);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON object: " + e.getOriginalMessage(), e);
    }
  }

  /** Any value (a map, a list, an SDK's JSON value that Jackson writes) as JSON text. */
  static String write(Object value, ObjectMapper mapper) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Base64 of the buffer's remaining bytes, the buffer left as it was. */
  static String base64(ByteBuffer data) {
    return Base64.getEncoder().encodeToString(bytes(data));
  }

  static byte[] bytes(ByteBuffer data) {
    ByteBuffer copy = data.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return bytes;
  }
}
