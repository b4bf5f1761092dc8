package io.modelrouter.schemas.serde;

import io.modelrouter.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Serializer and deserializer of one generated Avro record type on the Confluent wire format. */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  private AvroSerde(AvroSerializer<T> serializer, AvroDeserializer<T> deserializer) {
    this.serializer = serializer;
    this.deserializer = deserializer;
  }

  /** A value serde (subject {@code <topic>-value}) reading into {@code type}. */
  public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, SchemaRegistryClient client,
      AvroSerdeConfig config) {
    return new AvroSerde<>(new AvroSerializer<>(client, config, false),
        new AvroDeserializer<>(client, config, type));
  }

  /** A key serde (subject {@code <topic>-key}) reading into {@code type}. */
  public static <T extends SpecificRecord> AvroSerde<T> forKeys(Class<T> type, SchemaRegistryClient client,
      AvroSerdeConfig config) {
    return new AvroSerde<>(new AvroSerializer<>(client, config, true),
        new AvroDeserializer<>(client, config, type));
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    // Built with its client and config; nothing to configure from Kafka's properties.
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }
}
