package io.modelrouter.worker.provider;

import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClientBuilder;
import software.amazon.awssdk.services.bedrockruntime.model.AnyToolChoice;
import software.amazon.awssdk.services.bedrockruntime.model.CachePointBlock;
import software.amazon.awssdk.services.bedrockruntime.model.CachePointType;
import software.amazon.awssdk.services.bedrockruntime.model.AutoToolChoice;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.DocumentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.DocumentFormat;
import software.amazon.awssdk.services.bedrockruntime.model.DocumentSource;
import software.amazon.awssdk.services.bedrockruntime.model.ImageBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ImageSource;
import software.amazon.awssdk.services.bedrockruntime.model.SpecificToolChoice;
import software.amazon.awssdk.services.bedrockruntime.model.ToolChoice;
import software.amazon.awssdk.services.bedrockruntime.model.ToolConfiguration;
import software.amazon.awssdk.services.bedrockruntime.model.ToolInputSchema;
import software.amazon.awssdk.services.bedrockruntime.model.ToolResultBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ToolResultContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ToolResultStatus;
import software.amazon.awssdk.services.bedrockruntime.model.ToolSpecification;
import software.amazon.awssdk.services.bedrockruntime.model.ToolUseBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.InferenceConfiguration;
import software.amazon.awssdk.services.bedrockruntime.model.SystemContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.TokenUsage;

/**
 * Amazon Bedrock's Converse API through the AWS SDK v2 (Apache HTTP client), with the SDK's retries off. Usage
 * input counts every input token billed ({@code inputTokens + cacheReadInputTokens + cacheWriteInputTokens}); the
 * cached part is the cache reads. Beyond text: image blocks (bytes; Converse takes no image URL), document blocks
 * (PDF or plain text, bytes, named as Converse requires), toolConfig (tools and tool choice), toolUse and toolResult
 * blocks, stop sequences; the answer's toolUse blocks come back as blocks. With prompt caching, a cachePoint (with
 * the TTL) after the system prompt, after the tools and, when asked, after the message before the last. Throttling and "model not ready" are rate limits, a validation error saying the
 * input is too long a context-window error.
 */
public final class BedrockProvider implements Provider {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder().build();
  private final String name;
  private final BedrockRuntimeClient client;
  private final Region region;
  private final AwsCredentialsProvider credentials;
  private final BatchSettings batch;

  /**
   * Where batch inference jobs keep their records, and who may read them.
   *
   * @param s3Uri {@code s3://bucket/prefix}: each job's input file and output go under it
   * @param roleArn the service role Bedrock assumes to read and write that location
   * @param minItems the fewest records a job may have (Bedrock's quota: 100 for most models)
   * @param endpoint an override of Bedrock's control-plane endpoint, or null
   * @param s3Endpoint an override of S3's endpoint (path-style addressing), or null
   */
  public record BatchSettings(String s3Uri, String roleArn, int minItems, URI endpoint, URI s3Endpoint) {}

  /**
   * @param endpoint an endpoint override (tests, VPC endpoints), or null for the region's public endpoint
   */
  public BedrockProvider(String name, Region region, URI endpoint, AwsCredentialsProvider credentials, Duration timeout) {
    this(name, region, endpoint, credentials, timeout, null);
  }

