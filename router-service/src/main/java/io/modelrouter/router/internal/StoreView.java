package io.modelrouter.router.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Reads a table whose values are kept as bytes, and keeps what it decoded from each key until the bytes change.
 * A lookup costs a store get and a byte comparison; decoding happens once per change, not once per request.
 */
final class StoreView<T> {
  private record Entry<T>(byte[] raw, T value) {}

  private final KeyValueStore<String, ValueAndTimestamp<byte[]>> store;
  private final Function<byte[], T> decoder;
  private final Map<String, Entry<T>> cache = new HashMap<>();

  StoreView(KeyValueStore<String, ValueAndTimestamp<byte[]>> store, Function<byte[], T> decoder) {
    this.store = store;
    this.decoder = decoder;
  }

  /** The decoded value for the key, or null if absent. Decoding errors propagate (callers decide). */
  T get(String key) {
    ValueAndTimestamp<byte[]> stored = store.get(key);
    if (stored == null || stored.value() == null) {
      cache.remove(key);
      return null;
    }
    byte[] raw = stored.value();
    Entry<T> cached = cache.get(key);
    if (cached != null && Arrays.equals(cached.raw(), raw)) {
      return cached.value();
    }
    T value = decoder.apply(raw);
    cache.put(key, new Entry<>(raw, value));
    return value;
  }

  boolean isEmpty() {
    return store.approximateNumEntries() == 0;
  }
}
