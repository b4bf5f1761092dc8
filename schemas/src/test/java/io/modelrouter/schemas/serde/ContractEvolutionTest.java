package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract as it was on 2026-12-06, before requests carried blocks, tools and response formats
 * ({@code src/test/resources/compat}, written from the classes of that day), is an older writer today's readers
 * read, and today's schemas are BACKWARD-compatible successors the registry accepts.
 */
class ContractEvolutionTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://contract");

  private static Schema before(String name) throws Exception {
    try (InputStream in = ContractEvolutionTest.class.getResourceAsStream("/compat/" + name + "-2026-12-06.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  @Test
  void aRequestWrittenByYesterdaysClientReadsWithEveryNewFieldAtItsDefault() throws Exception {
    Schema old = before("InferenceRequest");
    GenericRecord message = new GenericData.Record(old.getField("messages").schema().getElementType());
    message.put("role", new GenericData.EnumSymbol(message.getSchema().getField("role").schema(), "USER"));
    message.put("content", "Summarise the incident report.");
    GenericRecord request = new GenericData.Record(old);
    request.put("requestId", "req-old-1");
    request.put("teamId", "team-a");
    request.put("taskType", "codeExplanation");
    request.put("messages", List.of(message));
    request.put("model", "auto");
    request.put("priority", new GenericData.EnumSymbol(old.getField("priority").schema(), "INTERACTIVE"));
    request.put("metadata", Map.of("ticket", "INC-7"));

    byte[] bytes = new AvroSerializer<GenericRecord>(registry, config, false).serialize("llm.requests", request);
    InferenceRequest read = new AvroDeserializer<>(registry, config, InferenceRequest.class)
        .deserialize("llm.requests", bytes);

    assertThat(read.getRequestId()).isEqualTo("req-old-1");
    assertThat(read.getMessages()).hasSize(1);
    assertThat(read.getMessages().get(0).getContent()).isEqualTo("Summarise the incident report.");
    assertThat(read.getMessages().get(0).getBlocks()).isEmpty();
    assertThat(read.getTools()).isEmpty();
    assertThat(read.getToolChoice()).isNull();
    assertThat(read.getResponseFormat()).isNull();
    assertThat(read.getStopSequences()).isEmpty();
    assertThat(read.getMetadata()).containsEntry("ticket", "INC-7");
  }

  @Test
  void aResultWrittenTodayReadsWithYesterdaysSchemaAsAnOldClientWould() throws Exception {
    Schema old = before("InferenceResult");
    InferenceResult result = InferenceResult.newBuilder().setRequestId("r").setTeamId("t")
        .setUsage(new io.modelrouter.avro.TokenUsage(10L, 5L, 0L, 0L, 0L, false)).setContent("{\"ok\":true}")
        .setStopReason("tool_use").setProviderStopReason("tool_use")
        .setBlocks(List.of(io.modelrouter.avro.ContentBlock.newBuilder()
            .setType(io.modelrouter.avro.BlockType.TOOL_CALL).setToolCallId("toolu_1").setToolName("f")
            .setToolArguments("{}").setData(ByteBuffer.allocate(0)).build()))
        .setMetadata(Map.of("k", "v")).build();
    byte[] bytes = new AvroSerializer<InferenceResult>(registry, config, false).serialize("llm.results", result);
    byte[] body = java.util.Arrays.copyOfRange(bytes, 5, bytes.length);

    GenericRecord read = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(InferenceResult.getClassSchema(),
        old).read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(body, null));

    assertThat(read.get("requestId")).hasToString("r");
    assertThat(read.get("stopReason")).hasToString("tool_use");
    assertThat(read.get("content")).hasToString("{\"ok\":true}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"InferenceRequest", "RoutedRequest", "InferenceResult", "ModelSpec"})
  void todaysSchemaIsABackwardCompatibleSuccessorOfYesterdays(String name) throws Exception {
    Map<String, Schema> today = Map.of("InferenceRequest", InferenceRequest.getClassSchema(),
        "RoutedRequest", RoutedRequest.getClassSchema(), "InferenceResult", InferenceResult.getClassSchema(),
        "ModelSpec", ModelSpec.getClassSchema());
    registry.register("evolution-" + name, before(name));

    // the in-memory registry enforces BACKWARD as Confluent's does, and refuses an incompatible version
    int id = registry.register("evolution-" + name, today.get(name));

    assertThat(registry.latest("evolution-" + name).id()).isEqualTo(id);
    assertThat(registry.latest("evolution-" + name).version()).isEqualTo(2);
  }
}
