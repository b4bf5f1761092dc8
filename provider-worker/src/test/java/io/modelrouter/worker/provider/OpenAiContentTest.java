package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible adapter beyond text, against WireMock answering as OpenAI's chat completions reference
 * documents function calling, image inputs, structured outputs and refusals.
 */
class OpenAiContentTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private static final String WEATHER_SCHEMA = """
      {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}""";
  private OpenAiCompatibleProvider provider;

  @BeforeAll
  static void start() {
    WIREMOCK.start();
  }

  @AfterAll
  static void stop() {
    WIREMOCK.stop();
  }

  @AfterEach
  void reset() {
    WIREMOCK.resetAll();
    if (provider != null) {
      provider.close();
    }
  }

  private OpenAiCompatibleProvider provider() {
    provider = new OpenAiCompatibleProvider("openai", "http://127.0.0.1:" + WIREMOCK.port() + "/v1", "sk-test",
        Duration.ofSeconds(5));
    return provider;
  }

  private static void answer(String body) {
    WIREMOCK.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(body)));
  }

  private static ProviderRequest request(List<Message> messages, List<Tool> tools, ToolChoice choice,
      ResponseFormat format) {
    return new ProviderRequest("r-1", "gpt-4.1-mini", null, messages, 512, null, 42, Duration.ofSeconds(5), 1, tools,
        choice, format, List.of());
  }

  @Test
  void aFunctionCallRoundTrip() throws Exception {
    answer("""
        {"id": "chatcmpl-abc123", "object": "chat.completion", "created": 1699896916, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
             "annotations": [],
             "tool_calls": [{"id": "call_abc123", "type": "function",
                             "function": {"name": "get_weather", "arguments": "{\\n\\"location\\": \\"Boston, MA\\"\\n}"}}]},
           "logprobs": null, "finish_reason": "tool_calls"}],
         "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}}
        """);

    ProviderResponse first = provider().call(request(
        List.of(new Message(Role.USER, "What's the weather like in Boston today?", List.of())),
        List.of(new Tool("get_weather", "Get the current weather", WEATHER_SCHEMA)),
        new ToolChoice(ToolChoiceMode.ANY, null), null));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions")).withRequestBody(equalToJson("""
        {"model": "gpt-4.1-mini", "max_tokens": 512,
         "messages": [{"role": "user", "content": "What's the weather like in Boston today?"}],
         "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the current weather",
                    "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                                   "required": ["location"]}}}],
         "tool_choice": "required"}
        """)));
    assertThat(first.stopReason()).isEqualTo("tool_use");
    assertThat(first.providerStopReason()).isEqualTo("tool_calls");
    assertThat(first.toolCalls()).singleElement().satisfies(call -> {
      assertThat(call.getToolCallId()).isEqualTo("call_abc123");
      assertThat(call.getToolName()).isEqualTo("get_weather");
      assertThat(call.getToolArguments()).isEqualTo("{\n\"location\": \"Boston, MA\"\n}");
    });

    WIREMOCK.resetAll();
    answer("""
        {"id": "chatcmpl-abc124", "object": "chat.completion", "created": 1699896917, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "It is 22 °C and sunny in Boston.",
             "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 120, "completion_tokens": 11, "total_tokens": 131}}
        """);
    provider().call(request(List.of(
            new Message(Role.USER, "What's the weather like in Boston today?", List.of()),
            new Message(Role.ASSISTANT, "", List.of(first.toolCalls().get(0))),
            new Message(Role.TOOL, "", List.of(ContentBlock.newBuilder().setType(BlockType.TOOL_RESULT)
                .setToolCallId("call_abc123").setText("22 C, sunny").build()))),
        List.of(new Tool("get_weather", "Get the current weather", WEATHER_SCHEMA)), null, null));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions")).withRequestBody(equalToJson("""
        {"messages": [
           {"role": "user", "content": "What's the weather like in Boston today?"},
           {"role": "assistant", "tool_calls": [{"id": "call_abc123", "type": "function",
              "function": {"name": "get_weather", "arguments": "{\\n\\"location\\": \\"Boston, MA\\"\\n}"}}]},
           {"role": "tool", "tool_call_id": "call_abc123", "content": "22 C, sunny"}]}
        """, true, true)));
  }

  @Test
  void anImageIsSentAsAnImageUrlPartWithADataUrl() throws Exception {
    answer("""
        {"id": "chatcmpl-img", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "A red square.", "refusal": null,
             "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 100, "completion_tokens": 4, "total_tokens": 104}}
        """);

    provider().call(request(List.of(new Message(Role.USER, "What's in this image?", List.of(
        ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/png")
            .setData(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3})).build()))),
        List.of(), null, null));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions")).withRequestBody(equalToJson("""
        {"messages": [{"role": "user", "content": [
           {"type": "text", "text": "What's in this image?"},
           {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORwECAw=="}}]}]}
        """, true, true)));
  }

  @Test
  void structuredOutputIsSentAsAJsonSchemaResponseFormat() throws Exception {
    answer("""
        {"id": "chatcmpl-so", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant",
             "content": "{\\"steps\\":[\\"x = -3.75\\"],\\"final_answer\\":\\"x = -3.75\\"}", "refusal": null,
             "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 60, "completion_tokens": 20, "total_tokens": 80}}
        """);
    String schema = """
        {"type": "object", "properties": {"steps": {"type": "array", "items": {"type": "string"}},
         "final_answer": {"type": "string"}}, "required": ["steps", "final_answer"]}""";

    ProviderResponse response = provider().call(request(List.of(new Message(Role.USER, "8x + 31 = 1", List.of())),
        List.of(), null, new ResponseFormat("math_reasoning", schema)));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions")).withRequestBody(equalToJson("""
        {"response_format": {"type": "json_schema", "json_schema": {"name": "math_reasoning", "strict": false,
           "schema": {"type": "object", "properties": {"steps": {"type": "array", "items": {"type": "string"}},
                      "final_answer": {"type": "string"}}, "required": ["steps", "final_answer"]}}}}
        """, true, true)));
    assertThat(response.content()).isEqualTo("{\"steps\":[\"x = -3.75\"],\"final_answer\":\"x = -3.75\"}");
  }

  @Test
  void aRefusalComesBackAsTheRefusalStopReason() throws Exception {
    // structured outputs: the model's refusal is in message.refusal, content null, finish_reason "stop"
    answer("""
        {"id": "chatcmpl-ref", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": null,
             "refusal": "I'm sorry, I cannot assist with that request.", "annotations": []},
           "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 30, "completion_tokens": 10, "total_tokens": 40}}
        """);

    ProviderResponse response = provider().call(request(List.of(new Message(Role.USER, "...", List.of())),
        List.of(), null, null));

    assertThat(response.stopReason()).isEqualTo("refusal");
    assertThat(response.providerStopReason()).isEqualTo("stop");
    assertThat(response.content()).isEqualTo("I'm sorry, I cannot assist with that request.");
  }

  @Test
  void toolArgumentsThatAreNotAJsonObjectAreAMalformedAnswer() {
    answer("""
        {"id": "chatcmpl-bad", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
             "tool_calls": [{"id": "call_1", "type": "function",
                             "function": {"name": "get_weather", "arguments": "{\\"location\\": \\"Bos"}}]},
           "logprobs": null, "finish_reason": "tool_calls"}],
         "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}}
        """);

    assertThatThrownBy(() -> provider().call(request(List.of(new Message(Role.USER, "Weather?", List.of())),
        List.of(new Tool("get_weather", null, WEATHER_SCHEMA)), null, null)))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.MALFORMED_RESPONSE);
          assertThat(e.errorCode()).isEqualTo("invalid_tool_arguments");
        });
  }

  @Test
  void aSchemaThatMeetsStrictModesRulesIsSentStrict() {
    assertThat(OpenAiCompatibleProvider.strictCompatible(JsonText.object("""
        {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "object",
         "properties": {"c": {"type": "integer"}}, "required": ["c"], "additionalProperties": false}},
         "required": ["a", "b"], "additionalProperties": false}"""))).isTrue();
    // an optional property, or an open object, is not strict-compatible
    assertThat(OpenAiCompatibleProvider.strictCompatible(JsonText.object("""
        {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, "required": ["a"],
         "additionalProperties": false}"""))).isFalse();
    assertThat(OpenAiCompatibleProvider.strictCompatible(JsonText.object("""
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}"""))).isFalse();
  }
}
