package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.NOW;
import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Requests beyond plain text: their checks, the capabilities they need, and what their attachments cost. */
class ContentRoutingTest {
  private static final String WEATHER_SCHEMA = """
      {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}""";
  private final RoutingEngine engine = new RoutingEngine(new ComplexityEstimator(), LearnedRouter.shipped(),
      new RequestLimits(2, 100_000, 1, 100_000, 4, 2_000, 3));
  private final ModelCatalog catalog = ModelCatalog.of(DefaultPolicies.catalogById());

  private RouteOutcome route(InferenceRequest request) {
    return engine.route(request, CompiledPolicy.compile(DefaultPolicies.hybridRoutingPolicy()), catalog,
        BudgetStatus.NORMAL, NOW);
  }

  private static RoutingDecision routed(RouteOutcome outcome) {
    assertThat(outcome).isInstanceOf(RouteOutcome.Routed.class);
    return ((RouteOutcome.Routed) outcome).decision();
  }

  private static RouteOutcome.Rejected rejected(RouteOutcome outcome) {
    assertThat(outcome).isInstanceOf(RouteOutcome.Rejected.class);
    return (RouteOutcome.Rejected) outcome;
  }

  static ByteBuffer png(int width, int height) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
      return ByteBuffer.wrap(out.toByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static ContentBlock image(ByteBuffer data) {
    return ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/png").setData(data).build();
  }

  private static InferenceRequest.Builder withBlocks(String taskType, String prompt, ContentBlock... blocks) {
    return request(taskType, prompt).setMessages(List.of(new Message(Role.USER, prompt, List.of(blocks))));
  }

  private static Tool weatherTool() {
    return new Tool("get_weather", "The weather in a city", WEATHER_SCHEMA);
  }

  @Test
  void anImageRequestForATextOnlyModelMovesToTheFirstFallbackWithImages() {
    InferenceRequest request = withBlocks("hookActions", "What is in this picture?", image(png(64, 64)))
        .setModel("local").build();

    RoutingDecision decision = routed(route(request));

    // local is llama-3.1-8b (tools and structured output, no images); its fallback claude-haiku-4-5 sees images
    assertThat(decision.getModel()).isEqualTo("claude-haiku-4-5");
    assertThat(decision.getReason()).contains("llama-3.1-8b lacks images (messages[0].blocks[0]) → claude-haiku-4-5");
    assertThat(((RouteOutcome.Routed) route(request)).kind()).isEqualTo(RoutingStep.Kind.CAPABILITY);
  }

  @Test
  void aRequestNoModelOfTheChainCanServeIsRejectedNamingTheCapabilityAndTheField() {
    // a team's policy whose local profile has no fallback
    io.modelrouter.avro.RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.getProfiles().get("local").setFallbacks(List.of());
    InferenceRequest request = withBlocks("interactiveChat", "Describe it.", image(png(8, 8)))
        .setModel("local").build();

    RouteOutcome.Rejected rejected = rejected(engine.route(request, CompiledPolicy.compile(policy), catalog,
        BudgetStatus.NORMAL, NOW));

    assertThat(rejected.code()).isEqualTo("UNSUPPORTED_CAPABILITY");
    assertThat(rejected.field()).isEqualTo("messages[0].blocks[0]");
    assertThat(rejected.message()).contains("needs images").contains("(llama-3.1-8b) has images");
  }

  @Test
  void fallbacksThatLackANeededCapabilityLeaveTheChain() {
    InferenceRequest request = request("taskExecution", "List the files changed, as JSON.")
        .setModel("primary")
        .setResponseFormat(new ResponseFormat("files", "{\"type\":\"object\",\"properties\":{\"files\":"
            + "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}}"))
        .build();

    RoutingDecision decision = routed(route(request));

    // primary: claude-sonnet-4-5, then bedrock-claude-sonnet-4-5, kimi-k2, gpt-4.1-mini; only the last has
    // structured output among the fallbacks
    assertThat(decision.getModel()).isEqualTo("claude-sonnet-4-5");
    assertThat(decision.getFallbacks()).extracting(ModelRef::getModel).containsExactly("gpt-4.1-mini");
  }

  @Test
  void aToolRequestIsRoutedWithItsToolsAndTheirTextCounted() {
    InferenceRequest plain = request("interactiveChat", "What is the weather in Oslo?").build();
    InferenceRequest withTool = request("interactiveChat", "What is the weather in Oslo?")
        .setTools(List.of(weatherTool()))
        .setToolChoice(new ToolChoice(ToolChoiceMode.TOOL, "get_weather"))
        .build();

    int plainTokens = routed(route(plain)).getEstimatedInputTokens();
    int toolTokens = routed(route(withTool)).getEstimatedInputTokens();

    // the tool's name, description and schema are sent with every call: about 30 more tokens here
    assertThat(toolTokens - plainTokens).isBetween(20, 60);
  }

  @Test
  void anImagesTokensAreEstimatedFromItsSize() {
    InferenceRequest plain = request("interactiveChat", "What is in this picture?").build();
    InferenceRequest withImage = withBlocks("interactiveChat", "What is in this picture?", image(png(1000, 500)))
        .build();

    // 1000 x 500 px / 750 = 667 tokens (Anthropic's formula)
    assertThat(routed(route(withImage)).getEstimatedInputTokens() - routed(route(plain)).getEstimatedInputTokens())
        .isEqualTo(667);
  }

  @Test
  void aToolConversationRoundTripIsAccepted() {
    InferenceRequest request = request("interactiveChat", "What is the weather in Oslo?")
        .setMessages(List.of(
            new Message(Role.USER, "What is the weather in Oslo?", List.of()),
            new Message(Role.ASSISTANT, "", List.of(ContentBlock.newBuilder().setType(BlockType.TOOL_CALL)
                .setToolCallId("toolu_01").setToolName("get_weather").setToolArguments("{\"city\":\"Oslo\"}")
                .build())),
            new Message(Role.TOOL, "", List.of(ContentBlock.newBuilder().setType(BlockType.TOOL_RESULT)
                .setToolCallId("toolu_01").setText("4 °C, light rain").build()))))
        .setTools(List.of(weatherTool()))
        .build();

    assertThat(routed(route(request)).getModel()).isEqualTo("claude-haiku-4-5");
  }

  @Test
  void invalidContentIsRejectedNamingTheField() {
    ContentBlock gif = image(png(4, 4));
    gif.setMediaType("image/tiff");
    expectInvalid(withBlocks("interactiveChat", "x", gif).build(), "messages[0].blocks[0].mediaType",
        "must be one of");

    ContentBlock both = image(png(4, 4));
    both.setUrl("https://example.com/a.png");
    expectInvalid(withBlocks("interactiveChat", "x", both).build(), "messages[0].blocks[0].data", "not both");

    expectInvalid(withBlocks("interactiveChat", "x", image(ByteBuffer.allocate(100_001))).build(),
        "messages[0].blocks[0].data", "at most 100,000");

    expectInvalid(withBlocks("interactiveChat", "x", image(png(4, 4)), image(png(4, 4)), image(png(4, 4))).build(),
        "messages[0].blocks[2]", "at most 2");

    ContentBlock textDocByUrl = ContentBlock.newBuilder().setType(BlockType.DOCUMENT).setMediaType("text/plain")
        .setUrl("https://example.com/a.txt").build();
    expectInvalid(withBlocks("interactiveChat", "x", textDocByUrl).build(), "messages[0].blocks[0].url",
        "must be sent as data");

    expectInvalid(withBlocks("interactiveChat", "x",
        ContentBlock.newBuilder().setType(BlockType.UNSUPPORTED).build()).build(), "messages[0].blocks[0].type",
        "does not know");

    expectInvalid(withBlocks("interactiveChat", "x", ContentBlock.newBuilder().setType(BlockType.TOOL_RESULT)
        .setToolCallId("toolu_9").setText("done").build()).build(), "messages[0].blocks[0].toolCallId",
        "answers no TOOL_CALL");

    expectInvalid(withBlocks("interactiveChat", "x", ContentBlock.newBuilder().setType(BlockType.TOOL_CALL)
        .setToolCallId("c1").setToolName("get_weather").build()).build(), "messages[0].blocks[0].type",
        "belongs in an ASSISTANT message");
  }

  @Test
  void invalidToolsAndSchemasAreRejectedNamingTheField() {
    expectInvalid(request("interactiveChat", "x").setTools(List.of(new Tool("get weather", null, WEATHER_SCHEMA)))
        .build(), "tools[0].name", "a-z A-Z 0-9");
    expectInvalid(request("interactiveChat", "x").setTools(List.of(weatherTool(), weatherTool())).build(),
        "tools[1].name", "defined twice");
    expectInvalid(request("interactiveChat", "x").setTools(List.of(new Tool("t", null, "{\"type\": \"object\","))).build(),
        "tools[0].inputSchema", "not a JSON object");
    expectInvalid(request("interactiveChat", "x").setTools(List.of(new Tool("t", null, "{\"type\": \"string\"}")))
        .build(), "tools[0].inputSchema", "must describe an object");
    // "required" must be an array of strings (the draft 2020-12 meta-schema)
    expectInvalid(request("interactiveChat", "x").setTools(List.of(new Tool("t", null,
        "{\"type\": \"object\", \"required\": \"city\"}"))).build(), "tools[0].inputSchema", "not a valid JSON Schema");
    expectInvalid(request("interactiveChat", "x").setTools(List.of(new Tool("t", null,
        "{\"type\": \"object\", \"description\": \"" + "x".repeat(2_000) + "\"}"))).build(), "tools[0].inputSchema",
        "at most 2,000");
    List<Tool> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(new Tool("t" + i, null, WEATHER_SCHEMA));
    }
    expectInvalid(request("interactiveChat", "x").setTools(five).build(), "tools", "at most 4");
    expectInvalid(request("interactiveChat", "x").setTools(List.of(weatherTool()))
        .setToolChoice(new ToolChoice(ToolChoiceMode.TOOL, "get_time")).build(), "toolChoice.toolName",
        "not one of the request's tools");
    expectInvalid(request("interactiveChat", "x").setToolChoice(new ToolChoice(ToolChoiceMode.ANY, null)).build(),
        "toolChoice.mode", "needs tools");
    expectInvalid(request("interactiveChat", "x").setResponseFormat(new ResponseFormat("answer", "[1, 2]")).build(),
        "responseFormat.jsonSchema", "not a JSON object");
    expectInvalid(request("interactiveChat", "x").setStopSequences(List.of("a", "b", "c", "d")).build(),
        "stopSequences", "at most 3");
  }

