package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class WireFormatTest {

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://wire");

  @Test
  void writesMagicByteThenBigEndianSchemaIdThenAvroBinary() throws Exception {
    // Given a registry where another schema already holds id 1, so the record's schema gets id 2
    registry.register("other-value", SampleRecords.usage().getSchema());
    ModelSpec spec = SampleRecords.modelSpec();

    // When the record is serialized
    byte[] bytes = new AvroSerializer<ModelSpec>(registry, config, false).serialize("llm.models", spec);

    // Then the first five bytes are 0x00 and the id 2 in big-endian, followed by plain Avro binary
    assertThat(Arrays.copyOfRange(bytes, 0, 5)).containsExactly(0, 0, 0, 0, 2);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(expected, null);
    new SpecificDatumWriter<>(ModelSpec.class).write(spec, encoder);
    assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(expected.toByteArray());
    assertThat(WireFormat.schemaId("llm.models", bytes)).isEqualTo(2);
  }

  @Test
  void largeSchemaIdsUseAllFourBytes() {
    byte[] header = {0, 0x01, 0x02, 0x03, 0x04, 0};
    assertThat(WireFormat.schemaId("t", header)).isEqualTo(0x01020304);
  }

  @Test
  void rejectsWrongMagicByteNamingTheTopic() {
    byte[] bytes = {1, 0, 0, 0, 1, 2};
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, config, ModelSpec.class).deserialize("llm.models", bytes))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("Unknown magic byte 0x01")
        .hasMessageContaining("topic=llm.models")
        .satisfies(e -> assertThat(((SchemaSerdeException) e).isRetryable()).isFalse());
  }

  @Test
  void rejectsPayloadShorterThanTheHeader() {
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, config, ModelSpec.class)
        .deserialize("llm.models", new byte[] {0, 0}))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("shorter than the 5-byte");
  }

  @Test
  void rejectsUnknownSchemaIdNamingTopicAndId() {
    byte[] bytes = {0, 0, 0, 0x30, 0x39, 2};
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, config, ModelSpec.class).deserialize("llm.models", bytes))
        .isInstanceOf(UnknownSchemaIdException.class)
        .hasMessageContaining("12345")
        .hasMessageContaining("topic=llm.models")
        .satisfies(e -> assertThat(((UnknownSchemaIdException) e).schemaId()).isEqualTo(12345));
  }

  @Test
  void rejectsTruncatedAvroPayloadAsMalformed() {
    byte[] good = new AvroSerializer<ModelSpec>(registry, config, false).serialize("llm.models", SampleRecords.modelSpec());
    byte[] truncated = Arrays.copyOf(good, 12);
    assertThatThrownBy(() -> new AvroDeserializer<>(registry, config, ModelSpec.class).deserialize("llm.models", truncated))
        .isInstanceOf(MalformedPayloadException.class)
        .hasMessageContaining("schemaId=1");
  }

  @Test
  void nullStaysNullBothWays() {
    assertThat(new AvroSerializer<ModelSpec>(registry, config, false).serialize("t", null)).isNull();
    assertThat(new AvroDeserializer<>(registry, config, ModelSpec.class).deserialize("t", null)).isNull();
  }
}
