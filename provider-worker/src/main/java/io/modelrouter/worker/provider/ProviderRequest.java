package io.modelrouter.worker.provider;

import io.modelrouter.avro.Message;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import java.time.Duration;
import java.util.List;

/**
 * What a provider is asked, already resolved by the router: the provider's own model id, the prompt, the output cap,
 * and what the request carries beyond text (checked by the router: tool names, schemas and blocks are valid).
 *
 * @param estimatedInputTokens the router's estimate, used where a provider reports no usage
 * @param timeout how long this one call may take
 * @param call the number of this call for the request (1 for the first, counting retries and fallbacks)
 * @param tools the tools the model may call (empty: none)
 * @param toolChoice how it may call them (null: AUTO)
 * @param responseFormat the JSON Schema the answer must conform to (null: plain text)
 * @param stopSequences where the model stops
 * @param promptCache the cache TTL to mark the prompt's stable parts with (5m or 1h), or null for no markers; set
 *     only for a model whose catalog entry lists prompt_caching
 * @param cacheConversation also mark the conversation up to its last message
 */
public record ProviderRequest(String requestId, String providerModelId, String systemPrompt, List<Message> messages,
    int maxTokens, Double temperature, int estimatedInputTokens, Duration timeout, int call, List<Tool> tools,
    ToolChoice toolChoice, ResponseFormat responseFormat, List<String> stopSequences, String promptCache,
    boolean cacheConversation) {

  public ProviderRequest {
    tools = tools == null ? List.of() : tools;
    stopSequences = stopSequences == null ? List.of() : stopSequences;
  }

  /** Without prompt caching. */
  public ProviderRequest(String requestId, String providerModelId, String systemPrompt, List<Message> messages,
      int maxTokens, Double temperature, int estimatedInputTokens, Duration timeout, int call, List<Tool> tools,
      ToolChoice toolChoice, ResponseFormat responseFormat, List<String> stopSequences) {
    this(requestId, providerModelId, systemPrompt, messages, maxTokens, temperature, estimatedInputTokens, timeout,
        call, tools, toolChoice, responseFormat, stopSequences, null, false);
  }

  /** A plain text request. */
  public ProviderRequest(String requestId, String providerModelId, String systemPrompt, List<Message> messages,
      int maxTokens, Double temperature, int estimatedInputTokens, Duration timeout, int call) {
    this(requestId, providerModelId, systemPrompt, messages, maxTokens, temperature, estimatedInputTokens, timeout,
        call, List.of(), null, null, List.of(), null, false);
  }

  public ProviderRequest withCall(int number) {
    return new ProviderRequest(requestId, providerModelId, systemPrompt, messages, maxTokens, temperature,
        estimatedInputTokens, timeout, number, tools, toolChoice, responseFormat, stopSequences, promptCache,
        cacheConversation);
  }
}
