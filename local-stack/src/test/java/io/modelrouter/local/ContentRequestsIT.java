package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResponseCaching;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.serde.AvroSerializer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.imageio.ImageIO;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests beyond plain text, end to end through the router and the worker (simulated providers) on the embedded
 * broker and registry: a tool call, an image routed away from a text-only model, a structured answer, an invalid
 * JSON Schema answered REJECTED, and a request written with yesterday's schema still answered.
 */
@IntegrationTest
class ContentRequestsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CITY_SCHEMA = """
      {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1,
       "maximum": 7}}, "required": ["city", "days"]}""";

  private KafkaStack stack;
  private Topics topics;
  private TestServices services;
  private KafkaProducer<String, byte[]> producer;

  @BeforeEach
  void start(KafkaStack stack, @TempDir Path state) {
    this.stack = stack;
    String prefix = stack.uniqueName("content") + ".";
    topics = stack.createTopics(prefix, 2);
    services = new TestServices(stack, prefix, 2, state);
    RouterService router = services.router("r1", Map.of());
    services.worker(Map.of("worker.simulate", "all", "simulator.latency", "10"));
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);
  }

  @AfterEach
  void stop() throws Exception {
    producer.close();
    services.close();
  }

  private static InferenceRequest.Builder request(String id, String taskType, Message... messages) {
    return InferenceRequest.newBuilder().setRequestId(id).setTeamId("team-content").setTaskType(taskType)
        .setMessages(List.of(messages)).setModel("auto").setPriority(Priority.INTERACTIVE).setMetadata(Map.of());
  }

  private static Message user(String text, ContentBlock... blocks) {
    return new Message(Role.USER, text, List.of(blocks));
  }

  private void send(InferenceRequest request) throws Exception {
    producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
        topics.requests().serializeValue(request))).get();
  }

  private Map<String, InferenceResult> results(int count) {
    Map<String, InferenceResult> byId = new HashMap<>();
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
      stack.readCommitted(topics.results()).forEach(e -> byId.put(e.getValue().getRequestId(), e.getValue()));
      return byId.size() >= count;
    });
    return byId;
  }

  private static ByteBuffer png(int width, int height) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
    return ByteBuffer.wrap(out.toByteArray());
  }

  @Test
  void toolsImagesStructuredOutputInvalidSchemasAndOldClientsEndToEnd() throws Exception {
    send(request("tool-1", "interactiveChat", user("What will the weather be in Oslo this week?"))
        .setTools(List.of(new Tool("get_forecast", "The forecast for a city", CITY_SCHEMA)))
        .setToolChoice(new ToolChoice(ToolChoiceMode.TOOL, "get_forecast"))
        .setMetadata(Map.of("ticket", "INC-42")).build());
    send(request("image-1", "hookActions", user("What is in this screenshot?", ContentBlock.newBuilder()
        .setType(BlockType.IMAGE).setMediaType("image/png").setData(png(800, 600)).build()))
        .setModel("local").build());
    send(request("json-1", "taskExecution", user("Plan a trip: city and number of days, as JSON."))
        .setResponseFormat(new ResponseFormat("trip", CITY_SCHEMA)).build());
    send(request("bad-schema-1", "interactiveChat", user("Call the tool."))
        .setTools(List.of(new Tool("get_forecast", null, "{\"type\": \"object\", \"required\": \"city\"}"))).build());
    sendWithYesterdaysSchema("old-1");

    Map<String, InferenceResult> results = results(5);

    InferenceResult tool = results.get("tool-1");
    assertThat(tool.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(tool.getStopReason()).isEqualTo("tool_use");
    assertThat(tool.getMetadata()).containsEntry("ticket", "INC-42");
    assertThat(tool.getBlocks()).singleElement().satisfies(call -> {
      assertThat(call.getType()).isEqualTo(BlockType.TOOL_CALL);
      assertThat(call.getToolName()).isEqualTo("get_forecast");
      JsonNode arguments = JSON.readTree(call.getToolArguments());
      assertThat(arguments.get("city").isTextual()).isTrue();
      assertThat(arguments.get("days").asInt()).isBetween(1, 7);
    });

    InferenceResult image = results.get("image-1");
    assertThat(image.getStatus()).isEqualTo(ResultStatus.OK);
    // pinned to local (llama-3.1-8b, no images): answered by its first fallback that sees images
    assertThat(image.getModel()).isEqualTo("claude-haiku-4-5");
    assertThat(image.getRoutingReason()).contains("llama-3.1-8b lacks images");
    // 800 x 600 px = 640 tokens by Anthropic's formula, on top of the text
    assertThat(image.getUsage().getInputTokens()).isGreaterThan(640);

    InferenceResult json = results.get("json-1");
    assertThat(json.getStatus()).isEqualTo(ResultStatus.OK);
    JsonNode trip = JSON.readTree(json.getContent());
    assertThat(trip.get("city").isTextual()).isTrue();
    assertThat(trip.get("days").asInt()).isBetween(1, 7);

    InferenceResult bad = results.get("bad-schema-1");
    assertThat(bad.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(bad.getErrorCode()).isEqualTo("INVALID_REQUEST");
    assertThat(bad.getErrorMessage()).startsWith("tools[0].inputSchema: is not a valid JSON Schema");
    assertThat(recordsIn(topics.dlq().name())).isZero();

    InferenceResult old = results.get("old-1");
    assertThat(old.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(old.getBlocks()).singleElement().satisfies(b -> assertThat(b.getType()).isEqualTo(BlockType.TEXT));

    // When the team's policy turns the response cache on, a question the worker answered is answered again by the
    // router from the cache: same content, no provider call, no usage; another team still gets the worker
    RoutingPolicy cached = DefaultPolicies.routingPolicy();
    cached.setTeamId("team-content");
    cached.setVersion(1);
    cached.setResponseCache(new ResponseCaching(600, List.of(), false));
    producer.send(new ProducerRecord<>(topics.routingPolicies().name(), "team-content",
        topics.routingPolicies().serializeValue(cached))).get();
    Map<String, InferenceResult> seen = new HashMap<>();
    int[] n = {0};
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      String id = "policy-probe-" + n[0]++;
      send(request(id, "codeExplanation", user("Probe " + id)).build());
      stack.readCommitted(topics.results()).forEach(e -> seen.put(e.getValue().getRequestId(), e.getValue()));
      return seen.values().stream().anyMatch(r -> "team-content@1".equals(r.getPolicyVersion()));
    });
    InferenceRequest question = request("cache-1", "codeExplanation", user("What does a bulkhead limit?"))
        .setTemperature(0.0).build();
    send(question);
    InferenceResult first = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .until(() -> resultOf("cache-1"), r -> r != null);
    assertThat(first.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(first.getCachedFrom()).isNull();
    assertThat(first.getCostMicros()).isPositive();
    // (the router learns the answer from llm.results; a repeat sent before it has read it is routed and answered)
    int[] repeat = {1};
    InferenceResult again = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
      String id = "cache-" + ++repeat[0];
      send(InferenceRequest.newBuilder(question).setRequestId(id).setMetadata(Map.of("ticket", id)).build());
      InferenceResult r = await().atMost(Duration.ofSeconds(60)).until(() -> resultOf(id), x -> x != null);
      return r.getCachedFrom() != null ? r : null;
    }, r -> r != null);
    assertThat(again.getCachedFrom()).isEqualTo("cache-1");
    assertThat(again.getContent()).isEqualTo(first.getContent());
    assertThat(again.getCostMicros()).isZero();
    assertThat(again.getResponseCacheSavedMicros()).isEqualTo(first.getCostMicros());
    assertThat(again.getMetadata()).containsEntry("ticket", again.getRequestId());
    // its usage: not a provider call, no tokens, no cost, what the reused answer cost
    assertThat(stack.readCommitted(topics.usage()).stream().map(java.util.Map.Entry::getValue)
        .filter(u -> u.getRequestId().equals(again.getRequestId())).toList()).singleElement().satisfies(u -> {
          assertThat(u.getResponseCacheSavedMicros()).isEqualTo(first.getCostMicros());
          assertThat(u.getInputTokens() + u.getOutputTokens() + u.getCostMicros()).isZero();
        });
    send(InferenceRequest.newBuilder(question).setRequestId("other-team-1").setTeamId("team-other").build());
    InferenceResult other = await().atMost(Duration.ofSeconds(60)).until(() -> resultOf("other-team-1"),
        r -> r != null);
    assertThat(other.getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(other.getCachedFrom()).isNull();
    assertThat(other.getCostMicros()).isPositive();
  }

  private InferenceResult resultOf(String requestId) {
    return stack.readCommitted(topics.results()).stream().map(java.util.Map.Entry::getValue)
        .filter(r -> r.getRequestId().equals(requestId)).findFirst().orElse(null);
  }

  private long recordsIn(String topic) {
    Properties config = new Properties();
    config.put(org.apache.kafka.clients.consumer.ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(config,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      List<org.apache.kafka.common.TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** A request as yesterday's client wrote it: its own schema (no blocks, tools...) registered and used. */
  private void sendWithYesterdaysSchema(String id) throws Exception {
    Schema old;
    try (InputStream in = getClass().getResourceAsStream("/compat/InferenceRequest-2026-12-06.avsc")) {
      old = new Schema.Parser().parse(in);
    }
    GenericRecord message = new GenericData.Record(old.getField("messages").schema().getElementType());
    message.put("role", new GenericData.EnumSymbol(message.getSchema().getField("role").schema(), "USER"));
    message.put("content", "Explain what a circuit breaker does.");
    GenericRecord request = new GenericData.Record(old);
    request.put("requestId", id);
    request.put("teamId", "team-content");
    request.put("taskType", "codeExplanation");
    request.put("messages", List.of(message));
    request.put("model", "auto");
    request.put("priority", new GenericData.EnumSymbol(old.getField("priority").schema(), "INTERACTIVE"));
    request.put("metadata", Map.of());
    byte[] bytes = new AvroSerializer<GenericRecord>(topics.config().client(), topics.config().serde(), false)
        .serialize(topics.requests().name(), request);
    producer.send(new ProducerRecord<>(topics.requests().name(), "team-content", bytes)).get();
  }
}
