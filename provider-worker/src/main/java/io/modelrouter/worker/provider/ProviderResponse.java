package io.modelrouter.worker.provider;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import java.util.List;

/**
 * A provider's answer in one shape whatever the vendor.
 *
 * @param content the answer's text blocks joined (with structured output, the JSON)
 * @param stopReason normalized: end_turn, max_tokens, stop_sequence, tool_use, refusal, content_filter, pause_turn
 *     or other
 * @param inputTokens every input token billed, cached ones included
 * @param cachedInputTokens the part of the input read from the provider's prompt cache
 * @param usageReported false when the provider reported no usage and the tokens are estimates
 * @param blocks the answer as blocks: TEXT and TOOL_CALL (arguments a JSON object as text)
 * @param providerStopReason the stop reason as the provider wrote it
 * @param cacheWriteTokens input written to the prompt cache for 5 minutes (part of inputTokens)
 * @param cacheWrite1hTokens input written to the prompt cache for 1 hour (part of inputTokens)
 */
public record ProviderResponse(String content, String stopReason, long inputTokens, long outputTokens,
    long cachedInputTokens, boolean usageReported, String providerRequestId, List<ContentBlock> blocks,
    String providerStopReason, long cacheWriteTokens, long cacheWrite1hTokens) {

  public ProviderResponse {
    blocks = blocks == null ? List.of() : blocks;
  }

  /** Without cache writes. */
  public ProviderResponse(String content, String stopReason, long inputTokens, long outputTokens,
      long cachedInputTokens, boolean usageReported, String providerRequestId, List<ContentBlock> blocks,
      String providerStopReason) {
    this(content, stopReason, inputTokens, outputTokens, cachedInputTokens, usageReported, providerRequestId, blocks,
        providerStopReason, 0, 0);
  }

  /** A text answer: one TEXT block, the raw stop reason unknown. */
  public ProviderResponse(String content, String stopReason, long inputTokens, long outputTokens,
      long cachedInputTokens, boolean usageReported, String providerRequestId) {
    this(content, stopReason, inputTokens, outputTokens, cachedInputTokens, usageReported, providerRequestId,
        content == null || content.isEmpty() ? List.of() : List.of(text(content)), null);
  }

  public static ContentBlock text(String text) {
    return ContentBlock.newBuilder().setType(BlockType.TEXT).setText(text).build();
  }

  public static ContentBlock toolCall(String id, String name, String argumentsJson) {
    return ContentBlock.newBuilder().setType(BlockType.TOOL_CALL).setToolCallId(id).setToolName(name)
        .setToolArguments(argumentsJson).build();
  }

  /** The tool calls among the blocks. */
  public List<ContentBlock> toolCalls() {
    return blocks.stream().filter(b -> b.getType() == BlockType.TOOL_CALL).toList();
  }
}
