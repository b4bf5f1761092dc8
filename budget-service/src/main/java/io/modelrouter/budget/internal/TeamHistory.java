package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last {@code perTeam} entries of every team from a team-keyed topic, read on a thread of its own (no consumer
 * group, every partition, read_committed, so nothing of an aborted transaction shows), starting {@code lookback}
 * records before each partition's end ({@link Long#MAX_VALUE}: from the beginning). A team's records arrive in the
 * order they were written. Kept in memory only: a restart reads the topic again.
 *
 * @param <V> the topic's records
 * @param <E> what is kept of each
 */
abstract class TeamHistory<V, E> implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TeamHistory.class);

  private final String what;
  private final Topic<String, V> topic;
  private final int perTeam;
  private final long lookback;
  private final Function<V, String> teamOf;
  private final Function<V, E> keep;
  private final Map<String, Deque<E>> byTeam = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaClientMetrics metrics;
  private final Thread thread;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private volatile boolean running = true;

  /**
   * @param what what the records are, for the client id, the thread's name and log lines (e.g. {@code results})
   * @param teamOf the team a record belongs to (null: its key)
   */
  TeamHistory(String what, Topic<String, V> topic, Map<String, Object> clientConfig, int perTeam, long lookback,
      Function<V, String> teamOf, Function<V, E> keep, MeterRegistry registry) {
    this.what = what;
    this.topic = topic;
    this.perTeam = perTeam;
    this.lookback = lookback;
    this.teamOf = teamOf;
    this.keep = keep;
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.putAll(withClientId(clientConfig, what));
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.metrics = new KafkaClientMetrics(consumer);
    metrics.bindTo(registry);
    this.thread = Thread.ofPlatform().daemon().name(what + "-" + topic.name()).unstarted(this::run);
  }

  /**
   * The client configuration with a client id of budget-service's reader of {@code what}: distinct per reader, so
   * that each one's metrics (its lag among them) are a series of their own.
   */
  static Map<String, Object> withClientId(Map<String, Object> clientConfig, String what) {
    Map<String, Object> config = new HashMap<>(clientConfig);
    Object base = clientConfig.get(ConsumerConfig.CLIENT_ID_CONFIG);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, (base == null ? "budget-service" : base) + "-" + what);
    return config;
  }

  /** A history fed by {@link #read} and {@link #add} only, for tests of what it keeps. */
  TeamHistory(String what, int perTeam, Function<V, E> keep) {
    this.what = what;
    this.topic = null;
    this.perTeam = perTeam;
    this.lookback = 0;
    this.teamOf = null;
    this.keep = keep;
    this.consumer = null;
    this.metrics = null;
    this.thread = null;
  }

  void startReading() {
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(60)).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(60));
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
      for (TopicPartition p : partitions) {
        consumer.seek(p, Math.max(begin.get(p), end.get(p) - Math.min(lookback, end.get(p))));
      }
      boolean caughtUp = false;
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          apply(record);
        }
        if (!caughtUp && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          caughtUp = true;
          loaded.countDown();
        }
      }
    } catch (WakeupException e) {
      // close() woke the consumer: stop.
    } catch (RuntimeException e) {
      LOG.error("reading {} from {} stopped", what, topic.name(), e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return;
    }
    V value;
    try {
      value = topic.deserializeValue(record.value());
    } catch (RuntimeException e) {
      // The writers' own DLQ handling owns bad records; a history only skips what it cannot show.
      LOG.warn("skipping unreadable {} on {}-{}@{}: {}", what, record.topic(), record.partition(), record.offset(),
          e.getMessage());
      return;
    }
    String team = teamOf.apply(value) != null ? teamOf.apply(value) : record.key();
    if (team != null) {
      read(team, value);
    }
  }

  /** A record of the team read: indexed and kept unless {@link #accept} refuses it. */
  void read(String team, V value) {
    if (accept(value)) {
      seen(team, value);
      add(team, keep.apply(value));
    }
  }

  /** Whether a record read counts at all (false: a duplicate a subclass recognizes); every record by default. */
  boolean accept(V value) {
    return true;
  }

  /** Called for every record read, before {@link #add} shows it: a subclass may index more of it. */
  void seen(String team, V value) {}

  /** Adds an entry, forgetting the team's oldest beyond the limit. */
  void add(String team, E entry) {
    Deque<E> entries = byTeam.computeIfAbsent(team, t -> new ArrayDeque<>());
    synchronized (entries) {
      entries.addLast(entry);
      while (entries.size() > perTeam) {
        entries.removeFirst();
      }
    }
  }

  /** The team's most recent entries, newest first, at most {@code limit}. */
  public List<E> recent(String team, int limit) {
    Deque<E> entries = byTeam.get(team);
    if (entries == null) {
      return List.of();
    }
    List<E> out = new ArrayList<>();
    synchronized (entries) {
      var newestFirst = entries.descendingIterator();
      while (newestFirst.hasNext() && out.size() < limit) {
        out.add(newestFirst.next());
      }
    }
    return out;
  }

  /** Every team an entry was seen for, sorted. */
  public Set<String> teams() {
    return new TreeSet<>(byTeam.keySet());
  }

  public boolean awaitLoaded(Duration timeout) throws InterruptedException {
    return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isRunning() {
    return thread != null && thread.isAlive();
  }

  /** Null while the reader runs, else why not. */
  public String problem() {
    return thread != null && !thread.isAlive() ? "the " + what + " reader of " + topic.name() + " stopped" : null;
  }

  public int perTeam() {
    return perTeam;
  }

  @Override
  public void close() {
    if (thread == null) {
      return;
    }
    running = false;
    metrics.close();
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
