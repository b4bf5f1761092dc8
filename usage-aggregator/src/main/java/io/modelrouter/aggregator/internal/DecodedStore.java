package io.modelrouter.aggregator.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A state store with its hottest values kept decoded. Every write goes through to the store (so the changelog, and
 * with exactly_once_v2 the transaction, has all of it); reads are served from memory when the value was read or
 * written before. A hot team's window totals are read several times per usage event; decoding them each time cost
 * more than the rest of the processing. The processor clears it in {@code init()}, which Kafka Streams calls again
 * whenever it restores the store (a restart, a rebalance, a dirty close after an aborted transaction), so memory
 * never holds state the store has not.
 */
final class DecodedStore<V> {
  private final KeyValueStore<String, V> store;
  private final Map<String, V> hot;

  DecodedStore(KeyValueStore<String, V> store, int capacity) {
    this.store = store;
    this.hot = new LinkedHashMap<>(Math.min(capacity, 1_024), 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > capacity;
      }
    };
  }

  V get(String key) {
    V value = hot.get(key);
    if (value == null) {
      value = store.get(key);
      if (value != null) {
        hot.put(key, value);
      }
    }
    return value;
  }

  void put(String key, V value) {
    store.put(key, value);
    hot.put(key, value);
  }

  void delete(String key) {
    store.delete(key);
    hot.remove(key);
  }

  KeyValueStore<String, V> store() {
    return store;
  }

  void clear() {
    hot.clear();
  }
}
