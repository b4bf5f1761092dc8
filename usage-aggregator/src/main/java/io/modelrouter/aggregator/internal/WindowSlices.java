package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageEvent;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A daily window's usage sliced by something and model (by session: {@code UsageTotals.bySession}; by hour:
 * {@code UsageTotals.byHour}), one store entry per {@code <windowKey>|<slice>|<model>}, so that a usage event
 * rewrites one small entry instead of a window's whole table (hundreds of sessions a day for a busy team). The table
 * is assembled only when the window's totals are published. A day with more than {@value #MAX_KEYS} slice-and-model
 * keys counts the rest under {@code (other)}.
 */
final class WindowSlices {
  static final int MAX_KEYS = 500;
  static final String NO_SESSION = "(none)";
  static final String OTHER = "(other)";
  private static final StringSerializer KEYS = new StringSerializer();

  private final DecodedStore<UsageBreakdown> entries;
  /** Keys per window, counted from the store the first time a window is seen after init. */
  private final Map<String, Integer> counts = new HashMap<>();

  WindowSlices(KeyValueStore<String, UsageBreakdown> store) {
    this.entries = new DecodedStore<>(store, 20_000);
  }

  /** Adds the event to its session's slice. */
  void addSession(String windowKey, UsageEvent event) {
    add(windowKey, event.getSessionId() == null ? NO_SESSION : event.getSessionId(), event);
  }

  /** Adds the event to the slice {@code slice} (which holds no {@code |}) of the window, with its model. */
  void add(String windowKey, String slice, UsageEvent event) {
    String key = windowKey + "|" + slice + "|" + event.getModel();
    UsageBreakdown usage = entries.get(key);
    if (usage == null) {
      int count = counts.computeIfAbsent(windowKey, this::count);
      if (count >= MAX_KEYS) {
        key = windowKey + "|" + OTHER + "|" + event.getModel();
        usage = entries.get(key);
      }
      if (usage == null) {
        usage = new UsageBreakdown(0L, 0L, 0L, 0L, 0L, 0L);
        counts.merge(windowKey, 1, Integer::sum);
      }
    }
    WindowTotals.addTo(usage, event);
    entries.put(key, usage);
  }

  /** The window's table, keyed {@code <slice>|<model>} as {@code UsageTotals.bySession} and {@code byHour} have it. */
  Map<String, UsageBreakdown> of(String windowKey) {
    Map<String, UsageBreakdown> out = new HashMap<>();
    String prefix = windowKey + "|";
    try (KeyValueIterator<String, UsageBreakdown> it = entries.store().prefixScan(prefix, KEYS)) {
      while (it.hasNext()) {
        KeyValue<String, UsageBreakdown> entry = it.next();
        out.put(entry.key.substring(prefix.length()), entry.value);
      }
    }
    return out;
  }

  void deleteWindow(String windowKey) {
    of(windowKey).keySet().forEach(k -> entries.delete(windowKey + "|" + k));
    counts.remove(windowKey);
  }

  void clear() {
    entries.clear();
    counts.clear();
  }

  private int count(String windowKey) {
    int n = 0;
    try (KeyValueIterator<String, UsageBreakdown> it = entries.store().prefixScan(windowKey + "|", KEYS)) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }
}
