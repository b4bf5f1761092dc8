package io.modelrouter.schemas.serde;

import io.modelrouter.schemas.registry.SchemaRegistryClient;
import io.modelrouter.schemas.registry.SchemaRegistryException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format Avro. The writer schema comes from the registry by the id in the header; the
 * reader schema is the expected class's schema when one is given (specific mode), the generated class named
 * like the writer schema when {@code specific.avro.reader} is set, else the writer schema (generic records).
 *
 * <p>Failures are {@link SchemaSerdeException}s that name the topic and schema id: {@link WireFormatException}
 * (not wire format), {@link UnknownSchemaIdException}, {@link MalformedPayloadException} (not retryable) and
 * {@link RegistryUnavailableException} (retryable).
 */
public final class AvroDeserializer<T> implements Deserializer<T> {

  private SchemaRegistryClient client;
  private AvroSerdeConfig config;
  private boolean ownsClient;
  private final Class<T> expectedType;
  private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();

  /** Generic (or {@code specific.avro.reader}) mode, for Kafka's reflective construction. */
  public AvroDeserializer() {
    this.expectedType = null;
  }

  /**
   * @param expectedType the generated class to read into, or null to read {@code GenericRecord}s
   */
  public AvroDeserializer(SchemaRegistryClient client, AvroSerdeConfig config, Class<T> expectedType) {
    this.client = client;
    this.config = config;
    this.expectedType = expectedType;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (client == null) {
      this.config = AvroSerdeConfig.from(configs);
      this.client = config.createClient();
      this.ownsClient = true;
    }
  }

  @Override
  @SuppressWarnings("unchecked")
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("AvroDeserializer is not configured: call configure() or pass a client");
    }
    int id = WireFormat.schemaId(topic, data);
    DatumReader<Object> reader = readerFor(topic, id);
    try {
      BinaryDecoder decoder = DecoderFactory.get()
          .binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
      T value = (T) reader.read(null, new BoundedDecoder(decoder));
      if (!decoder.isEnd()) {
        throw new java.io.IOException("bytes left after the end of the record");
      }
      return value;
    } catch (java.io.IOException | RuntimeException e) {
      throw new MalformedPayloadException("Avro payload of " + data.length + " bytes does not decode with schema id "
          + id + ": " + e, topic, id, e);
    }
  }

  private DatumReader<Object> readerFor(String topic, int id) {
    DatumReader<Object> cached = readers.get(id);
    if (cached != null) {
      return cached;
    }
    Schema writer;
    try {
      writer = client.schemaById(id);
    } catch (SchemaRegistryException e) {
      if (e.isNotFound()) {
        throw new UnknownSchemaIdException(topic, id, e);
      }
      if (e.isRetryable()) {
        throw new RegistryUnavailableException("Schema registry unavailable while reading schema id " + id,
            topic, id, e);
      }
      throw new SchemaSerdeException("Cannot read schema id " + id + ": " + e.getMessage(), topic, id, false, e);
    }
    DatumReader<Object> reader = newReader(topic, id, writer);
    readers.putIfAbsent(id, reader);
    return reader;
  }

  private DatumReader<Object> newReader(String topic, int id, Schema writer) {
    if (expectedType != null) {
      SpecificData model = ListArraysSpecificData.forClass(expectedType);
      Schema readerSchema = SpecificData.getForClass(expectedType).getSchema(expectedType);
      return new SpecificDatumReader<>(writer, readerSchema, model);
    }
    if (config != null && config.specificReader()) {
      Class<?> generated = SpecificData.get().getClass(writer);
      if (generated == null || generated == Object.class) {
        throw new MalformedPayloadException("specific.avro.reader is set but no generated class is named "
            + writer.getFullName(), topic, id, null);
      }
      SpecificData model = ListArraysSpecificData.forClass(generated);
      return new SpecificDatumReader<>(writer, SpecificData.getForClass(generated).getSchema(generated), model);
    }
    return new GenericDatumReader<>(writer, writer, GenericData.get());
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }
}
