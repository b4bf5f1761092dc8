package io.modelrouter.worker.provider;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.core.JsonValue;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.CompletionUsage;
import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.ToolChoice;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * OpenAI chat completions through OpenAI's Java SDK, with the SDK's retries off. The base URL makes it OpenAI
 * ({@code https://api.openai.com/v1}), Moonshot Kimi ({@code https://api.moonshot.ai/v1}), Ollama
 * ({@code http://localhost:11434/v1}), vLLM or OpenRouter. OpenAI itself gets {@code max_completion_tokens} (its
 * reasoning models refuse {@code max_tokens}); other servers get {@code max_tokens}, which they all accept. Beyond
 * text: content parts (image_url, file for a PDF), function tools and {@code tool_choice}, an assistant's
 * {@code tool_calls} and {@code tool} messages for their results, {@code response_format} json_schema (strict when
 * the schema meets strict mode's rules; the worker validates the answer either way), up to 4 stop sequences; an
 * answer's tool calls come back as blocks.
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
    ChatCompletion completion;
    try {
      completion = client.chat().completions().create(params(request));
    } catch (OpenAIServiceException e) {
      throw failure(e);
    } catch (OpenAIIoException e) {
      throw HttpFailures.transport(name, e, apiKey);
    } catch (OpenAIInvalidDataException e) {
      throw malformed(e);
    }
    return answer(completion);
  }

  /** The chat completions request for this call (also a line of a Batch API input file). */
  ChatCompletionCreateParams params(ProviderRequest request) throws ProviderException {
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
      if (message.getBlocks().isEmpty()) {
        switch (message.getRole()) {
          case SYSTEM -> params.addSystemMessage(message.getContent());
          case ASSISTANT -> params.addAssistantMessage(message.getContent());
          default -> params.addUserMessage(message.getContent());
        }
      } else {
        addWithBlocks(params, message);
      }
    }
    if (request.temperature() != null) {
      params.temperature(request.temperature());
    }
    for (io.modelrouter.avro.Tool tool : request.tools()) {
      FunctionDefinition.Builder function = FunctionDefinition.builder().name(tool.getName())
          .parameters(FunctionParameters.builder().putAllAdditionalProperties(values(tool.getInputSchema())).build());
      if (tool.getDescription() != null) {
        function.description(tool.getDescription());
      }
      params.addTool(ChatCompletionFunctionTool.builder().function(function.build()).build());
    }
    ToolChoice toolChoice = request.toolChoice();
    if (toolChoice != null && !request.tools().isEmpty()) {
      params.toolChoice(switch (toolChoice.getMode()) {
        case ANY -> ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.REQUIRED);
        case NONE -> ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.NONE);
        case TOOL -> ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
            .function(ChatCompletionNamedToolChoice.Function.builder().name(toolChoice.getToolName()).build()).build());
        default -> ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.AUTO);
      });
    }
    if (request.responseFormat() != null) {
      // strict (constrained decoding) when the schema meets strict mode's rules: every object closed and every
      // property required; otherwise OpenAI would refuse it, so not strict (the worker validates either way)
      Map<String, Object> schema = JsonText.object(request.responseFormat().getJsonSchema());
      params.responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
          .name(request.responseFormat().getName())
          .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
              .putAllAdditionalProperties(values(request.responseFormat().getJsonSchema())).build())
          .strict(strictCompatible(schema))
          .build()).build());
    }
    if (!request.stopSequences().isEmpty()) {
      // OpenAI takes up to 4
      params.stop(ChatCompletionCreateParams.Stop.ofStrings(
          request.stopSequences().subList(0, Math.min(4, request.stopSequences().size()))));
    }
    return params.build();
  }

  ProviderException failure(OpenAIServiceException e) {
    // error.code names the cause (credit_balance_exhausted ...) where error.type is broader (insufficient_quota):
    // both are kept, as either may be the one that says what happened
    String code = e.code().orElse(null);
    String errorType = e.type().orElse(null);
    String type = code == null ? errorType : errorType == null || errorType.equals(code) ? code
        : code + " (" + errorType + ")";
    return HttpFailures.classify(name, e.statusCode(), type, e.getMessage(),
        RetryAfter.parse(first(e, "retry-after-ms"), first(e, "retry-after")).orElse(null), apiKey);
  }

  /** A chat completion (also a Batch API output line's body) in our shape. */
  ProviderResponse answer(ChatCompletion completion) throws ProviderException {
    try {
      if (completion.choices().isEmpty()) {
        throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "no_choices",
            name + " answered without choices");
      }
      ChatCompletion.Choice choice = completion.choices().get(0);
      Optional<String> refusal = choice.message().refusal();
      String content = choice.message().content().orElse(refusal.orElse(""));
      String raw = choice.finishReason().asString();
      // a refusal comes with finish_reason "stop" and the refusal's text in its own field
      String stop = refusal.isPresent() && !refusal.get().isEmpty() ? "refusal" : HttpFailures.normalizeStop(raw);
      List<io.modelrouter.avro.ContentBlock> blocks = new ArrayList<>();
      if (!content.isEmpty()) {
        blocks.add(ProviderResponse.text(content));
      }
      for (ChatCompletionMessageToolCall call : choice.message().toolCalls().orElse(List.of())) {
        if (call.isFunction()) {
          ChatCompletionMessageFunctionToolCall function = call.asFunction();
          String arguments = function.function().arguments();
          if (!io.modelrouter.schemas.content.JsonSchemaText.isJsonObject(arguments)) {
            throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_tool_arguments",
                name + " called " + function.function().name() + " with arguments that are not a JSON object");
          }
          blocks.add(ProviderResponse.toolCall(function.id(), function.function().name(), arguments));
        }
      }
      Optional<CompletionUsage> usage = completion.usage();
      if (usage.isEmpty()) {
        return new ProviderResponse(content, stop, 0, 0, 0, false, completion.id(), blocks, raw);
      }
      long cached = usage.get().promptTokensDetails().flatMap(d -> d.cachedTokens()).orElse(0L);
      return new ProviderResponse(content, stop, usage.get().promptTokens(), usage.get().completionTokens(), cached,
          true, completion.id(), blocks, raw);
    } catch (OpenAIInvalidDataException e) {
      throw malformed(e);
    }
  }

  /**
   * A message with blocks. User content becomes content parts (text, image_url with the image as a data URL or its
   * URL, file with a PDF as a data URL; a plain-text document as text); an assistant's tool calls its
   * {@code tool_calls}; each tool result a {@code tool} message of its own, as chat completions require.
   */
  private void addWithBlocks(ChatCompletionCreateParams.Builder params, Message message)
      throws ProviderException {
    if (message.getRole() == Role.ASSISTANT) {
      ChatCompletionAssistantMessageParam.Builder assistant = ChatCompletionAssistantMessageParam.builder();
      StringBuilder text = new StringBuilder(message.getContent());
      for (io.modelrouter.avro.ContentBlock block : message.getBlocks()) {
        if (block.getType() == BlockType.TOOL_CALL) {
          assistant.addToolCall(ChatCompletionMessageFunctionToolCall.builder().id(block.getToolCallId())
              .function(ChatCompletionMessageFunctionToolCall.Function.builder().name(block.getToolName())
                  .arguments(block.getToolArguments() == null ? "{}" : block.getToolArguments()).build())
              .build());
        } else if (block.getType() == BlockType.TEXT) {
          text.append(block.getText());
        }
      }
      if (!text.isEmpty()) {
        assistant.content(text.toString());
      }
      params.addMessage(assistant.build());
      return;
    }
    List<ChatCompletionContentPart> parts = new ArrayList<>();
    if (!message.getContent().isEmpty()) {
      parts.add(textPart(message.getContent()));
    }
    List<io.modelrouter.avro.ContentBlock> results = new ArrayList<>();
    for (io.modelrouter.avro.ContentBlock block : message.getBlocks()) {
      switch (block.getType()) {
        case TEXT -> parts.add(textPart(block.getText()));
        case IMAGE -> parts.add(ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
            .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(block.getUrl() != null ? block.getUrl()
                : "data:" + block.getMediaType() + ";base64," + JsonText.base64(block.getData())).build())
            .build()));
        case DOCUMENT -> {
          if ("text/plain".equalsIgnoreCase(block.getMediaType())) {
            parts.add(textPart((block.getText() == null ? "" : block.getText() + "\n\n")
                + new String(JsonText.bytes(block.getData()), java.nio.charset.StandardCharsets.UTF_8)));
          } else if (block.getUrl() != null) {
            throw new ProviderException(ProviderException.Kind.BAD_REQUEST, null, "document_url_unsupported",
                name + ": chat completions take a PDF as data, not as a URL");
          } else {
            parts.add(ChatCompletionContentPart.ofFile(ChatCompletionContentPart.File.builder()
                .file(ChatCompletionContentPart.File.FileObject.builder()
                    .filename(block.getText() == null ? "document.pdf" : block.getText())
                    .fileData("data:application/pdf;base64," + JsonText.base64(block.getData())).build())
                .build()));
          }
        }
        case TOOL_RESULT -> results.add(block);
        default -> { }
      }
    }
    for (io.modelrouter.avro.ContentBlock result : results) {
      params.addMessage(ChatCompletionToolMessageParam.builder().toolCallId(result.getToolCallId())
          .content((result.getIsError() ? "Error: " : "") + (result.getText() == null ? "" : result.getText()))
          .build());
    }
    if (!parts.isEmpty()) {
      if (message.getRole() == Role.SYSTEM) {
        StringBuilder text = new StringBuilder();
        parts.stream().filter(ChatCompletionContentPart::isText).forEach(p -> text.append(p.asText().text()));
        params.addSystemMessage(text.toString());
      } else {
        params.addUserMessageOfArrayOfContentParts(parts);
      }
    }
  }

  private static ChatCompletionContentPart textPart(String text) {
    return ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text(text).build());
  }

  /**
   * Whether OpenAI's strict structured outputs take the schema: every object schema in it has
   * {@code additionalProperties: false} and lists all its properties as required.
   */
  @SuppressWarnings("unchecked")
  static boolean strictCompatible(Object node) {
    if (node instanceof List<?> list) {
      return list.stream().allMatch(OpenAiCompatibleProvider::strictCompatible);
    }
    if (!(node instanceof Map<?, ?> map)) {
      return true;
    }
    Map<String, Object> schema = (Map<String, Object>) map;
    Object properties = schema.get("properties");
    if ("object".equals(schema.get("type")) || properties != null) {
      if (!Boolean.FALSE.equals(schema.get("additionalProperties"))) {
        return false;
      }
      if (properties instanceof Map<?, ?> props && !(schema.get("required") instanceof List<?> required
          && required.containsAll(props.keySet()))) {
        return false;
      }
    }
    for (Object value : schema.values()) {
      if ((value instanceof Map<?, ?> || value instanceof List<?>) && !strictCompatible(value)) {
        return false;
      }
    }
    return true;
  }

  /** A JSON object's members as the SDK's JSON values. */
  private static Map<String, JsonValue> values(String json) {
    Map<String, JsonValue> values = new LinkedHashMap<>();
    JsonText.object(json).forEach((key, value) -> values.put(key, JsonValue.from(value)));
    return values;
  }

  ProviderException malformed(OpenAIInvalidDataException e) {
    return new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
        HttpFailures.redact(name + " answered with a malformed chat completion: " + e.getMessage(), apiKey), null, e);
  }

  private static String first(OpenAIServiceException e, String header) {
    List<String> values = e.headers().values(header);
    return values.isEmpty() ? null : values.get(0);
  }

  /** OpenAI's Batch API; other OpenAI-compatible servers have none this worker knows. */
  @Override
  public BatchApi batchApi() {
    return openAi ? new OpenAiBatchApi(this, client, apiKey) : null;
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