  private void expectInvalid(InferenceRequest request, String field, String reasonPart) {
    RouteOutcome.Rejected rejected = rejected(route(request));
    assertThat(rejected.code()).isEqualTo("INVALID_REQUEST");
    assertThat(rejected.field()).isEqualTo(field);
    assertThat(rejected.message()).contains(reasonPart);
  }

  @Test
  void aPolicysPromptCacheReachesTheDecisionAndIsNotedWhereTheModelCachesPrompts() {
    com.fasterxml.jackson.databind.node.ObjectNode json = io.modelrouter.schemas.policy.PolicyJson.toJson(
        DefaultPolicies.hybridRoutingPolicy());
    json.putObject("promptCache").put("ttl", "1h").put("conversation", true);
    io.modelrouter.avro.RoutingPolicy policy = io.modelrouter.schemas.policy.PolicyJson.parseRoutingPolicy("team-a",
        json, DefaultPolicies.catalogById());

    RoutingDecision decision = routed(engine.route(request("interactiveChat", "hi").build(),
        CompiledPolicy.compile(policy), catalog, BudgetStatus.NORMAL, NOW));

    assertThat(decision.getPromptCache()).isEqualTo("1h");
    assertThat(decision.getCacheConversation()).isTrue();
    assertThat(decision.getReason()).contains("prompt cache 1h");
    assertThat(io.modelrouter.schemas.policy.PolicyJson.toJson(policy).get("promptCache").get("ttl").asText())
        .isEqualTo("1h");
  }
}
