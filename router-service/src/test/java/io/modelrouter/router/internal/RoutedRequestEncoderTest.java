package io.modelrouter.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.schemas.serde.AvroSerializer;
import io.modelrouter.schemas.serde.WireFormat;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class RoutedRequestEncoderTest {
  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final Topics topics = Topics.create(TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://encoder")).client(registry).build());
  private final RoutedRequestEncoder encoder = new RoutedRequestEncoder(topics);
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
}
