package io.modelrouter.schemas.content;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model accepts beyond text, as the catalog's {@code capabilities} name it, and what a request needs. A
 * request needs {@code tools} when it defines tools or its conversation holds tool calls or results, {@code images}
 * and {@code documents} when a message carries one, {@code structured_output} when it has a response format.
 * {@code prompt_caching} is never needed: a model without it is sent no cache markers.
 */
public final class Capabilities {
  public static final String TOOLS = "tools";
  public static final String IMAGES = "images";
  public static final String DOCUMENTS = "documents";
  public static final String STRUCTURED_OUTPUT = "structured_output";
  public static final String PROMPT_CACHING = "prompt_caching";
  public static final List<String> ALL = List.of(TOOLS, IMAGES, DOCUMENTS, STRUCTURED_OUTPUT, PROMPT_CACHING);

  private Capabilities() {}

  /**
   * The capabilities the request needs, each with the field that needs it (for the reason and the error), in the
   * order of {@link #ALL}; empty for a plain text request.
   */
  public static Map<String, String> needed(InferenceRequest request) {
    Map<String, String> needed = new LinkedHashMap<>(4);
    if (request.getTools() != null && !request.getTools().isEmpty()) {
      needed.put(TOOLS, "tools");
    }
    List<Message> messages = request.getMessages();
    for (int i = 0; messages != null && i < messages.size(); i++) {
      Message message = messages.get(i);
      List<ContentBlock> blocks = message == null ? null : message.getBlocks();
      for (int j = 0; blocks != null && j < blocks.size(); j++) {
        BlockType type = blocks.get(j).getType();
        String field = "messages[" + i + "].blocks[" + j + "]";
        switch (type) {
          case IMAGE -> needed.putIfAbsent(IMAGES, field);
          case DOCUMENT -> needed.putIfAbsent(DOCUMENTS, field);
          case TOOL_CALL, TOOL_RESULT -> needed.putIfAbsent(TOOLS, field);
          default -> { }
        }
      }
    }
    if (request.getResponseFormat() != null) {
      needed.put(STRUCTURED_OUTPUT, "responseFormat");
    }
    if (needed.size() > 1) {
      Map<String, String> ordered = new LinkedHashMap<>();
      for (String capability : ALL) {
        if (needed.containsKey(capability)) {
          ordered.put(capability, needed.get(capability));
        }
      }
      return ordered;
    }
    return needed;
  }

  /** Whether the model has the capability. */
  public static boolean has(ModelSpec model, String capability) {
    return model.getCapabilities() != null && model.getCapabilities().contains(capability);
  }

  /** The first of the needed capabilities the model lacks, or null when it has them all. */
  public static String missing(ModelSpec model, Map<String, String> needed) {
    for (String capability : needed.keySet()) {
      if (!has(model, capability)) {
        return capability;
      }
    }
    return null;
  }
}
