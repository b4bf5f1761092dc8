package io.modelrouter.router.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.prompt.PromptText;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.schemas.serde.AvroSerializer;
import io.modelrouter.schemas.serde.MalformedPayloadException;
import io.modelrouter.schemas.serde.WireFormat;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** The router's straight-line codec against Avro's own reader and writer, byte for byte and field for field. */
class RequestCodecTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final Topics topics = Topics.create(TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://encoder")).client(registry).build());
  private final RequestCodec encoder = new RequestCodec(topics);
  private final RoutingDecision decision = SampleRecords.decision();

  @Test
  void concatenatesTheRequestBytesAndTheDecisionIntoARoutedRequest() {
    InferenceRequest request = SampleRecords.request("r-1", "team-a");
    byte[] requestBytes = topics.requests().serializeValue(request);

    byte[] routed = encoder.encode(requestBytes, request, decision);

    assertThat(topics.routed().deserializeValue(routed)).isEqualTo(new RoutedRequest(request, decision));
    assertThat(routed).isEqualTo(topics.routed().serializeValue(new RoutedRequest(request, decision)));
  }

  @Test
  void aRequestWithBytesAfterTheRecordIsMalformedRatherThanCopiedIntoACorruptRoutedRecord() {
    // found by RequestRecordFuzzTest (seed 20261206): the routed record is the request's bytes followed by the
    // decision's, so trailing bytes were copied along and the decision misread downstream
    byte[] valid = topics.requests().serializeValue(SampleRecords.request("r-1", "team-a"));
    byte[] trailing = java.util.Arrays.copyOf(valid, valid.length + 3);
    assertThatThrownBy(() -> encoder.decode(trailing, new io.modelrouter.schemas.prompt.PromptText()))
        .isInstanceOf(io.modelrouter.schemas.serde.MalformedPayloadException.class)
        .hasMessageContaining("3 bytes after the end of the record");
    // and the serde, which reads any other writer schema, refuses them too
    assertThatThrownBy(() -> topics.requests().deserializeValue(trailing))
        .isInstanceOf(io.modelrouter.schemas.serde.MalformedPayloadException.class)
        .hasMessageContaining("bytes left after the end of the record");
  }

  @Test
  void reEncodesARequestWrittenWithAnotherSchemaVersion() throws Exception {
    // Given a request written by a newer producer whose schema has an extra field
    ObjectNode json = (ObjectNode) new ObjectMapper().readTree(InferenceRequest.getClassSchema().toString());
    ((ArrayNode) json.get("fields")).addObject().put("name", "costCenter").put("type", "string").put("default", "x");
    Schema newer = new Schema.Parser().parse(json.toString());
    InferenceRequest request = SampleRecords.request("r-2", "team-a");
    byte[] ours = topics.requests().serializeValue(request);
    GenericRecord generic = new GenericData.Record(newer);
    InferenceRequest decoded = topics.requests().deserializeValue(ours);
    for (Schema.Field field : newer.getFields()) {
      generic.put(field.name(), field.name().equals("costCenter") ? "cc-9" : null);
    }
    // (fill the common fields through a round trip of our own bytes decoded generically)
    GenericRecord asGeneric = (GenericRecord) new io.modelrouter.schemas.serde.AvroDeserializer<>(registry,
        AvroSerdeConfig.forUrl("mock://encoder"), null).deserialize(topics.requests().name(), ours);
    for (Schema.Field field : InferenceRequest.getClassSchema().getFields()) {
      generic.put(field.name(), asGeneric.get(field.name()));
    }
    byte[] newerBytes = new AvroSerializer<GenericRecord>(registry, AvroSerdeConfig.forUrl("mock://encoder"), false)
        .serialize(topics.requests().name(), generic);
    assertThat(WireFormat.schemaId("t", newerBytes)).isNotEqualTo(WireFormat.schemaId("t", ours));

    byte[] routed = encoder.encode(newerBytes, decoded, decision);

    assertThat(topics.routed().deserializeValue(routed)).isEqualTo(new RoutedRequest(decoded, decision));
  }

  @Test
  void theStraightLineCodeFollowsTheGeneratedSchemas() {
    // If this fails, InferenceRequest.avsc or RoutingDecision.avsc changed: update RequestCodec.read / write to the
    // new field order, then its fingerprints (the values below).
    assertThat(RequestCodec.fingerprint(InferenceRequest.getClassSchema()))
        .as("InferenceRequest's fingerprint").isEqualTo(RequestCodec.REQUEST_FINGERPRINT);
    assertThat(RequestCodec.fingerprint(RoutingDecision.getClassSchema()))
        .as("RoutingDecision's fingerprint").isEqualTo(RequestCodec.DECISION_FINGERPRINT);
    assertThat(RequestCodec.REQUEST_FAST).isTrue();
    assertThat(RequestCodec.DECISION_FAST).isTrue();
  }

  @Test
  void decodesEveryRequestAsAvroDoesAndFindsItsPromptTexts() {
    Random random = new Random(11);
    PromptText text = new PromptText();
    for (int i = 0; i < 2_000; i++) {
      InferenceRequest request = randomRequest(random, i);
      byte[] bytes = topics.requests().serializeValue(request);

      InferenceRequest decoded = encoder.decode(bytes, text);

      assertThat(decoded).isEqualTo(topics.requests().deserializeValue(bytes)).isEqualTo(request);
      List<String> texts = new ArrayList<>();
      for (int t = 0; t < text.count(); t++) {
        texts.add(new String(bytes, text.offset(t), text.length(t), StandardCharsets.UTF_8));
      }
      // every text the model reads, in schema order: each message's content and its blocks' texts and tool
      // arguments, the system prompt, each tool's name, description and schema, the response format's schema
      List<String> expected = new ArrayList<>();
      for (Message message : request.getMessages()) {
        expected.add(message.getContent());
        for (ContentBlock block : message.getBlocks()) {
          if (block.getText() != null) {
            expected.add(block.getText());
          }
          if (block.getToolArguments() != null) {
            expected.add(block.getToolArguments());
          }
        }
      }
      if (request.getSystemPrompt() != null) {
        expected.add(request.getSystemPrompt());
      }
      for (Tool tool : request.getTools()) {
        expected.add(tool.getName());
        if (tool.getDescription() != null) {
          expected.add(tool.getDescription());
        }
        expected.add(tool.getInputSchema());
      }
      if (request.getResponseFormat() != null) {
        expected.add(request.getResponseFormat().getJsonSchema());
      }
      assertThat(texts).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void writesEveryDecisionAsAvroDoes() {
    Random random = new Random(12);
    InferenceRequest request = SampleRecords.request("r-3", "team-a");
    byte[] requestBytes = topics.requests().serializeValue(request);
    for (int i = 0; i < 2_000; i++) {
      RoutingDecision decision = randomDecision(random);

      byte[] routed = encoder.encode(requestBytes, request, decision);

      assertThat(routed).isEqualTo(topics.routed().serializeValue(new RoutedRequest(request, decision)));
    }
  }

  @Test
  void aTruncatedOrCorruptRequestIsAMalformedPayloadNotAnOutOfMemoryError() {
    byte[] bytes = topics.requests().serializeValue(SampleRecords.request("r-4", "team-a"));
    PromptText text = new PromptText();
    for (int cut = WireFormat.HEADER_SIZE; cut < bytes.length; cut += 7) {
      byte[] truncated = java.util.Arrays.copyOf(bytes, cut);
      assertThatThrownBy(() -> encoder.decode(truncated, text)).isInstanceOf(MalformedPayloadException.class);
    }
    // the requestId's length prefix says 2^62 bytes
    byte[] huge = java.util.Arrays.copyOf(bytes, bytes.length);
    huge[WireFormat.HEADER_SIZE + 1] = (byte) 0xfe;
    huge[WireFormat.HEADER_SIZE + 2] = (byte) 0xff;
    assertThatThrownBy(() -> encoder.decode(huge, text)).isInstanceOf(MalformedPayloadException.class)
        .hasMessageContaining("does not decode");
  }

  private static InferenceRequest randomRequest(Random random, int i) {
    List<Message> messages = new ArrayList<>();
    int count = random.nextInt(4);
    for (int m = 0; m < count; m++) {
      messages.add(new Message(Role.values()[random.nextInt(Role.values().length)], text(random, 600),
          randomBlocks(random)));
    }
    List<Tool> tools = new ArrayList<>();
    for (int t = random.nextInt(3) == 0 ? random.nextInt(4) : 0; t > 0; t--) {
      tools.add(new Tool(text(random, 12), maybe(random, text(random, 80)), "{\"type\":\"object\"}"));
    }
    List<String> stops = new ArrayList<>();
    for (int t = random.nextInt(3) == 0 ? random.nextInt(3) : 0; t > 0; t--) {
      stops.add(text(random, 6));
    }
    Map<String, String> metadata = new HashMap<>();
    for (int m = random.nextInt(3); m > 0; m--) {
      metadata.put(text(random, 10), text(random, 20));
    }
    return new InferenceRequest(maybe(random, "req-" + i), maybe(random, "team-" + random.nextInt(9)),
        maybe(random, text(random, 12)), maybe(random, text(random, 12)), maybe(random, "codeReview"),
        maybe(random, "pro"), messages, maybe(random, text(random, 300)),
        random.nextBoolean() ? null : random.nextInt(100_000) - 50, random.nextBoolean() ? null : random.nextDouble() * 2,
        random.nextBoolean() ? "auto" : text(random, 8), Priority.values()[random.nextInt(2)],
        random.nextBoolean() ? null : Instant.ofEpochMilli(random.nextLong(4_000_000_000_000L)), metadata,
        random.nextBoolean() ? null : Instant.ofEpochMilli(random.nextLong(4_000_000_000_000L)), tools,
        random.nextInt(3) == 0 ? new ToolChoice(ToolChoiceMode.values()[random.nextInt(4)], maybe(random, text(random, 9)))
            : null,
        random.nextInt(3) == 0 ? new ResponseFormat(text(random, 9), "{\"type\":\"object\",\"x\":\"" + text(random, 30)
            .replace("\\", "").replace("\"", "") + "\"}") : null,
        stops);
  }

  private static List<ContentBlock> randomBlocks(Random random) {
    List<ContentBlock> blocks = new ArrayList<>();
    for (int b = random.nextInt(3) == 0 ? random.nextInt(4) : 0; b > 0; b--) {
      byte[] data = new byte[random.nextInt(64)];
      random.nextBytes(data);
      blocks.add(new ContentBlock(BlockType.values()[random.nextInt(BlockType.values().length)],
          maybe(random, text(random, 200)), maybe(random, "image/png"),
          random.nextBoolean() ? null : java.nio.ByteBuffer.wrap(data), maybe(random, "https://example.com/a.png"),
          maybe(random, text(random, 10)), maybe(random, text(random, 10)), maybe(random, "{\"a\":1}"),
          random.nextBoolean()));
    }
    return blocks;
  }

  private static RoutingDecision randomDecision(Random random) {
    List<ModelRef> fallbacks = new ArrayList<>();
    for (int f = random.nextInt(4); f > 0; f--) {
      fallbacks.add(new ModelRef(text(random, 20), text(random, 10), text(random, 30)));
    }
    return new RoutingDecision(text(random, 10), text(random, 10), text(random, 20), text(random, 30),
        random.nextInt(), random.nextBoolean() ? null : random.nextDouble(), fallbacks, text(random, 200),
        random.nextDouble(), random.nextInt(1 << 20), random.nextInt(1 << 16), random.nextLong(),
        BudgetState.values()[random.nextInt(BudgetState.values().length)], text(random, 8), random.nextLong(),
        random.nextBoolean() ? null : Instant.ofEpochMilli(random.nextLong(4_000_000_000_000L)),
        random.nextBoolean() ? null : text(random, 24),
        random.nextBoolean() ? null : new ModelRef(text(random, 20), text(random, 10), text(random, 30)),
        random.nextBoolean() ? null : (random.nextBoolean() ? "5m" : "1h"), random.nextBoolean(),
        random.nextBoolean() ? 0L : random.nextLong(Long.MAX_VALUE), random.nextBoolean());
  }

  private static String maybe(Random random, String value) {
    return random.nextInt(5) == 0 ? null : value;
  }

  /** Text of up to {@code max} characters: ASCII, accents, CJK, emoji, empty. */
  private static String text(Random random, int max) {
    String alphabet = "abcdefghij KLMNOP 0123456789 \n\t`/.éüß中文";
    StringBuilder sb = new StringBuilder();
    int length = random.nextInt(max + 1);
    while (sb.length() < length) {
      if (random.nextInt(50) == 0) {
        sb.appendCodePoint(0x1F600 + random.nextInt(50));
      } else {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return sb.toString();
  }
}
