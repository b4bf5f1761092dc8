package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/** The Bedrock Converse adapter against WireMock answering as the Converse API is documented. */
class BedrockProviderTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private static final String CONVERSE = "/model/[^/]+/converse";
  private BedrockProvider provider;

  @BeforeAll
  static void startWireMock() {
    WIREMOCK.start();
  }

  @AfterAll
  static void stopWireMock() {
    WIREMOCK.stop();
  }

  @AfterEach
  void reset() {
    WIREMOCK.resetAll();
    if (provider != null) {
      provider.close();
    }
  }

  private BedrockProvider provider(Duration timeout) {
    provider = new BedrockProvider("bedrock", Region.US_EAST_1, URI.create("http://127.0.0.1:" + WIREMOCK.port()),
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "test-secret")), timeout);
    return provider;
  }

  private static ProviderRequest request() {
    return new ProviderRequest("r-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "You are a concise assistant.",
        List.of(new Message(Role.USER, "Hello", List.of()), new Message(Role.ASSISTANT, "Hi! How can I help?", List.of()),
            new Message(Role.USER, "Summarise this.", List.of())), 1024, 0.25, 42, Duration.ofSeconds(5), 1);
  }

  private static void answer(int status, String errorType, String body) {
    var response = aResponse().withStatus(status).withHeader("Content-Type", "application/json")
        .withHeader("x-amzn-RequestId", "a1d2c37b-0000-4000-8000-000000000001").withBody(body);
    if (errorType != null) {
      response.withHeader("x-amzn-ErrorType", errorType + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
    }
    WIREMOCK.stubFor(post(urlPathMatching(CONVERSE)).willReturn(response));
  }

  private ProviderException failure() {
    try {
      provider(Duration.ofSeconds(5)).call(request());
    } catch (ProviderException e) {
      return e;
    }
    throw new AssertionError("expected a ProviderException");
  }

  @Test
  void sendsTheDocumentedConverseRequestAndNormalizesTheAnswer() throws Exception {
    answer(200, null, """
        {"output": {"message": {"role": "assistant", "content": [{"text": "Hi! My name is Claude."}]}},
         "stopReason": "end_turn",
         "usage": {"inputTokens": 30, "outputTokens": 628, "totalTokens": 658, "cacheReadInputTokens": 12,
                   "cacheWriteInputTokens": 0},
         "metrics": {"latencyMs": 1275}}
        """);

    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());

    WIREMOCK.verify(postRequestedFor(urlPathMatching("/model/us\\.anthropic\\.claude-sonnet-4-5-20250929-v1%3A0/converse"))
        .withHeader("Content-Type", containing("application/json"))
        .withHeader("Authorization", matching(".+"))
        .withHeader("amz-sdk-request", equalTo("attempt=1; max=1"))
        .withRequestBody(equalToJson("""
            {"messages": [{"role": "user", "content": [{"text": "Hello"}]},
                          {"role": "assistant", "content": [{"text": "Hi! How can I help?"}]},
                          {"role": "user", "content": [{"text": "Summarise this."}]}],
             "system": [{"text": "You are a concise assistant."}],
             "inferenceConfig": {"maxTokens": 1024, "temperature": 0.25}}
            """)));
    assertThat(response.content()).isEqualTo("Hi! My name is Claude.");
    assertThat(response.stopReason()).isEqualTo("end_turn");
    assertThat(response.inputTokens()).isEqualTo(42);
    assertThat(response.cachedInputTokens()).isEqualTo(12);
    assertThat(response.outputTokens()).isEqualTo(628);
    assertThat(response.providerRequestId()).isEqualTo("a1d2c37b-0000-4000-8000-000000000001");
  }

  @Test
  void throttlingIsARateLimit() {
    answer(429, "ThrottlingException", "{\"message\":\"Too many requests, please wait before trying again.\"}");
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
    assertThat(e.errorCode()).isEqualTo("ThrottlingException");
  }

  @Test
  void modelNotReadyIsARateLimit() {
    answer(429, "ModelNotReadyException", "{\"message\":\"Model is not ready to serve inference requests.\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
  }

  @Test
  void inputTooLongIsAContextWindowError() {
    answer(400, "ValidationException", "{\"message\":\"Input is too long for requested model.\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.CONTEXT_WINDOW);
  }

  @Test
  void claudePromptTooLongOnBedrockIsAContextWindowError() {
    answer(400, "ValidationException",
        "{\"message\":\"The model returned the following errors: prompt is too long: 200049 tokens > 200000 maximum\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.CONTEXT_WINDOW);
  }

  @Test
  void otherValidationErrorsAreBadRequests() {
    answer(400, "ValidationException", "{\"message\":\"Malformed input request: please reformat your input.\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
  }

  @Test
  void noModelAccessIsAnAuthError() {
    answer(403, "AccessDeniedException",
        "{\"message\":\"You don't have access to the model with the specified model ID.\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.AUTH);
  }

  @Test
  void unavailableIsARetryableServerError() {
    answer(503, "ServiceUnavailableException", "{\"message\":\"Bedrock is unable to process your request.\"}");
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.SERVER_ERROR);
    assertThat(e.retryable()).isTrue();
  }

  @Test
  void modelTimeoutIsATimeout() {
    answer(408, "ModelTimeoutException", "{\"message\":\"Model has timed out in processing the request.\"}");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.TIMEOUT);
  }

  @Test
  void aSlowAnswerIsATimeout() {
    WIREMOCK.stubFor(post(urlPathMatching(CONVERSE)).willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    assertThatThrownBy(() -> provider(Duration.ofMillis(500)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.TIMEOUT));
  }

  @Test
  void aBodyThatIsNotJsonIsMalformed() {
    answer(200, null, "<html>proxy error</html>");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.MALFORMED_RESPONSE);
  }

  @Test
  void anAnswerWithoutUsageSaysSo() throws Exception {
    answer(200, null, """
        {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "max_tokens"}
        """);
    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());
    assertThat(response.usageReported()).isFalse();
    assertThat(response.stopReason()).isEqualTo("max_tokens");
  }

  @Test
  void aToolUseRoundTripAndAnImageAsConverseDocumentsThem() throws Exception {
    // the Converse tool-use example: the answer's toolUse block, stopReason tool_use
    answer(200, null, """
        {"output": {"message": {"role": "assistant", "content": [
           {"toolUse": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "top_song",
                        "input": {"sign": "WZPZ", "limit": 3}}}]}},
         "stopReason": "tool_use", "usage": {"inputTokens": 416, "outputTokens": 73, "totalTokens": 489},
         "metrics": {"latencyMs": 1580}}
        """);
    String schema = """
        {"type": "object", "properties": {"sign": {"type": "string"}}, "required": ["sign"]}""";
    ProviderRequest ask = new ProviderRequest("r-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", null,
        List.of(new Message(Role.USER, "What is the most popular song on WZPZ?", List.of(
            io.modelrouter.avro.ContentBlock.newBuilder().setType(io.modelrouter.avro.BlockType.IMAGE)
                .setMediaType("image/png").setData(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})).build()))),
        512, null, 42, Duration.ofSeconds(5), 1,
        List.of(new io.modelrouter.avro.Tool("top_song", "Get the most popular song played on a radio station.",
            schema)),
        new io.modelrouter.avro.ToolChoice(io.modelrouter.avro.ToolChoiceMode.ANY, null), null, List.of("END"));

    ProviderResponse response = provider(Duration.ofSeconds(5)).call(ask);

    WIREMOCK.verify(postRequestedFor(urlPathMatching(CONVERSE)).withRequestBody(equalToJson("""
        {"messages": [{"role": "user", "content": [{"text": "What is the most popular song on WZPZ?"},
                                                   {"image": {"format": "png", "source": {"bytes": "AQID"}}}]}],
         "inferenceConfig": {"maxTokens": 512, "stopSequences": ["END"]},
         "toolConfig": {"tools": [{"toolSpec": {"name": "top_song",
                          "description": "Get the most popular song played on a radio station.",
                          "inputSchema": {"json": {"type": "object", "properties": {"sign": {"type": "string"}},
                                                   "required": ["sign"]}}}}],
                        "toolChoice": {"any": {}}}}
        """)));
    assertThat(response.stopReason()).isEqualTo("tool_use");
    assertThat(response.providerStopReason()).isEqualTo("tool_use");
    assertThat(response.toolCalls()).singleElement().satisfies(call -> {
      assertThat(call.getToolCallId()).isEqualTo("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q");
      assertThat(call.getToolName()).isEqualTo("top_song");
      assertThat(call.getToolArguments()).isEqualTo("{\"sign\":\"WZPZ\",\"limit\":3}");
    });

    // the tool's result goes back as a toolResult block after the assistant's toolUse
    WIREMOCK.resetAll();
    answer(200, null, """
        {"output": {"message": {"role": "assistant", "content": [{"text": "The most popular song on WZPZ is Elemental Hotel."}]}},
         "stopReason": "end_turn", "usage": {"inputTokens": 500, "outputTokens": 20, "totalTokens": 520},
         "metrics": {"latencyMs": 900}}
        """);
    provider(Duration.ofSeconds(5)).call(new ProviderRequest("r-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        null, List.of(new Message(Role.USER, "What is the most popular song on WZPZ?", List.of()),
            new Message(Role.ASSISTANT, "", response.toolCalls()),
            new Message(Role.TOOL, "", List.of(io.modelrouter.avro.ContentBlock.newBuilder()
                .setType(io.modelrouter.avro.BlockType.TOOL_RESULT).setToolCallId("tooluse_kZJMlvQmRJ6eAyJE5GIl7Q")
                .setText("Elemental Hotel, by 8 Storey Hike").build()))),
        512, null, 42, Duration.ofSeconds(5), 2, ask.tools(), null, null, List.of()));
    WIREMOCK.verify(postRequestedFor(urlPathMatching(CONVERSE)).withRequestBody(equalToJson("""
        {"messages": [
           {"role": "user", "content": [{"text": "What is the most popular song on WZPZ?"}]},
           {"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                                                          "name": "top_song", "input": {"sign": "WZPZ", "limit": 3}}}]},
           {"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q",
                                                         "content": [{"text": "Elemental Hotel, by 8 Storey Hike"}]}}]}]}
        """, true, true)));
  }

  @Test
  void aGuardrailThatIntervenedIsAContentFilterStop() throws Exception {
    // Converse: stopReason guardrail_intervened when a guardrail blocked or masked the answer
    answer(200, null, """
        {"output": {"message": {"role": "assistant", "content": [{"text": "Sorry, the model cannot answer this."}]}},
         "stopReason": "guardrail_intervened", "usage": {"inputTokens": 40, "outputTokens": 9, "totalTokens": 49},
         "metrics": {"latencyMs": 300}}
        """);

    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());

    assertThat(response.stopReason()).isEqualTo("content_filter");
    assertThat(response.providerStopReason()).isEqualTo("guardrail_intervened");
    assertThat(response.outputTokens()).isEqualTo(9);
  }
}
