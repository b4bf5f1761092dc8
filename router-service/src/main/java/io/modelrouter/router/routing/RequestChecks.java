package io.modelrouter.router.routing;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import io.modelrouter.schemas.content.JsonSchemaText;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The checks of a request's content beyond plain text: blocks, tools, tool choice, response format and stop
 * sequences, against the {@link RequestLimits}. Each problem is a field path ({@code messages[1].blocks[0].data})
 * and what is wrong, for the REJECTED result; nothing here throws on bad input.
 */
final class RequestChecks {
  /** Tool and response-format names as Anthropic and OpenAI both accept them. */
  static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
  static final Set<String> IMAGE_TYPES = Set.of("image/jpeg", "image/png", "image/gif", "image/webp");
  static final Set<String> DOCUMENT_TYPES = Set.of("application/pdf", "text/plain");

  /** A problem: the field it is in and what is wrong. */
  record Problem(String field, String reason) {}

  private final RequestLimits limits;
  private final JsonSchemaText schemas = new JsonSchemaText();

  RequestChecks(RequestLimits limits) {
    this.limits = limits;
  }

  RequestLimits limits() {
    return limits;
  }

  /** The first problem of the request's content, or null. */
  Problem check(InferenceRequest request) {
    Set<String> toolCallIds = new HashSet<>();
    int images = 0;
    int documents = 0;
    List<Message> messages = request.getMessages();
    for (int i = 0; i < messages.size(); i++) {
      Message message = messages.get(i);
      List<ContentBlock> blocks = message == null ? null : message.getBlocks();
      for (int j = 0; blocks != null && j < blocks.size(); j++) {
        ContentBlock block = blocks.get(j);
        String at = "messages[" + i + "].blocks[" + j + "]";
        if (block == null) {
          return new Problem(at, "is null");
        }
        Problem problem = switch (block.getType()) {
          case TEXT -> block.getText() == null ? new Problem(at + ".text", "a TEXT block needs text") : null;
          case IMAGE -> media(block, at, IMAGE_TYPES, limits.maxImageBytes(), true);
          case DOCUMENT -> media(block, at, DOCUMENT_TYPES, limits.maxDocumentBytes(),
              "application/pdf".equals(block.getMediaType()));
          case TOOL_CALL -> toolCall(block, at, message.getRole(), toolCallIds);
          case TOOL_RESULT -> toolResult(block, at, message.getRole(), toolCallIds);
          case UNSUPPORTED -> new Problem(at + ".type", "is a block type this router does not know (written by a "
              + "newer client?); it supports TEXT, IMAGE, DOCUMENT, TOOL_CALL and TOOL_RESULT");
        };
        if (problem != null) {
          return problem;
        }
        if (block.getType() == BlockType.IMAGE && ++images > limits.maxImages()) {
          return new Problem(at, "is image " + images + "; a request may carry at most " + limits.maxImages()
              + " (router.request.max.images)");
        }
        if (block.getType() == BlockType.DOCUMENT && ++documents > limits.maxDocuments()) {
          return new Problem(at, "is document " + documents + "; a request may carry at most "
              + limits.maxDocuments() + " (router.request.max.documents)");
        }
      }
    }
    List<Tool> tools = request.getTools();
    if (tools.size() > limits.maxTools()) {
      return new Problem("tools", "has " + tools.size() + " tools; at most " + limits.maxTools()
          + " (router.request.max.tools)");
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < tools.size(); i++) {
      Tool tool = tools.get(i);
      String at = "tools[" + i + "]";
      if (tool.getName() == null || !NAME.matcher(tool.getName()).matches()) {
        return new Problem(at + ".name", "must be 1 to 64 of a-z A-Z 0-9 _ -");
      }
      if (!names.add(tool.getName())) {
        return new Problem(at + ".name", "'" + tool.getName() + "' is defined twice");
      }
      Problem schema = schema(tool.getInputSchema(), at + ".inputSchema");
      if (schema != null) {
        return schema;
      }
    }
    ToolChoice choice = request.getToolChoice();
    if (choice != null && choice.getMode() != ToolChoiceMode.AUTO && choice.getMode() != ToolChoiceMode.NONE
        && tools.isEmpty()) {
      return new Problem("toolChoice.mode", choice.getMode() + " needs tools, and the request defines none");
    }
    if (choice != null && choice.getMode() == ToolChoiceMode.TOOL && !names.contains(choice.getToolName())) {
      return new Problem("toolChoice.toolName", "'" + choice.getToolName() + "' is not one of the request's tools");
    }
    ResponseFormat format = request.getResponseFormat();
    if (format != null) {
      if (format.getName() == null || !NAME.matcher(format.getName()).matches()) {
        return new Problem("responseFormat.name", "must be 1 to 64 of a-z A-Z 0-9 _ -");
      }
      Problem schema = schema(format.getJsonSchema(), "responseFormat.jsonSchema");
      if (schema != null) {
        return schema;
      }
    }
    List<String> stops = request.getStopSequences();
    if (stops.size() > limits.maxStopSequences()) {
      return new Problem("stopSequences", "has " + stops.size() + "; at most " + limits.maxStopSequences()
          + " (router.request.max.stop.sequences)");
    }
    for (int i = 0; i < stops.size(); i++) {
      if (stops.get(i) == null || stops.get(i).isEmpty()) {
        return new Problem("stopSequences[" + i + "]", "is empty");
      }
    }
    return null;
  }

