package io.modelrouter.worker.provider;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * OpenAI chat completions through OpenAI's Java SDK, with the SDK's retries off. The base URL makes it OpenAI
 * ({@code https://api.openai.com/v1}), Moonshot Kimi ({@code https://api.moonshot.ai/v1}), Ollama
 * ({@code http://localhost:11434/v1}), vLLM or OpenRouter. OpenAI itself gets {@code max_completion_tokens} (its
 * reasoning models refuse {@code max_tokens}); other servers get {@code max_tokens}, which they all accept.
 */
public final class OpenAiCompatibleProvider implements Provider {
  private final String name;
  private final OpenAIClient client;
  private final boolean openAi;
  /** Only to take echoes of it out of error texts; never printed. */
  private final String apiKey;

  /**
   * @param baseUrl the API root including /v1
   * @param apiKey the key; servers without auth (Ollama, vLLM) accept any non-empty value
   */
  public OpenAiCompatibleProvider(String name, String baseUrl, String apiKey, Duration timeout) {
    this.name = Objects.requireNonNull(name);
    this.apiKey = apiKey;
    this.openAi = URI.create(baseUrl).getHost() != null && URI.create(baseUrl).getHost().endsWith("openai.com");
    this.client = OpenAIOkHttpClient.builder()
        .baseUrl(baseUrl)
        .apiKey(apiKey == null || apiKey.isBlank() ? "unused" : apiKey)
        .maxRetries(0)
        .timeout(timeout)
        .build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public ProviderResponse call(ProviderRequest request) throws ProviderException {
    ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model(request.providerModelId());
    if (openAi) {
      params.maxCompletionTokens(request.maxTokens());
    } else {
      params.putAdditionalBodyProperty("max_tokens", com.openai.core.JsonValue.from(request.maxTokens()));
    }
    if (request.systemPrompt() != null && !request.systemPrompt().isBlank()) {
      params.addSystemMessage(request.systemPrompt());
    }
    for (Message message : request.messages()) {
      switch (message.getRole()) {
        case SYSTEM -> params.addSystemMessage(message.getContent());
        case ASSISTANT -> params.addAssistantMessage(message.getContent());
        default -> params.addUserMessage(message.getContent());
      }
    }
    if (request.temperature() != null) {
      params.temperature(request.temperature());
    }
    ChatCompletion completion;
    try {
      completion = client.chat().completions().create(params.build());
    } catch (OpenAIServiceException e) {
      // error.code names the cause (credit_balance_exhausted ...) where error.type is broader (insufficient_quota):
      // both are kept, as either may be the one that says what happened
      String code = e.code().orElse(null);
      String errorType = e.type().orElse(null);
      String type = code == null ? errorType : errorType == null || errorType.equals(code) ? code
          : code + " (" + errorType + ")";
      throw HttpFailures.classify(name, e.statusCode(), type, e.getMessage(),
          RetryAfter.parse(first(e, "retry-after-ms"), first(e, "retry-after")).orElse(null), apiKey);
    } catch (OpenAIIoException e) {
      throw HttpFailures.transport(name, e, apiKey);
    } catch (OpenAIInvalidDataException e) {
      throw malformed(e);
    }
    try {
      if (completion.choices().isEmpty()) {
        throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "no_choices",
            name + " answered without choices");
      }
      ChatCompletion.Choice choice = completion.choices().get(0);
      String content = choice.message().content().orElse(choice.message().refusal().orElse(""));
      String stop = HttpFailures.normalizeStop(choice.finishReason().asString());
      Optional<CompletionUsage> usage = completion.usage();
      if (usage.isEmpty()) {
        return new ProviderResponse(content, stop, 0, 0, 0, false, completion.id());
      }
      long cached = usage.get().promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(0L);
      return new ProviderResponse(content, stop, usage.get().promptTokens(), usage.get().completionTokens(), cached,
          true, completion.id());
    } catch (OpenAIInvalidDataException e) {
      throw malformed(e);
    }
  }

  private ProviderException malformed(OpenAIInvalidDataException e) {
    return new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
        HttpFailures.redact(name + " answered with a malformed chat completion: " + e.getMessage(), apiKey), null, e);
  }

  private static String first(OpenAIServiceException e, String header) {
    List<String> values = e.headers().values(header);
    return values.isEmpty() ? null : values.get(0);
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "openai-compatible(" + name + ")";
  }
}
