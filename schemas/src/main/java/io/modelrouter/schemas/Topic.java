package io.modelrouter.schemas;

import java.util.Objects;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the contract: its name, key and value serdes, and whether it is compacted (a table) or not (a
 * stream). Immutable; built only by {@link Topics}.
 *
 * @param global true for small tables every instance reads whole (catalog, routing policies); false for
 *     topics keyed by team id, which must all have the same partition count to stay co-partitioned
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, boolean compacted, boolean global) {

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
  }

  public ProducerRecord<K, V> record(K key, V value) {
    return new ProducerRecord<>(name, key, value);
  }

  public byte[] serializeKey(K key) {
    return keySerde.serializer().serialize(name, key);
  }

  public byte[] serializeValue(V value) {
    return valueSerde.serializer().serialize(name, value);
  }

  public K deserializeKey(byte[] bytes) {
    return keySerde.deserializer().deserialize(name, bytes);
  }

  public V deserializeValue(byte[] bytes) {
    return valueSerde.deserializer().deserialize(name, bytes);
  }

  @Override
  public String toString() {
    return name;
  }
}
