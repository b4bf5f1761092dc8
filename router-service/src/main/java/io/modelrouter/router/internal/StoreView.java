package io.modelrouter.router.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Reads a table whose values are kept as bytes, and keeps what it decoded from each key until the bytes change.
 * A lookup costs a store get and a byte comparison; decoding happens once per change, not once per request.
 */
final class StoreView<T> {
  private record Entry<T>(byte[] raw, T value) {}

  private final Function<String, byte[]> reader;
  private final BooleanSupplier empty;
  private final Function<byte[], T> decoder;
  private final Map<String, Entry<T>> cache = new HashMap<>();

  private StoreView(Function<String, byte[]> reader, BooleanSupplier empty, Function<byte[], T> decoder) {
    this.reader = reader;
    this.empty = empty;
    this.decoder = decoder;
  }

  /** Over a table's timestamped store (global tables). */
  static <T> StoreView<T> timestamped(KeyValueStore<String, ValueAndTimestamp<byte[]>> store, Function<byte[], T> decoder) {
    return new StoreView<>(key -> {
      ValueAndTimestamp<byte[]> stored = store.get(key);
      return stored == null ? null : stored.value();
    }, () -> store.approximateNumEntries() == 0, decoder);
  }

  /** Over a plain store of bytes. */
  static <T> StoreView<T> plain(KeyValueStore<String, byte[]> store, Function<byte[], T> decoder) {
    return new StoreView<>(store::get, () -> store.approximateNumEntries() == 0, decoder);
  }

  /** The decoded value for the key, or null if absent. Decoding errors propagate (callers decide). */
  T get(String key) {
    byte[] raw = reader.apply(key);
    if (raw == null) {
      cache.remove(key);
      return null;
    }
    Entry<T> cached = cache.get(key);
    if (cached != null && Arrays.equals(cached.raw(), raw)) {
      return cached.value();
    }
    T value = decoder.apply(raw);
    cache.put(key, new Entry<>(raw, value));
    return value;
  }

  boolean isEmpty() {
    return empty.getAsBoolean();
  }
}
