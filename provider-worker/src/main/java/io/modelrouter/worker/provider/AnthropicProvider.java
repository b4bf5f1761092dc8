package io.modelrouter.worker.provider;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Usage;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The Anthropic Messages API through Anthropic's Java SDK, with the SDK's retries off. Usage input counts every
 * input token billed: {@code input_tokens + cache_creation_input_tokens + cache_read_input_tokens}; the cached part
 * is the cache reads. A 529 is a server error (overloaded), a 400 "prompt is too long" a context-window error.
 */
public final class AnthropicProvider implements Provider {
  private final String name;
  private final AnthropicClient client;
  /** Only to take echoes of it out of error texts; never printed. */
  private final String apiKey;

  /**
   * @param baseUrl the API root without /v1, e.g. https://api.anthropic.com
   * @param timeout the client's whole-call timeout (the worker's time limiter also bounds each call)
   */
  public AnthropicProvider(String name, String baseUrl, String apiKey, Duration timeout) {
    this.name = Objects.requireNonNull(name);
    this.apiKey = apiKey;
    this.client = AnthropicOkHttpClient.builder()
        .baseUrl(baseUrl)
        .apiKey(Objects.requireNonNull(apiKey, "an Anthropic provider needs an API key"))
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
    MessageCreateParams.Builder params = MessageCreateParams.builder()
        .model(request.providerModelId())
        .maxTokens(request.maxTokens());
    StringBuilder system = new StringBuilder(request.systemPrompt() == null ? "" : request.systemPrompt());
    for (Message message : request.messages()) {
      if (message.getRole() == Role.SYSTEM) {
        system.append(system.isEmpty() ? "" : "\n\n").append(message.getContent());
      } else if (message.getRole() == Role.ASSISTANT) {
        params.addAssistantMessage(message.getContent());
      } else {
        params.addUserMessage(message.getContent());
      }
    }
    if (!system.isEmpty()) {
      params.system(system.toString());
    }
    if (request.temperature() != null) {
      // SDK 3.x has no temperature setter (newer models accept only the default); send it only when asked for.
      params.putAdditionalBodyProperty("temperature", JsonValue.from(request.temperature()));
    }
    com.anthropic.models.messages.Message answer;
    try {
      answer = client.messages().create(params.build());
    } catch (AnthropicServiceException e) {
      // error.details.error_code (e.g. enforced_spend_limit_reached) says more than error.type when present
      throw HttpFailures.classify(name, e.statusCode(), e.errorCode().or(() -> e.errorType().map(Object::toString))
              .orElse(null),
          e.apiMessage().orElse(e.getMessage()), RetryAfter.parse(first(e, "retry-after-ms"), first(e, "retry-after"))
              .orElse(null), apiKey);
    } catch (AnthropicIoException e) {
      throw HttpFailures.transport(name, e, apiKey);
    } catch (AnthropicInvalidDataException e) {
      throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
          HttpFailures.redact(name + " answered with a body that is not a Messages API response: " + e.getMessage(),
              apiKey), null, e);
    }
    try {
      StringBuilder text = new StringBuilder();
      for (ContentBlock block : answer.content()) {
        block.text().ifPresent(t -> text.append(t.text()));
      }
      String stop = HttpFailures.normalizeStop(answer.stopReason().map(s -> s.asString()).orElse(null));
      ProviderResponse response = usage(answer, text.toString(), stop);
      if (stop.equals("context_window_exceeded")) {
        throw new ProviderException(ProviderException.Kind.CONTEXT_WINDOW, 200, "model_context_window_exceeded",
            name + " stopped at the model's context window", null, null).withBilled(response);
      }
      return response;
    } catch (AnthropicInvalidDataException e) {
      throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
          HttpFailures.redact(name + " answered with a malformed Messages API response: " + e.getMessage(), apiKey),
          null, e);
    }
  }

  private static ProviderResponse usage(com.anthropic.models.messages.Message answer, String text, String stop) {
    Usage usage;
    try {
      usage = answer.usage();
    } catch (AnthropicInvalidDataException e) {
      return new ProviderResponse(text, stop, 0, 0, 0, false, answer.id());
    }
    long cacheRead = usage.cacheReadInputTokens().orElse(0L);
    long cacheWrite = usage.cacheCreationInputTokens().orElse(0L);
    return new ProviderResponse(text, stop, usage.inputTokens() + cacheRead + cacheWrite, usage.outputTokens(),
        cacheRead, true, answer.id());
  }

  private static String first(AnthropicServiceException e, String header) {
    List<String> values = e.headers().values(header);
    return values.isEmpty() ? null : values.get(0);
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "anthropic(" + name + ")";
  }
}
