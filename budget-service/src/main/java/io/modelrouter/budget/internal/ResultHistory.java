package io.modelrouter.budget.internal;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.time.Instant;
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
 * The last {@code perTeam} results of every team, read from {@code llm.results} on a thread of its own (no consumer
 * group, every partition, read_committed, so a result of an aborted worker transaction never shows), for the
 * dashboard's recent routing reasons. {@code llm.results} is the busiest topic, so unlike {@link AlertHistory} this
 * reader does not start at the beginning: it starts {@code lookback} records before each partition's end. Only a
 * small projection of each result is kept (no content), so memory stays bounded by teams x {@code perTeam}.
 */
public final class ResultHistory implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ResultHistory.class);
  /** Routing reasons are sentences; a longer one is cut so one bad record cannot bloat the dashboard. */
  static final int MAX_REASON = 300;

  /** What the dashboard shows of one result. */
  public record Recent(String requestId, String status, String profile, String model, String routingReason,
      long costMicros, Instant completedAt) {
    static Recent of(InferenceResult r) {
      String reason = r.getRoutingReason();
      if (reason != null && reason.length() > MAX_REASON) {
        reason = reason.substring(0, MAX_REASON) + "...";
      }
      return new Recent(r.getRequestId(), r.getStatus().name(), r.getProfile(), r.getModel(), reason,
          r.getCostMicros(), r.getCompletedAt());
    }
  }

  private final Topic<String, InferenceResult> topic;
  private final int perTeam;
  private final long lookback;
  private final Map<String, Deque<Recent>> byTeam = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private volatile boolean running = true;

  /**
   * @param perTeam results kept per team
   * @param lookback records read before each partition's end at start
   */
  public ResultHistory(Topic<String, InferenceResult> topic, Map<String, Object> clientConfig, int perTeam,
      long lookback) {
    this.topic = topic;
    this.perTeam = perTeam;
    this.lookback = lookback;
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "budget-service-results");
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.thread = Thread.ofPlatform().daemon().name("results-" + topic.name()).unstarted(this::run);
  }

  /** A history fed by {@link #add} only, for tests of what it keeps. */
  ResultHistory(int perTeam) {
    this.topic = null;
    this.perTeam = perTeam;
    this.lookback = 0;
    this.consumer = null;
    this.thread = null;
  }

  public ResultHistory start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(60)).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(partitions);
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(60));
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
      for (TopicPartition p : partitions) {
        consumer.seek(p, Math.max(begin.get(p), end.get(p) - lookback));
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
      LOG.error("reading results from {} stopped", topic.name(), e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return;
    }
    InferenceResult result;
    try {
      result = topic.deserializeValue(record.value());
    } catch (RuntimeException e) {
      // The worker's own DLQ handling owns bad results; the dashboard only skips what it cannot show.
      LOG.warn("skipping unreadable result on {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
          e.getMessage());
      return;
    }
    String team = result.getTeamId() != null ? result.getTeamId() : record.key();
    if (team == null) {
      return;
    }
    add(team, Recent.of(result));
  }

  /** Adds a result, forgetting the team's oldest beyond the limit. */
  void add(String team, Recent result) {
    Deque<Recent> results = byTeam.computeIfAbsent(team, t -> new ArrayDeque<>());
    synchronized (results) {
      results.addLast(result);
      while (results.size() > perTeam) {
        results.removeFirst();
      }
    }
  }

  /** The team's most recent results, newest first, at most {@code limit}. */
  public List<Recent> recent(String team, int limit) {
    Deque<Recent> results = byTeam.get(team);
    if (results == null) {
      return List.of();
    }
    List<Recent> out = new ArrayList<>();
    synchronized (results) {
      var newestFirst = results.descendingIterator();
      while (newestFirst.hasNext() && out.size() < limit) {
        out.add(newestFirst.next());
      }
    }
    return out;
  }

  /** Every team a result was seen for, sorted. */
  public Set<String> teams() {
    return new TreeSet<>(byTeam.keySet());
  }

  public boolean awaitLoaded(Duration timeout) throws InterruptedException {
    return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Null while the reader runs, else why not. */
  public String problem() {
    return thread != null && !thread.isAlive() ? "the result reader of " + topic.name() + " stopped" : null;
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
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