  private Problem media(ContentBlock block, String at, Set<String> types, int maxBytes, boolean urlAllowed) {
    String type = block.getMediaType() == null ? null : block.getMediaType().toLowerCase(Locale.ROOT);
    if (type == null || !types.contains(type)) {
      return new Problem(at + ".mediaType", "must be one of " + types.stream().sorted().toList() + ", got "
          + (block.getMediaType() == null ? "none" : "'" + block.getMediaType() + "'"));
    }
    boolean hasData = block.getData() != null;
    boolean hasUrl = block.getUrl() != null;
    if (hasData == hasUrl) {
      return new Problem(at + ".data", "give either data (the bytes) or url, not " + (hasData ? "both" : "neither"));
    }
    if (hasUrl && !urlAllowed) {
      return new Problem(at + ".url", "a " + type + " document must be sent as data");
    }
    if (hasUrl && !(block.getUrl().startsWith("https://") || block.getUrl().startsWith("http://"))) {
      return new Problem(at + ".url", "must be an http(s) URL");
    }
    if (hasData && block.getData().remaining() == 0) {
      return new Problem(at + ".data", "is empty");
    }
    if (hasData && block.getData().remaining() > maxBytes) {
      return new Problem(at + ".data", String.format(Locale.ROOT, "is %,d bytes; at most %,d (%s)",
          block.getData().remaining(), maxBytes, block.getType() == BlockType.IMAGE
              ? "router.request.max.image.bytes" : "router.request.max.document.bytes"));
    }
    return null;
  }

  private static Problem toolCall(ContentBlock block, String at, Role role, Set<String> ids) {
    if (role != Role.ASSISTANT) {
      return new Problem(at + ".type", "a TOOL_CALL belongs in an ASSISTANT message, not " + role);
    }
    if (blank(block.getToolCallId())) {
      return new Problem(at + ".toolCallId", "a TOOL_CALL needs its id");
    }
    if (block.getToolName() == null || !NAME.matcher(block.getToolName()).matches()) {
      return new Problem(at + ".toolName", "must be 1 to 64 of a-z A-Z 0-9 _ -");
    }
    if (block.getToolArguments() != null && !JsonSchemaText.isJsonObject(block.getToolArguments())) {
      return new Problem(at + ".toolArguments", "must be a JSON object");
    }
    ids.add(block.getToolCallId());
    return null;
  }

  private static Problem toolResult(ContentBlock block, String at, Role role, Set<String> ids) {
    if (role != Role.USER && role != Role.TOOL) {
      return new Problem(at + ".type", "a TOOL_RESULT belongs in a USER or TOOL message, not " + role);
    }
    if (blank(block.getToolCallId())) {
      return new Problem(at + ".toolCallId", "a TOOL_RESULT needs the id of the call it answers");
    }
    if (!ids.contains(block.getToolCallId())) {
      return new Problem(at + ".toolCallId", "'" + block.getToolCallId()
          + "' answers no TOOL_CALL of an earlier ASSISTANT message");
    }
    return null;
  }

  private Problem schema(String text, String at) {
    if (text == null || text.isBlank()) {
      return new Problem(at, "is required");
    }
    if (text.length() > limits.maxSchemaBytes()) {
      return new Problem(at, String.format(Locale.ROOT, "is %,d characters; at most %,d (router.request.max.schema.bytes)",
          text.length(), limits.maxSchemaBytes()));
    }
    List<String> problems = schemas.problems(text);
    return problems.isEmpty() ? null : new Problem(at, "is not a valid JSON Schema: " + String.join("; ", problems));
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
