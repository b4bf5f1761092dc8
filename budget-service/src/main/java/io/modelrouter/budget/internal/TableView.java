package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.modelrouter.schemas.TableFollower;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * A compacted topic in memory ({@link TableFollower}) plus this service's own acknowledged writes, so that a
 * client reads its write at once (read-your-writes) instead of after the follower's next poll. A write stays in the
 * overlay until the follower applies an equal value for its key, or for at most {@link #OVERLAY_TTL} (a safety net:
 * a newer record from another writer, such as the aggregator on the actions topic, then shows through).
 */
public final class TableView<V> implements AutoCloseable {
  static final Duration OVERLAY_TTL = Duration.ofSeconds(30);

  private record Written<V>(V value, long atNanos) {}

  private final Object lock = new Object();
  private final Map<String, Written<V>> overlay = new ConcurrentHashMap<>();
  private final TableFollower<V> follower;
  private final KafkaClientMetrics metrics;
  private final BiConsumer<String, V> onChange;
  private final LongSupplier nanoTime;

  /**
   * @param onChange told about each record the follower applies (null value for a removal)
   * @param registry gets the follower's consumer metrics (its lag among them), tagged with a client id of its topic
   */
  public TableView(Topic<String, V> topic, Map<String, Object> clientConfig, BiConsumer<String, V> onChange,
      MeterRegistry registry) {
    this.onChange = onChange;
    this.nanoTime = System::nanoTime;
    this.follower = new TableFollower<>(topic, TeamHistory.withClientId(clientConfig, topic.name()), this::applied);
    this.metrics = new KafkaClientMetrics(follower.consumerForMetrics());
    metrics.bindTo(registry);
  }

  public TableView<V> start() {
    follower.start();
    return this;
  }

  public boolean awaitLoaded(Duration timeout) throws InterruptedException {
    return follower.awaitLoaded(timeout);
  }

  private void applied(String key, V value) {
    synchronized (lock) {
      Written<V> written = overlay.get(key);
      if (written != null && Objects.equals(written.value(), value)) {
        overlay.remove(key, written);
      }
    }
    onChange.accept(key, value);
  }

  /** Records an acknowledged write of this service (null for a tombstone). */
  public void written(String key, V value) {
    synchronized (lock) {
      // The follower may already have applied it: then an overlay entry would only hide later records.
      if (Objects.equals(follower.get(key), value)) {
        overlay.remove(key);
      } else {
        overlay.put(key, new Written<>(value, nanoTime.getAsLong()));
      }
    }
  }

  public V get(String key) {
    Written<V> written = overlay.get(key);
    if (written != null) {
      if (!expired(written)) {
        return written.value();
      }
      overlay.remove(key, written);
    }
    return follower.get(key);
  }

  /** Every key and value, this service's recent writes included. */
  public Map<String, V> snapshot() {
    Map<String, V> out = new HashMap<>(follower.snapshot());
    overlay.forEach((key, written) -> {
      if (expired(written)) {
        return;
      }
      if (written.value() == null) {
        out.remove(key);
      } else {
        out.put(key, written.value());
      }
    });
    return out;
  }

  public boolean isEmpty() {
    return snapshot().isEmpty();
  }

  private boolean expired(Written<V> written) {
    return nanoTime.getAsLong() - written.atNanos() > OVERLAY_TTL.toNanos();
  }

  @Override
  public void close() {
    metrics.close();
    follower.close();
  }
}
