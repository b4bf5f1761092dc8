package io.modelrouter.worker.provider;

/**
 * A provider's answer in one shape whatever the vendor.
 *
 * @param stopReason normalized: end_turn, max_tokens, stop_sequence, tool_use, content_filter or other
 * @param inputTokens every input token billed, cached ones included
 * @param cachedInputTokens the part of the input read from the provider's prompt cache
 * @param usageReported false when the provider reported no usage and the tokens are estimates
 */
public record ProviderResponse(String content, String stopReason, long inputTokens, long outputTokens,
    long cachedInputTokens, boolean usageReported, String providerRequestId) {}
