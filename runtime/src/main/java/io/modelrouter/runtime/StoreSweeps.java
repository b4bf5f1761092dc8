package io.modelrouter.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Punctuation sweeps over a Kafka Streams store: what is stale is collected first, then deleted. */
public final class StoreSweeps {
  private StoreSweeps() {}

  /** Deletes every entry whose value matches {@code stale}; returns the entries deleted. */
  public static <K, V> List<KeyValue<K, V>> deleteWhere(KeyValueStore<K, V> store, Predicate<V> stale) {
    List<KeyValue<K, V>> found = new ArrayList<>();
    try (KeyValueIterator<K, V> all = store.all()) {
      all.forEachRemaining(entry -> {
        if (stale.test(entry.value)) {
          found.add(entry);
        }
      });
    }
    found.forEach(entry -> store.delete(entry.key));
    return found;
  }
}
