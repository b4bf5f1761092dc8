package io.modelrouter.worker.provider;

import io.modelrouter.avro.Message;
import java.time.Duration;
import java.util.List;

/**
 * What a provider is asked, already resolved by the router: the provider's own model id, the prompt, the output cap.
 *
 * @param estimatedInputTokens the router's estimate, used where a provider reports no usage
 * @param timeout how long this one call may take
 * @param call the number of this call for the request (1 for the first, counting retries and fallbacks)
 */
public record ProviderRequest(String requestId, String providerModelId, String systemPrompt, List<Message> messages,
    int maxTokens, Double temperature, int estimatedInputTokens, Duration timeout, int call) {

  public ProviderRequest withCall(int number) {
    return new ProviderRequest(requestId, providerModelId, systemPrompt, messages, maxTokens, temperature,
        estimatedInputTokens, timeout, number);
  }
}
