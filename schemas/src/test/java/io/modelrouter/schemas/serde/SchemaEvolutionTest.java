package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

/** Schemas evolve BACKWARD-compatibly: new fields have defaults, so old and new writers and readers interoperate. */
class SchemaEvolutionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOPIC = "llm.requests";

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://evolution");

  @Test
  void currentReaderReadsRecordFromOlderWriterWithoutANewField() throws Exception {
    // Given an older producer whose InferenceRequest schema (v1) has no metadata field
    Schema v1 = withoutField(InferenceRequest.getClassSchema(), "metadata");
    InferenceRequest original = SampleRecords.request("req-9", "team-b");
    GenericRecord oldRecord = project(original, v1);

    // When it writes, and today's specific reader (v2) reads
    byte[] bytes = new AvroSerializer<GenericRecord>(registry, config, false).serialize(TOPIC, oldRecord);
    InferenceRequest read = new AvroDeserializer<>(registry, config, InferenceRequest.class).deserialize(TOPIC, bytes);

    // Then every common field is carried over and the new field takes its default
    assertThat(read.getRequestId()).isEqualTo("req-9");
    assertThat(read.getMessages()).isEqualTo(original.getMessages());
    assertThat(read.getDeadline()).isEqualTo(original.getDeadline());
    assertThat(read.getMetadata()).isEmpty();
  }

  @Test
  void currentReaderReadsRecordFromNewerWriterWithAnExtraField() throws Exception {
    // Given a newer producer whose schema (v3) adds costCenter with a default
    Schema v3 = withExtraField(InferenceRequest.getClassSchema(), "costCenter", "\"string\"", "\"none\"");
    GenericRecord newRecord = project(SampleRecords.request("req-10", "team-c"), v3);
    newRecord.put("costCenter", "cc-17");

    // When it writes, and today's reader reads
    byte[] bytes = new AvroSerializer<GenericRecord>(registry, config, false).serialize(TOPIC, newRecord);
    InferenceRequest read = new AvroDeserializer<>(registry, config, InferenceRequest.class).deserialize(TOPIC, bytes);

    // Then the extra field is skipped and the rest is intact
    assertThat(read).isEqualTo(SampleRecords.request("req-10", "team-c"));
  }

  @Test
  void registryAcceptsEachNewVersionAsBackwardCompatible() throws Exception {
    Schema v1 = withoutField(InferenceRequest.getClassSchema(), "metadata");
    registry.register("evolving-value", v1);
    int v2 = registry.register("evolving-value", InferenceRequest.getClassSchema());
    assertThat(registry.latest("evolving-value").id()).isEqualTo(v2);
    assertThat(registry.latest("evolving-value").version()).isEqualTo(2);
  }

  @Test
  void useLatestVersionWritesWithTheSubjectsLatestSchema() throws Exception {
    // Given the subject's latest version is a newer schema than the producer's class
    Schema v3 = withExtraField(InferenceRequest.getClassSchema(), "costCenter", "\"string\"", "\"none\"");
    registry.register(TOPIC + "-value", InferenceRequest.getClassSchema());
    int latestId = registry.register(TOPIC + "-value", v3);
    AvroSerdeConfig useLatest = AvroSerdeConfig.from(Map.of(
        AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://evolution",
        AvroSerdeConfig.USE_LATEST_VERSION, "true"));

    // When a record of the class is written
    byte[] bytes = new AvroSerializer<InferenceRequest>(registry, useLatest, false)
        .serialize(TOPIC, SampleRecords.request("req-11", "team-a"));

    // Then it carries the latest id and decodes with the latest schema, the new field at its default
    assertThat(WireFormat.schemaId(TOPIC, bytes)).isEqualTo(latestId);
    GenericRecord generic = (GenericRecord) new AvroDeserializer<>(registry, useLatest, null).deserialize(TOPIC, bytes);
    assertThat(generic.get("costCenter")).hasToString("none");
    assertThat(generic.get("requestId")).hasToString("req-11");
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaIsAClearError() {
    AvroSerdeConfig noRegister = AvroSerdeConfig.from(Map.of(
        AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://evolution",
        AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"));
    AvroSerializer<InferenceRequest> serializer = new AvroSerializer<>(registry, noRegister, false);
    assertThatThrownBy(() -> serializer.serialize(TOPIC, SampleRecords.request("r", "t")))
        .isInstanceOf(SchemaSerdeException.class)
        .hasMessageContaining("subject llm.requests-value")
        .hasMessageContaining("not found");
  }

  @Test
  void withoutAutoRegisterARegisteredSchemaIsLookedUp() {
    int id = registry.register(TOPIC + "-value", InferenceRequest.getClassSchema());
    AvroSerdeConfig noRegister = AvroSerdeConfig.from(Map.of(
        AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://evolution",
        AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"));
    byte[] bytes = new AvroSerializer<InferenceRequest>(registry, noRegister, false)
        .serialize(TOPIC, SampleRecords.request("r", "t"));
    assertThat(WireFormat.schemaId(TOPIC, bytes)).isEqualTo(id);
  }

  static Schema withoutField(Schema schema, String field) throws Exception {
    ObjectNode node = (ObjectNode) JSON.readTree(schema.toString());
    ArrayNode fields = (ArrayNode) node.get("fields");
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).get("name").asText().equals(field)) {
        fields.remove(i);
        break;
      }
    }
    return new Schema.Parser().parse(node.toString());
  }

  static Schema withExtraField(Schema schema, String name, String typeJson, String defaultJson) throws Exception {
    ObjectNode node = (ObjectNode) JSON.readTree(schema.toString());
    ((ArrayNode) node.get("fields")).add(JSON.readTree(
        "{\"name\":\"" + name + "\",\"type\":" + typeJson + ",\"default\":" + defaultJson + "}"));
    return new Schema.Parser().parse(node.toString());
  }

  /** The record's values copied by field name into a generic record of another (compatible) schema. */
  static GenericRecord project(InferenceRequest record, Schema target) throws Exception {
    byte[] bytes = new AvroSerializer<InferenceRequest>(new InMemorySchemaRegistryClient(),
        AvroSerdeConfig.forUrl("mock://scratch"), false).serialize("scratch", record);
    GenericRecord generic = (GenericRecord) new org.apache.avro.generic.GenericDatumReader<Object>(
        InferenceRequest.getClassSchema(), InferenceRequest.getClassSchema(), GenericData.get())
        .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
    GenericRecord out = new GenericData.Record(target);
    for (Schema.Field field : target.getFields()) {
      Schema.Field own = InferenceRequest.getClassSchema().getField(field.name());
      out.put(field.name(), own == null ? GenericData.get().getDefaultValue(field) : generic.get(own.name()));
    }
    return out;
  }
}
