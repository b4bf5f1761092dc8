package io.modelrouter.worker.provider;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.core.ObjectMappers;
import com.anthropic.models.messages.Base64ImageSource;
import com.anthropic.models.messages.Base64PdfSource;
import com.anthropic.models.messages.CacheControlEphemeral;
import com.anthropic.models.messages.TextBlockParam;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.DocumentBlockParam;
import com.anthropic.models.messages.ImageBlockParam;
import com.anthropic.models.messages.JsonOutputFormat;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageParam;
import com.anthropic.models.messages.OutputConfig;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceAny;
import com.anthropic.models.messages.ToolChoiceAuto;
import com.anthropic.models.messages.ToolChoiceNone;
import com.anthropic.models.messages.ToolChoiceTool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUnion;
import com.anthropic.models.messages.ToolUseBlock;
import com.anthropic.models.messages.ToolUseBlockParam;
import com.anthropic.models.messages.Usage;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.ToolChoice;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The Anthropic Messages API through Anthropic's Java SDK, with the SDK's retries off. The whole request contract is
 * mapped: image blocks (base64 or URL), document blocks (a PDF as base64 or URL, plain text), tool definitions,
 * {@code tool_choice}, {@code tool_use} blocks of the assistant and {@code tool_result} blocks (sent in a user
 * message, as Anthropic requires), structured output as {@code output_config.format} (a JSON schema), stop
 * sequences (the schema prepared as Anthropic's SDKs do: {@link AnthropicSchemas}); and the answer's {@code text}
 * and {@code tool_use} blocks come back as blocks. With prompt caching,
 * {@code cache_control} breakpoints (5m or 1h) on the last tool, the system prompt and, when asked, the last block of
 * the message before the last; the usage's {@code cache_creation} splits the writes by TTL. Usage input counts every
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
    com.anthropic.models.messages.Message answer;
    try {
      answer = client.messages().create(params(request));
    } catch (AnthropicServiceException e) {
      throw failure(e);
    } catch (AnthropicIoException e) {
      throw HttpFailures.transport(name, e, apiKey);
    } catch (AnthropicInvalidDataException e) {
      throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
          HttpFailures.redact(name + " answered with a body that is not a Messages API response: " + e.getMessage(),
              apiKey), null, e);
    }
    return answer(answer);
  }

  /** The Messages API request for this call (also an item of a Message Batch). */
  MessageCreateParams params(ProviderRequest request) {
    MessageCreateParams.Builder params = MessageCreateParams.builder()
        .model(request.providerModelId())
        .maxTokens(request.maxTokens());
    StringBuilder system = new StringBuilder(request.systemPrompt() == null ? "" : request.systemPrompt());
    CacheControlEphemeral cache = request.promptCache() == null ? null : CacheControlEphemeral.builder()
        .ttl("1h".equals(request.promptCache()) ? CacheControlEphemeral.Ttl.TTL_1H : CacheControlEphemeral.Ttl.TTL_5M)
        .build();
    // the conversation's stable prefix ends with the message before the last one
    int prefixEnd = cache != null && request.cacheConversation() ? lastNonSystem(request.messages()) - 1 : -1;
    for (int i = 0; i < request.messages().size(); i++) {
      Message message = request.messages().get(i);
      if (message.getRole() == Role.SYSTEM) {
        system.append(system.isEmpty() ? "" : "\n\n").append(message.getContent());
      } else if (i == prefixEnd) {
        List<ContentBlockParam> blocks = blocks(message);
        if (!blocks.isEmpty()) {
          blocks.set(blocks.size() - 1, withCacheControl(blocks.get(blocks.size() - 1), cache));
        }
        params.addMessage(message.getRole() == Role.ASSISTANT ? MessageParam.ofAssistantOfContentBlockParams(blocks)
            : MessageParam.ofUserOfContentBlockParams(blocks));
      } else if (message.getBlocks().isEmpty()) {
        // plain text, sent as the SDK's string content
        params.addMessage(message.getRole() == Role.ASSISTANT ? MessageParam.ofAssistant(message.getContent())
            : MessageParam.ofUser(message.getContent()));
      } else {
        List<ContentBlockParam> blocks = blocks(message);
        // tool results answer the assistant: Anthropic takes them in a user message
        params.addMessage(message.getRole() == Role.ASSISTANT ? MessageParam.ofAssistantOfContentBlockParams(blocks)
            : MessageParam.ofUserOfContentBlockParams(blocks));
      }
    }
    if (!system.isEmpty() && cache != null) {
      params.systemOfTextBlockParams(List.of(TextBlockParam.builder().text(system.toString()).cacheControl(cache)
          .build()));
    } else if (!system.isEmpty()) {
      params.system(system.toString());
    }
    if (request.temperature() != null) {
      // SDK 3.x has no temperature setter (newer models accept only the default); send it only when asked for.
      params.putAdditionalBodyProperty("temperature", JsonValue.from(request.temperature()));
    }
    if (!request.tools().isEmpty()) {
      List<ToolUnion> tools = new ArrayList<>();
      for (io.modelrouter.avro.Tool tool : request.tools()) {
        Map<String, Object> schema = JsonText.object(tool.getInputSchema());
        schema.remove("type");
        Tool.InputSchema.Builder input = Tool.InputSchema.builder().type(JsonValue.from("object"));
        schema.forEach((key, value) -> input.putAdditionalProperty(key, JsonValue.from(value)));
        Tool.Builder definition = Tool.builder().name(tool.getName()).inputSchema(input.build());
        if (tool.getDescription() != null) {
          definition.description(tool.getDescription());
        }
        if (cache != null && tools.size() == request.tools().size() - 1) {
          // a breakpoint on the last tool caches every tool definition
          definition.cacheControl(cache);
        }
        tools.add(ToolUnion.ofTool(definition.build()));
      }
      params.tools(tools);
    }
    ToolChoice choice = request.toolChoice();
    if (choice != null && !request.tools().isEmpty()) {
      switch (choice.getMode()) {
        case AUTO -> params.toolChoice(ToolChoiceAuto.builder().build());
        case ANY -> params.toolChoice(ToolChoiceAny.builder().build());
        case NONE -> params.toolChoice(ToolChoiceNone.builder().build());
        case TOOL -> params.toolChoice(ToolChoiceTool.builder().name(choice.getToolName()).build());
        default -> { }
      }
    }
    if (request.responseFormat() != null) {
      JsonOutputFormat.Schema.Builder schema = JsonOutputFormat.Schema.builder();
      AnthropicSchemas.forOutputFormat(JsonText.object(request.responseFormat().getJsonSchema()))
          .forEach((key, value) -> schema.putAdditionalProperty(key, JsonValue.from(value)));
      params.outputConfig(OutputConfig.builder().format(JsonOutputFormat.builder().schema(schema.build()).build())
          .build());
    }
    if (!request.stopSequences().isEmpty()) {
      params.stopSequences(request.stopSequences());
    }
    return params.build();
  }

  ProviderException failure(AnthropicServiceException e) {
    // error.details.error_code (e.g. enforced_spend_limit_reached) says more than error.type when present
    return HttpFailures.classify(name, e.statusCode(), e.errorCode().or(() -> e.errorType().map(Object::toString))
            .orElse(null),
        e.apiMessage().orElse(e.getMessage()), RetryAfter.parse(first(e, "retry-after-ms"), first(e, "retry-after"))
            .orElse(null), apiKey);
  }

  /** A Messages API answer (also a Message Batch item's) in our shape. */
  ProviderResponse answer(com.anthropic.models.messages.Message answer) throws ProviderException {
    try {
      StringBuilder text = new StringBuilder();
      List<io.modelrouter.avro.ContentBlock> blocks = new ArrayList<>();
      for (ContentBlock block : answer.content()) {
        if (block.text().isPresent()) {
          text.append(block.text().get().text());
          blocks.add(ProviderResponse.text(block.text().get().text()));
        } else if (block.toolUse().isPresent()) {
          ToolUseBlock call = block.toolUse().get();
          blocks.add(ProviderResponse.toolCall(call.id(), call.name(),
              JsonText.write(call._input(), ObjectMappers.jsonMapper())));
        }
      }
      String raw = answer.stopReason().map(s -> s.asString()).orElse(null);
      String stop = HttpFailures.normalizeStop(raw);
      ProviderResponse response = usage(answer, text.toString(), stop, blocks, raw);
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

  private static ProviderResponse usage(com.anthropic.models.messages.Message answer, String text, String stop,
      List<io.modelrouter.avro.ContentBlock> blocks, String raw) {
    Usage usage;
    try {
      usage = answer.usage();
    } catch (AnthropicInvalidDataException e) {
      return new ProviderResponse(text, stop, 0, 0, 0, false, answer.id(), blocks, raw);
    }
    long cacheRead = usage.cacheReadInputTokens().orElse(0L);
    long cacheWrite = usage.cacheCreationInputTokens().orElse(0L);
    // cache_creation splits the writes by TTL; without it, they are 5-minute writes (the default TTL)
    long write1h = usage.cacheCreation().map(c -> c.ephemeral1hInputTokens()).orElse(0L);
    long write5m = usage.cacheCreation().map(c -> c.ephemeral5mInputTokens()).orElse(cacheWrite);
    return new ProviderResponse(text, stop, usage.inputTokens() + cacheRead + cacheWrite, usage.outputTokens(),
        cacheRead, true, answer.id(), blocks, raw, write5m, write1h);
  }

  private static int lastNonSystem(List<Message> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).getRole() != Role.SYSTEM) {
        return i;
      }
    }
    return -1;
  }

  /** The block with a cache breakpoint: the cache covers the prompt up to and including it. */
  private static ContentBlockParam withCacheControl(ContentBlockParam block, CacheControlEphemeral cache) {
    if (block.isText()) {
      return ContentBlockParam.ofText(block.asText().toBuilder().cacheControl(cache).build());
    }
    if (block.isImage()) {
      return ContentBlockParam.ofImage(block.asImage().toBuilder().cacheControl(cache).build());
    }
    if (block.isDocument()) {
      return ContentBlockParam.ofDocument(block.asDocument().toBuilder().cacheControl(cache).build());
    }
    if (block.isToolUse()) {
      return ContentBlockParam.ofToolUse(block.asToolUse().toBuilder().cacheControl(cache).build());
    }
    if (block.isToolResult()) {
      return ContentBlockParam.ofToolResult(block.asToolResult().toBuilder().cacheControl(cache).build());
    }
    return block;
  }

  /** A message's text and blocks as Anthropic's content blocks. */
  private static List<ContentBlockParam> blocks(Message message) {
    List<ContentBlockParam> blocks = new ArrayList<>();
    if (!message.getContent().isEmpty()) {
      blocks.add(ContentBlockParam.ofText(message.getContent()));
    }
    for (io.modelrouter.avro.ContentBlock block : message.getBlocks()) {
      switch (block.getType()) {
        case TEXT -> blocks.add(ContentBlockParam.ofText(block.getText()));
        case IMAGE -> blocks.add(ContentBlockParam.ofImage(block.getUrl() != null
            ? ImageBlockParam.builder().urlSource(block.getUrl()).build()
            : ImageBlockParam.builder().source(Base64ImageSource.builder()
                .mediaType(Base64ImageSource.MediaType.of(block.getMediaType().toLowerCase(Locale.ROOT)))
                .data(JsonText.base64(block.getData())).build()).build()));
        case DOCUMENT -> {
          DocumentBlockParam.Builder document = DocumentBlockParam.builder();
          if (block.getUrl() != null) {
            document.urlSource(block.getUrl());
          } else if ("text/plain".equalsIgnoreCase(block.getMediaType())) {
            document.textSource(new String(JsonText.bytes(block.getData()), StandardCharsets.UTF_8));
          } else {
            document.source(Base64PdfSource.builder().data(JsonText.base64(block.getData())).build());
          }
          if (block.getText() != null) {
            document.title(block.getText());
          }
          blocks.add(ContentBlockParam.ofDocument(document.build()));
        }
        case TOOL_CALL -> {
          ToolUseBlockParam.Input.Builder input = ToolUseBlockParam.Input.builder();
          JsonText.object(block.getToolArguments()).forEach((k, v) -> input.putAdditionalProperty(k, JsonValue.from(v)));
          blocks.add(ContentBlockParam.ofToolUse(ToolUseBlockParam.builder().id(block.getToolCallId())
              .name(block.getToolName()).input(input.build()).build()));
        }
        case TOOL_RESULT -> {
          ToolResultBlockParam.Builder result = ToolResultBlockParam.builder().toolUseId(block.getToolCallId())
              .content(block.getText() == null ? "" : block.getText());
          if (block.getIsError()) {
            result.isError(true);
          }
          blocks.add(ContentBlockParam.ofToolResult(result.build()));
        }
        default -> throw new IllegalArgumentException("a " + block.getType() + " block cannot be sent");
      }
    }
    return blocks;
  }

  private static String first(AnthropicServiceException e, String header) {
    List<String> values = e.headers().values(header);
    return values.isEmpty() ? null : values.get(0);
  }

  @Override
  public BatchApi batchApi() {
    return new AnthropicBatchApi(this, client, apiKey);
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
