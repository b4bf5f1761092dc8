package io.modelrouter.router.internal;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import io.modelrouter.schemas.serde.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes a routed request without re-encoding the request. Avro encodes a record as its fields' encodings one after
 * the other, so a {@code RoutedRequest} is the request's Avro bytes followed by the decision's. When the request was
 * written with exactly our {@code InferenceRequest} schema, its bytes are copied as they arrived; otherwise (another
 * schema version, or {@code use.latest.version}) the record is serialized normally. One per stream task.
 */
final class RoutedRequestEncoder {
  private static final String CANONICAL_REQUEST = SchemaRegistryState.canonical(InferenceRequest.getClassSchema());

  private final Topics topics;
  private final boolean enabled;
  private final Map<Integer, Boolean> writerIsOurs = new HashMap<>();
  private final SpecificDatumWriter<RoutingDecision> decisionWriter = new SpecificDatumWriter<>(RoutingDecision.class);
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
  private BinaryEncoder encoder;
  private int routedSchemaId = -1;

  RoutedRequestEncoder(Topics topics) {
    this.topics = topics;
    this.enabled = !topics.config().serde().useLatestVersion();
  }

  byte[] encode(byte[] requestBytes, InferenceRequest request, RoutingDecision decision) {
    if (!enabled || !writtenWithOurSchema(requestBytes)) {
      return topics.routed().serializeValue(new RoutedRequest(request, decision));
    }
    if (routedSchemaId < 0) {
      // the id the routed topic's serializer uses for RoutedRequest (registered or looked up as configured)
      routedSchemaId = WireFormat.schemaId(topics.routed().name(),
          topics.routed().serializeValue(new RoutedRequest(request, decision)));
    }
    try {
      buffer.reset();
      encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
      decisionWriter.write(decision, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int body = requestBytes.length - WireFormat.HEADER_SIZE;
    ByteBuffer out = ByteBuffer.allocate(WireFormat.HEADER_SIZE + body + buffer.size());
    out.put(WireFormat.MAGIC_BYTE).putInt(routedSchemaId);
    out.put(requestBytes, WireFormat.HEADER_SIZE, body);
    out.put(buffer.toByteArray());
    return out.array();
  }

  private boolean writtenWithOurSchema(byte[] requestBytes) {
    int writerId = WireFormat.schemaId(topics.requests().name(), requestBytes);
    return writerIsOurs.computeIfAbsent(writerId, id -> CANONICAL_REQUEST.equals(
        SchemaRegistryState.canonical(topics.config().client().schemaById(id))));
  }
}