  /**
   * @param batch where batch inference jobs keep their records, or null: no batch API
   */
  public BedrockProvider(String name, Region region, URI endpoint, AwsCredentialsProvider credentials, Duration timeout,
      BatchSettings batch) {
    this.name = Objects.requireNonNull(name);
    this.region = region;
    this.credentials = credentials;
    this.batch = batch;
    BedrockRuntimeClientBuilder builder = BedrockRuntimeClient.builder()
        .region(region)
        .credentialsProvider(credentials)
        .httpClientBuilder(ApacheHttpClient.builder().connectionTimeout(Duration.ofSeconds(10)).socketTimeout(timeout))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(timeout));
    if (endpoint != null) {
      builder.endpointOverride(endpoint);
    }
    this.client = builder.build();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public ProviderResponse call(ProviderRequest request) throws ProviderException {
    ConverseRequest converse = converseRequest(request);
    ConverseResponse response;
    try {
      response = client.converse(converse);
    } catch (AwsServiceException e) {
      throw failure(e);
    } catch (ApiCallTimeoutException | ApiCallAttemptTimeoutException e) {
      throw new ProviderException(ProviderException.Kind.TIMEOUT, null, "timeout",
          name + " did not answer in time: " + e.getMessage(), null, e);
    } catch (SdkClientException e) {
      if (e.getMessage() != null && e.getMessage().contains("Unable to unmarshall response")) {
        throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
            name + " answered with a body that is not a Converse response", null, e);
      }
      throw HttpFailures.transport(name, e, null);
    }
    return answer(request, response);
  }

  /** An AWS service error as a provider failure (throttling and "model not ready" are rate limits). */
  ProviderException failure(AwsServiceException e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
    String retryAfter = e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null ? null
        : e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After").orElse(null);
    int status = e.statusCode();
    if ("ModelNotReadyException".equals(code) || "ThrottlingException".equals(code)) {
      status = 429;
    }
    // SigV4 never sends the secret key, so there is nothing of it to echo back
    return HttpFailures.classify(name, status, code, message, RetryAfter.parse(null, retryAfter).orElse(null), null);
  }

  /** The Converse request this provider sends for a request (also the body of a Converse-type batch record). */
  ConverseRequest converseRequest(ProviderRequest request) throws ProviderException {
    List<SystemContentBlock> system = new ArrayList<>();
    if (request.systemPrompt() != null && !request.systemPrompt().isBlank()) {
      system.add(SystemContentBlock.fromText(request.systemPrompt()));
    }
    List<software.amazon.awssdk.services.bedrockruntime.model.Message> messages = new ArrayList<>();
    CachePointBlock cache = request.promptCache() == null ? null
        : CachePointBlock.builder().type(CachePointType.DEFAULT).ttl(request.promptCache()).build();
    int last = -1;
    for (int i = 0; i < request.messages().size(); i++) {
      last = request.messages().get(i).getRole() == Role.SYSTEM ? last : i;
    }
    int prefixEnd = cache != null && request.cacheConversation() ? last - 1 : -1;
    for (int i = 0; i < request.messages().size(); i++) {
      Message message = request.messages().get(i);
      if (message.getRole() == Role.SYSTEM) {
        system.add(SystemContentBlock.fromText(message.getContent()));
        continue;
      }
      List<ContentBlock> content = new ArrayList<>(message.getBlocks().isEmpty()
          ? List.of(ContentBlock.fromText(message.getContent())) : blocks(message));
      if (i == prefixEnd) {
        content.add(ContentBlock.fromCachePoint(cache));
      }
      messages.add(software.amazon.awssdk.services.bedrockruntime.model.Message.builder()
          .role(message.getRole() == Role.ASSISTANT ? ConversationRole.ASSISTANT : ConversationRole.USER)
          .content(content)
          .build());
    }
    if (cache != null && !system.isEmpty()) {
      system.add(SystemContentBlock.fromCachePoint(cache));
    }
    if (request.responseFormat() != null) {
      throw new ProviderException(ProviderException.Kind.BAD_REQUEST, null, "structured_output_unsupported",
          name + ": structured output is not sent through Converse by this worker (the catalog should not list "
              + "structured_output for a Bedrock model)");
    }
    InferenceConfiguration.Builder inference = InferenceConfiguration.builder().maxTokens(request.maxTokens());
    if (request.temperature() != null) {
      inference.temperature(request.temperature().floatValue());
    }
    if (!request.stopSequences().isEmpty()) {
      inference.stopSequences(request.stopSequences());
    }
    ConverseRequest.Builder converse = ConverseRequest.builder()
        .modelId(request.providerModelId())
        .messages(messages)
        .inferenceConfig(inference.build());
    if (!system.isEmpty()) {
      converse.system(system);
    }
    if (!request.tools().isEmpty()) {
      converse.toolConfig(tools(request, cache));
    }
    return converse.build();
  }

  /** A Converse response as this provider's answer (a direct call's, or a batch record's model output). */
  ProviderResponse answer(ProviderRequest request, ConverseResponse response) throws ProviderException {
    return answer(request.promptCache(), response);
  }

  /** The same, for a request whose prompt-cache TTL is this (null: none or the default five minutes). */
  ProviderResponse answer(String promptCache, ConverseResponse response) throws ProviderException {
    if (response.output() == null || response.output().message() == null) {
      throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "no_output",
          name + " answered without output.message");
    }
    StringBuilder text = new StringBuilder();
    List<io.modelrouter.avro.ContentBlock> blocks = new ArrayList<>();
    for (ContentBlock block : response.output().message().content()) {
      if (block.text() != null) {
        text.append(block.text());
        blocks.add(ProviderResponse.text(block.text()));
      } else if (block.toolUse() != null) {
        blocks.add(ProviderResponse.toolCall(block.toolUse().toolUseId(), block.toolUse().name(),
            JsonText.write(AwsDocuments.unwrap(block.toolUse().input()), JSON)));
      }
    }
    String raw = response.stopReasonAsString();
    String stop = HttpFailures.normalizeStop(raw);
    TokenUsage usage = response.usage();
    ProviderResponse answer;
    String id = response.responseMetadata().requestId();
    if (usage == null || usage.inputTokens() == null || usage.outputTokens() == null) {
      answer = new ProviderResponse(text.toString(), stop, 0, 0, 0, false, id, blocks, raw);
    } else {
      long cacheRead = usage.cacheReadInputTokens() == null ? 0 : usage.cacheReadInputTokens();
      long cacheWrite = usage.cacheWriteInputTokens() == null ? 0 : usage.cacheWriteInputTokens();
      // the writes are at the one TTL the request's cache points asked for
      boolean hour = "1h".equals(promptCache);
      answer = new ProviderResponse(text.toString(), stop, usage.inputTokens() + cacheRead + cacheWrite,
          usage.outputTokens(), cacheRead, true, id, blocks, raw, hour ? 0 : cacheWrite, hour ? cacheWrite : 0);
    }
    if (stop.equals("context_window_exceeded")) {
      throw new ProviderException(ProviderException.Kind.CONTEXT_WINDOW, 200, "model_context_window_exceeded",
          name + " stopped at the model's context window", null, null).withBilled(answer);
    }
    return answer;
  }

  /** A message's text and blocks as Converse content blocks. */
  private List<ContentBlock> blocks(Message message) throws ProviderException {
    List<ContentBlock> blocks = new ArrayList<>();
    if (!message.getContent().isEmpty()) {
      blocks.add(ContentBlock.fromText(message.getContent()));
    }
    int documents = 0;
    for (io.modelrouter.avro.ContentBlock block : message.getBlocks()) {
      switch (block.getType()) {
        case TEXT -> blocks.add(ContentBlock.fromText(block.getText()));
        case IMAGE -> {
          if (block.getData() == null) {
            throw new ProviderException(ProviderException.Kind.BAD_REQUEST, null, "image_url_unsupported",
                name + ": Converse takes an image as bytes (or from S3), not from a URL");
          }
          String format = block.getMediaType().substring(block.getMediaType().indexOf('/') + 1).toLowerCase(Locale.ROOT);
          blocks.add(ContentBlock.fromImage(ImageBlock.builder().format(format)
              .source(ImageSource.fromBytes(SdkBytes.fromByteArray(JsonText.bytes(block.getData())))).build()));
        }
        case DOCUMENT -> {
          if (block.getData() == null) {
            throw new ProviderException(ProviderException.Kind.BAD_REQUEST, null, "document_url_unsupported",
                name + ": Converse takes a document as bytes (or from S3), not from a URL");
          }
          // Converse requires a name: letters, digits, spaces, hyphens, parentheses, square brackets
          documents++;
          String title = block.getText() == null ? "document " + documents
              : block.getText().replaceAll("[^A-Za-z0-9 ()\\[\\]-]", " ").trim();
          blocks.add(ContentBlock.fromDocument(DocumentBlock.builder()
              .format("text/plain".equalsIgnoreCase(block.getMediaType()) ? DocumentFormat.TXT : DocumentFormat.PDF)
              .name(title.isEmpty() ? "document " + documents : title)
              .source(DocumentSource.fromBytes(SdkBytes.fromByteArray(JsonText.bytes(block.getData())))).build()));
        }
        case TOOL_CALL -> blocks.add(ContentBlock.fromToolUse(ToolUseBlock.builder().toolUseId(block.getToolCallId())
            .name(block.getToolName()).input(AwsDocuments.of(JsonText.object(block.getToolArguments()))).build()));
        case TOOL_RESULT -> {
          ToolResultBlock.Builder result = ToolResultBlock.builder().toolUseId(block.getToolCallId())
              .content(ToolResultContentBlock.fromText(block.getText() == null ? "" : block.getText()));
          if (block.getIsError()) {
            result.status(ToolResultStatus.ERROR);
          }
          blocks.add(ContentBlock.fromToolResult(result.build()));
        }
        default -> throw new ProviderException(ProviderException.Kind.BAD_REQUEST, null, "unsupported_block",
            name + ": a " + block.getType() + " block cannot be sent");
      }
    }
    return blocks;
  }

  /**
   * The request's tools as Converse's toolConfig. Converse has no "none" choice: with NONE the tools are sent (a
   * conversation holding tool calls needs them) without a choice, and the model may still call one.
   */
  private static ToolConfiguration tools(ProviderRequest request, CachePointBlock cache) {
    List<software.amazon.awssdk.services.bedrockruntime.model.Tool> tools = new ArrayList<>();
    for (io.modelrouter.avro.Tool tool : request.tools()) {
      ToolSpecification.Builder spec = ToolSpecification.builder().name(tool.getName())
          .inputSchema(ToolInputSchema.fromJson(AwsDocuments.of(JsonText.object(tool.getInputSchema()))));
      if (tool.getDescription() != null) {
        spec.description(tool.getDescription());
      }
      tools.add(software.amazon.awssdk.services.bedrockruntime.model.Tool.fromToolSpec(spec.build()));
    }
    if (cache != null) {
      tools.add(software.amazon.awssdk.services.bedrockruntime.model.Tool.fromCachePoint(cache));
    }
    ToolConfiguration.Builder config = ToolConfiguration.builder().tools(tools);
    io.modelrouter.avro.ToolChoice choice = request.toolChoice();
    if (choice != null) {
      switch (choice.getMode()) {
        case AUTO -> config.toolChoice(ToolChoice.fromAuto(AutoToolChoice.builder().build()));
        case ANY -> config.toolChoice(ToolChoice.fromAny(AnyToolChoice.builder().build()));
        case TOOL -> config.toolChoice(ToolChoice.fromTool(SpecificToolChoice.builder().name(choice.getToolName())
            .build()));
        default -> { }
      }
    }
    return config.build();
  }

  /** Batch inference (S3 and a service role) where configured, else none: BATCH requests take the normal path. */
  @Override
  public BatchApi batchApi() {
    return batch == null ? null : BedrockBatchApi.create(this, region, credentials, batch);
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "bedrock(" + name + ")";
  }
}
