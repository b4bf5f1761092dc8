package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * A few bytes that claim a 2 GB string or two billion items must be a malformed payload, not an allocation of
 * gigabytes (an OutOfMemoryError ends a stream thread or the worker loop instead of a DLQ record).
 */
class BoundedDecoderTest {
  private static final long HUGE = Integer.MAX_VALUE - 16;
  private static final Schema BYTES_AND_MAP = new Schema.Parser().parse("""
      {"type": "record", "name": "Blob", "namespace": "io.modelrouter.test", "fields": [
        {"name": "data", "type": "bytes"},
        {"name": "tags", "type": {"type": "map", "values": "string"}}]}""");

  private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  private final AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://bounded");

  @Test
  void refusesAStringLongerThanThePayloadAsMalformed() throws IOException {
    // Given our header and schema id, then a request id whose length prefix claims 2 GB
    byte[] payload = payload(requestSchemaId(), encoder -> {
      encoder.writeIndex(1);
      encoder.writeLong(HUGE);
    });

    // Then it is malformed, saying what the bytes claimed
    assertThatThrownBy(() -> requests().deserialize("llm.requests", payload))
        .isInstanceOf(MalformedPayloadException.class)
        .hasMessageContaining("string of " + HUGE + " bytes, but only 3 bytes are left");
  }

  @Test
  void refusesAnArrayBlockWithMoreItemsThanBytesLeftAsMalformed() throws IOException {
    // Given a request whose six leading optional fields are null and whose messages claim two billion entries
    byte[] payload = payload(requestSchemaId(), encoder -> {
      for (int i = 0; i < 6; i++) {
        encoder.writeIndex(0);
      }
      encoder.writeLong(HUGE);
    });

    assertThatThrownBy(() -> requests().deserialize("llm.requests", payload))
        .isInstanceOf(MalformedPayloadException.class)
        .hasMessageContaining("array block of " + HUGE + " items");
  }

  @Test
  void refusesHugeBytesAndMapsAsMalformed() throws IOException {
    int id = registry.register("blobs-value", BYTES_AND_MAP);
    AvroDeserializer<GenericRecord> blobs = new AvroDeserializer<>(registry, config, null);

    byte[] hugeBytes = payload(id, encoder -> encoder.writeLong(HUGE));
    assertThatThrownBy(() -> blobs.deserialize("blobs", hugeBytes))
        .isInstanceOf(MalformedPayloadException.class).hasMessageContaining("bytes value of " + HUGE + " bytes");

    byte[] hugeMap = payload(id, encoder -> {
      encoder.writeBytes(new byte[] {1, 2});
      encoder.writeLong(HUGE);
    });
    assertThatThrownBy(() -> blobs.deserialize("blobs", hugeMap))
        .isInstanceOf(MalformedPayloadException.class).hasMessageContaining("map block of " + HUGE + " items");
  }

  @Test
  void readsLargeValuesThePayloadHolds() {
    // Given a request with a 1 MB prompt and a generic record with 1 MB of bytes and a map
    InferenceRequest request = SampleRecords.request("big", "team");
    request.setMessages(List.of(new Message(Role.USER, "x".repeat(1 << 20), List.of())));
    AvroSerializer<InferenceRequest> serializer = new AvroSerializer<>(registry, config, false);
    GenericRecord blob = new GenericData.Record(BYTES_AND_MAP);
    blob.put("data", ByteBuffer.wrap(new byte[1 << 20]));
    blob.put("tags", Map.of("k", "v"));
    AvroSerializer<GenericRecord> blobSerializer = new AvroSerializer<>(registry, config, false);

    // Then they read back whole
    assertThat(requests().deserialize("llm.requests", serializer.serialize("llm.requests", request)))
        .isEqualTo(request);
    GenericRecord back = new AvroDeserializer<GenericRecord>(registry, config, null)
        .deserialize("blobs", blobSerializer.serialize("blobs", blob));
    assertThat(((ByteBuffer) back.get("data")).remaining()).isEqualTo(1 << 20);
    assertThat(back.get("tags").toString()).isEqualTo("{k=v}");
  }

  private AvroDeserializer<InferenceRequest> requests() {
    return new AvroDeserializer<>(registry, config, InferenceRequest.class);
  }

  private int requestSchemaId() {
    return registry.register("llm.requests-value", InferenceRequest.getClassSchema());
  }

  private interface Body {
    void write(BinaryEncoder encoder) throws IOException;
  }

  /** The wire-format header with this schema id, the body, then three more bytes. */
  private static byte[] payload(int schemaId, Body body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(WireFormat.MAGIC_BYTE);
    out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    body.write(encoder);
    encoder.flush();
    out.write(new byte[] {'a', 'b', 'c'});
    return out.toByteArray();
  }
}
