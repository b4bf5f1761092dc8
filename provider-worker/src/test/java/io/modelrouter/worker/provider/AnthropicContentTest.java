package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic adapter beyond text, against WireMock answering as the Messages API documents tool use, vision,
 * structured outputs (output_config.format) and refusals: the request bodies are checked field by field.
 */
class AnthropicContentTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private static final String WEATHER_SCHEMA = """
      {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state"}},
       "required": ["location"]}""";
  private AnthropicProvider provider;

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

  private AnthropicProvider provider() {
    provider = new AnthropicProvider("anthropic", "http://127.0.0.1:" + WIREMOCK.port(), "sk-ant-test-key",
        Duration.ofSeconds(5));
    return provider;
  }

  private static void answer(String body) {
    WIREMOCK.stubFor(post(urlEqualTo("/v1/messages")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(body)));
  }

  private static ProviderRequest request(List<Message> messages, List<Tool> tools, ToolChoice choice,
      ResponseFormat format, List<String> stops) {
    return new ProviderRequest("r-1", "claude-sonnet-4-5-20250929", null, messages, 1024, null, 42,
        Duration.ofSeconds(5), 1, tools, choice, format, stops);
  }

  private static Tool weather() {
    return new Tool("get_weather", "Get the current weather in a given location", WEATHER_SCHEMA);
  }

  @Test
  void aToolRoundTripSendsToolsAndToolChoiceAndReadsTheToolUseBlock() throws Exception {
    // the documented tool_use answer
    answer("""
        {"id": "msg_01Aq9w938a90dw8q", "model": "claude-sonnet-4-5-20250929", "stop_reason": "tool_use",
         "role": "assistant", "type": "message", "stop_sequence": null,
         "content": [{"type": "text", "text": "I'll check the current weather in San Francisco for you."},
                     {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather",
                      "input": {"location": "San Francisco, CA"}}],
         "usage": {"input_tokens": 384, "output_tokens": 74}}
        """);

    ProviderResponse first = provider().call(request(
        List.of(new Message(Role.USER, "What is the weather like in San Francisco?", List.of())),
        List.of(weather()), new ToolChoice(ToolChoiceMode.TOOL, "get_weather"), null, List.of()));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024,
         "messages": [{"role": "user", "content": "What is the weather like in San Francisco?"}],
         "tools": [{"name": "get_weather", "description": "Get the current weather in a given location",
                    "input_schema": {"type": "object",
                                     "properties": {"location": {"type": "string", "description": "The city and state"}},
                                     "required": ["location"]}}],
         "tool_choice": {"type": "tool", "name": "get_weather"}}
        """)));
    assertThat(first.stopReason()).isEqualTo("tool_use");
    assertThat(first.providerStopReason()).isEqualTo("tool_use");
    assertThat(first.content()).isEqualTo("I'll check the current weather in San Francisco for you.");
    assertThat(first.toolCalls()).singleElement().satisfies(call -> {
      assertThat(call.getToolCallId()).isEqualTo("toolu_01A09q90qw90lq917835lq9");
      assertThat(call.getToolName()).isEqualTo("get_weather");
      assertThat(call.getToolArguments()).isEqualTo("{\"location\":\"San Francisco, CA\"}");
    });

    // the second turn carries the assistant's tool call and the tool's result
    WIREMOCK.resetAll();
    answer("""
        {"id": "msg_01B", "model": "claude-sonnet-4-5-20250929", "stop_reason": "end_turn", "role": "assistant",
         "type": "message", "stop_sequence": null,
         "content": [{"type": "text", "text": "It is 15 degrees and sunny in San Francisco."}],
         "usage": {"input_tokens": 512, "output_tokens": 18}}
        """);
    ProviderResponse second = provider().call(request(List.of(
            new Message(Role.USER, "What is the weather like in San Francisco?", List.of()),
            new Message(Role.ASSISTANT, "", List.of(first.toolCalls().get(0))),
            new Message(Role.TOOL, "", List.of(ContentBlock.newBuilder().setType(BlockType.TOOL_RESULT)
                .setToolCallId("toolu_01A09q90qw90lq917835lq9").setText("15 degrees, sunny").build()))),
        List.of(weather()), null, null, List.of()));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"messages": [
           {"role": "user", "content": "What is the weather like in San Francisco?"},
           {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9",
                                              "name": "get_weather", "input": {"location": "San Francisco, CA"}}]},
           {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
                                         "content": "15 degrees, sunny"}]}]}
        """, true, true)));
    assertThat(second.content()).isEqualTo("It is 15 degrees and sunny in San Francisco.");
    assertThat(second.stopReason()).isEqualTo("end_turn");
  }

  @Test
  void anImageAndAPdfAreSentAsBase64SourcesAndAnImageUrlAsAUrlSource() throws Exception {
    answer("""
        {"id": "msg_02", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "A red square, and a one-page invoice."}],
         "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 1650, "output_tokens": 12}}
        """);
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    byte[] pdf = "%PDF-1.4 tiny".getBytes(StandardCharsets.US_ASCII);

    provider().call(request(List.of(new Message(Role.USER, "What are these?", List.of(
        ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/png").setData(ByteBuffer.wrap(png))
            .build(),
        ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/jpeg")
            .setUrl("https://upload.wikimedia.org/ant.jpg").build(),
        ContentBlock.newBuilder().setType(BlockType.DOCUMENT).setMediaType("application/pdf")
            .setData(ByteBuffer.wrap(pdf)).build()))), List.of(), null, null, List.of()));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"messages": [{"role": "user", "content": [
           {"type": "text", "text": "What are these?"},
           {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORwECAw=="}},
           {"type": "image", "source": {"type": "url", "url": "https://upload.wikimedia.org/ant.jpg"}},
           {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                           "data": "JVBERi0xLjQgdGlueQ=="}}]}]}
        """, true, true)));
  }

  @Test
  void structuredOutputIsSentAsOutputConfigFormatWithStopSequences() throws Exception {
    answer("""
        {"id": "msg_03", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "{\\"name\\":\\"John Smith\\",\\"demo_requested\\":true}"}],
         "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 120, "output_tokens": 14}}
        """);
    String schema = """
        {"type": "object", "properties": {"name": {"type": "string"}, "demo_requested": {"type": "boolean"}},
         "required": ["name", "demo_requested"], "additionalProperties": false}""";

    ProviderResponse response = provider().call(request(
        List.of(new Message(Role.USER, "Extract: John Smith wants a demo.", List.of())), List.of(), null,
        new ResponseFormat("contact", schema), List.of("\n\nHuman:")));

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"output_config": {"format": {"type": "json_schema", "schema":
            {"type": "object", "properties": {"name": {"type": "string"}, "demo_requested": {"type": "boolean"}},
             "required": ["name", "demo_requested"], "additionalProperties": false}}},
         "stop_sequences": ["\\n\\nHuman:"]}
        """, true, true)));
    assertThat(response.content()).isEqualTo("{\"name\":\"John Smith\",\"demo_requested\":true}");
  }

  @Test
  void aRefusalIsItsOwnStopReason() throws Exception {
    // Claude 4 models stop with stop_reason "refusal" when they decline for safety reasons
    answer("""
        {"id": "msg_04", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "I can't help with that."}],
         "stop_reason": "refusal", "stop_sequence": null, "usage": {"input_tokens": 30, "output_tokens": 8}}
        """);

    ProviderResponse response = provider().call(request(List.of(new Message(Role.USER, "...", List.of())),
        List.of(), null, null, List.of()));

    assertThat(response.stopReason()).isEqualTo("refusal");
    assertThat(response.providerStopReason()).isEqualTo("refusal");
  }

  @Test
  void promptCachingMarksToolsSystemAndPrefixAndSplitsTheUsage() throws Exception {
    // the first call writes the cache (1-hour TTL), the usage's cache_creation says so
    answer("""
        {"id": "msg_05", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "First."}], "stop_reason": "end_turn", "stop_sequence": null,
         "usage": {"input_tokens": 21, "cache_creation_input_tokens": 1880, "cache_read_input_tokens": 0,
                   "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1880},
                   "output_tokens": 393}}
        """);
    List<Message> conversation = List.of(new Message(Role.USER, "Here is the contract: ...", List.of()),
        new Message(Role.ASSISTANT, "Read it.", List.of()), new Message(Role.USER, "What is clause 7?", List.of()));
    ProviderRequest cached = new ProviderRequest("r-1", "claude-sonnet-4-5-20250929", "You review contracts.",
        conversation, 1024, null, 42, Duration.ofSeconds(5), 1, List.of(weather()), null, null, List.of(), "1h", true);

    ProviderResponse write = provider().call(cached);

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"system": [{"type": "text", "text": "You review contracts.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
         "tools": [{"name": "get_weather", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
         "messages": [{"role": "user", "content": "Here is the contract: ..."},
                      {"role": "assistant", "content": [{"type": "text", "text": "Read it.",
                                                         "cache_control": {"type": "ephemeral", "ttl": "1h"}}]},
                      {"role": "user", "content": "What is clause 7?"}]}
        """, true, true)));
    assertThat(write.inputTokens()).isEqualTo(21 + 1880);
    assertThat(write.cachedInputTokens()).isZero();
    assertThat(write.cacheWriteTokens()).isZero();
    assertThat(write.cacheWrite1hTokens()).isEqualTo(1880);

    // the next call reads it
    WIREMOCK.resetAll();
    answer("""
        {"id": "msg_06", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "Second."}], "stop_reason": "end_turn", "stop_sequence": null,
         "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1880,
                   "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                   "output_tokens": 40}}
        """);
    ProviderResponse read = provider().call(cached.withCall(2));
    assertThat(read.inputTokens()).isEqualTo(25 + 1880);
    assertThat(read.cachedInputTokens()).isEqualTo(1880);
    assertThat(read.cacheWriteTokens() + read.cacheWrite1hTokens()).isZero();
  }
}
