package io.modelrouter.worker.provider;

import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClientBuilder;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.InferenceConfiguration;
import software.amazon.awssdk.services.bedrockruntime.model.SystemContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.TokenUsage;

/**
 * Amazon Bedrock's Converse API through the AWS SDK v2 (Apache HTTP client), with the SDK's retries off. Usage
 * input counts every input token billed ({@code inputTokens + cacheReadInputTokens + cacheWriteInputTokens}); the
 * cached part is the cache reads. Throttling and "model not ready" are rate limits, a validation error saying the
 * input is too long a context-window error.
 */
public final class BedrockProvider implements Provider {
  private final String name;
  private final BedrockRuntimeClient client;

  /**
   * @param endpoint an endpoint override (tests, VPC endpoints), or null for the region's public endpoint
   */
  public BedrockProvider(String name, Region region, URI endpoint, AwsCredentialsProvider credentials, Duration timeout) {
    this.name = Objects.requireNonNull(name);
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
    List<SystemContentBlock> system = new ArrayList<>();
    if (request.systemPrompt() != null && !request.systemPrompt().isBlank()) {
      system.add(SystemContentBlock.fromText(request.systemPrompt()));
    }
    List<software.amazon.awssdk.services.bedrockruntime.model.Message> messages = new ArrayList<>();
    for (Message message : request.messages()) {
      if (message.getRole() == Role.SYSTEM) {
        system.add(SystemContentBlock.fromText(message.getContent()));
        continue;
      }
      messages.add(software.amazon.awssdk.services.bedrockruntime.model.Message.builder()
          .role(message.getRole() == Role.ASSISTANT ? ConversationRole.ASSISTANT : ConversationRole.USER)
          .content(ContentBlock.fromText(message.getContent()))
          .build());
    }
    InferenceConfiguration.Builder inference = InferenceConfiguration.builder().maxTokens(request.maxTokens());
    if (request.temperature() != null) {
      inference.temperature(request.temperature().floatValue());
    }
    ConverseRequest.Builder converse = ConverseRequest.builder()
        .modelId(request.providerModelId())
        .messages(messages)
        .inferenceConfig(inference.build());
    if (!system.isEmpty()) {
      converse.system(system);
    }
    ConverseResponse response;
    try {
      response = client.converse(converse.build());
    } catch (AwsServiceException e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
      String retryAfter = e.awsErrorDetails() == null || e.awsErrorDetails().sdkHttpResponse() == null ? null
          : e.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After").orElse(null);
      int status = e.statusCode();
      if ("ModelNotReadyException".equals(code) || "ThrottlingException".equals(code)) {
        status = 429;
      }
      // SigV4 never sends the secret key, so there is nothing of it to echo back
      throw HttpFailures.classify(name, status, code, message, RetryAfter.parse(null, retryAfter).orElse(null), null);
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
    if (response.output() == null || response.output().message() == null) {
      throw new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "no_output",
          name + " answered without output.message");
    }
    StringBuilder text = new StringBuilder();
    for (ContentBlock block : response.output().message().content()) {
      if (block.text() != null) {
        text.append(block.text());
      }
    }
    String stop = HttpFailures.normalizeStop(response.stopReasonAsString());
    TokenUsage usage = response.usage();
    ProviderResponse answer;
    if (usage == null || usage.inputTokens() == null || usage.outputTokens() == null) {
      answer = new ProviderResponse(text.toString(), stop, 0, 0, 0, false, response.responseMetadata().requestId());
    } else {
      long cacheRead = usage.cacheReadInputTokens() == null ? 0 : usage.cacheReadInputTokens();
      long cacheWrite = usage.cacheWriteInputTokens() == null ? 0 : usage.cacheWriteInputTokens();
      answer = new ProviderResponse(text.toString(), stop, usage.inputTokens() + cacheRead + cacheWrite,
          usage.outputTokens(), cacheRead, true, response.responseMetadata().requestId());
    }
    if (stop.equals("context_window_exceeded")) {
      throw new ProviderException(ProviderException.Kind.CONTEXT_WINDOW, 200, "model_context_window_exceeded",
          name + " stopped at the model's context window", null, null).withBilled(answer);
    }
    return answer;
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
