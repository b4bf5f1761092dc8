package io.modelrouter.schemas.serde;

import io.modelrouter.schemas.registry.RegisteredSchema;
import io.modelrouter.schemas.registry.SchemaRegistryClient;
import io.modelrouter.schemas.registry.SchemaRegistryException;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro records on the Confluent wire format under TopicNameStrategy subjects ({@code <topic>-value},
 * {@code <topic>-key}). The schema id comes from registering the record's schema ({@code auto.register.schemas},
 * the default), from the subject's latest version ({@code use.latest.version}: the record is resolved to that
 * schema by Avro's schema resolution), or from looking the record's schema up.
 */
public final class AvroSerializer<T extends IndexedRecord> implements Serializer<T> {

  private SchemaRegistryClient client;
  private AvroSerdeConfig config;
  private boolean ownsClient;
  private boolean isKey;
  private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
  /** Schema ids by (topic, schema object): the hot path's only lookup once warm (no schema rendering). */
  private final Map<TopicSchema, Integer> ids = new ConcurrentHashMap<>();

  /** Identity of the schema object, not its (costly) structural equality. */
  private record TopicSchema(String topic, Schema schema) {
    @Override
    public boolean equals(Object other) {
      return other instanceof TopicSchema o && o.schema == schema && o.topic.equals(topic);
    }

    @Override
    public int hashCode() {
      return 31 * topic.hashCode() + System.identityHashCode(schema);
    }
  }

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public AvroSerializer() {}

  public AvroSerializer(SchemaRegistryClient client, AvroSerdeConfig config, boolean isKey) {
    this.client = client;
    this.config = config;
    this.isKey = isKey;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (client == null) {
      this.config = AvroSerdeConfig.from(configs);
      this.client = config.createClient();
      this.ownsClient = true;
    }
  }

  /**
   * Gets the id of {@code schema} under this topic's subject now, as a first write would (registering it when
   * {@code auto.register.schemas} is on, else looking it up), and keeps it, so that writing a record of it later
   * needs no registry (it may be down by then). False when (without auto registration) the registry does not have
   * the schema, or refuses it: the first write asks again.
   *
   * @throws SchemaRegistryException (retryable) when the registry cannot be reached now
   */
  public boolean warm(String topic, Schema schema) {
    if (client == null || config.useLatestVersion()) {
      return false;
    }
    String subject = topic + (isKey ? "-key" : "-value");
    try {
      ids.put(new TopicSchema(topic, schema),
          config.autoRegister() ? client.register(subject, schema) : client.lookup(subject, schema).id());
      return true;
    } catch (SchemaRegistryException e) {
      if (e.isRetryable()) {
        throw e;
      }
      // not registered (lookup without auto registration), or refused: the first write asks again
      return false;
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroSerializer is not configured: call configure() or pass a client");
    }
    Schema own = data.getSchema();
    Schema target = own;
    Integer cachedId = config.useLatestVersion() ? null : ids.get(new TopicSchema(topic, own));
    int id;
    String subject = topic + (isKey ? "-key" : "-value");
    try {
      if (cachedId != null) {
        id = cachedId;
      } else if (config.useLatestVersion()) {
        RegisteredSchema latest = client.latest(subject);
        id = latest.id();
        target = latest.schema();
      } else {
        id = config.autoRegister() ? client.register(subject, own) : client.lookup(subject, own).id();
        ids.put(new TopicSchema(topic, own), id);
      }
    } catch (SchemaRegistryException e) {
      if (e.isRetryable()) {
        throw new RegistryUnavailableException("Schema registry unavailable while serializing " + own.getFullName(),
            topic, -1, e);
      }
      throw new SchemaSerdeException("Cannot get a schema id for " + own.getFullName() + " under subject "
          + subject + ": " + e.getMessage(), topic, -1, false, e);
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      ByteBuffer header = ByteBuffer.allocate(WireFormat.HEADER_SIZE);
      WireFormat.writeHeader(header, id);
      out.write(header.array());
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      Object datum = target == own ? data : resolve(data, own, target);
      writerFor(target, datum).write(datum, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      throw new SchemaSerdeException("Cannot encode " + own.getFullName() + " with schema id " + id + ": " + e,
          topic, id, false, e);
    }
  }

  private DatumWriter<Object> writerFor(Schema schema, Object datum) {
    return writers.computeIfAbsent(schema, s -> datum instanceof SpecificRecord
        ? new SpecificDatumWriter<>(s)
        : new GenericDatumWriter<>(s, GenericData.get()));
  }

  /** Re-reads the record as the target schema with Avro's resolution rules (for use.latest.version). */
  private Object resolve(T data, Schema own, Schema target) throws IOException {
    if (SchemaRegistryState.canonical(own).equals(SchemaRegistryState.canonical(target))) {
      return data;
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(buffer, null);
    writerFor(own, data).write(data, encoder);
    encoder.flush();
    return new GenericDatumReader<>(own, target)
        .read(null, DecoderFactory.get().binaryDecoder(buffer.toByteArray(), null));
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }
}
