package io.modelrouter.budget.internal;

import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.schemas.Topic;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * The last {@code perTeam} budget alerts of every team, read from {@code llm.budget.alerts} from the beginning on a
 * thread of its own (no consumer group, every partition, read_committed). Alerts are keyed by team, so a team's
 * alerts arrive in the order they were written. Kept in memory only: a restart reads the topic again.
 */
public final class AlertHistory implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertHistory.class);

  private final Topic<String, BudgetAlert> topic;
  private final int perTeam;
  private final Map<String, Deque<BudgetAlert>> byTeam = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private volatile boolean running = true;

  public AlertHistory(Topic<String, BudgetAlert> topic, Map<String, Object> clientConfig, int perTeam) {
    this.topic = topic;
    this.perTeam = perTeam;
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "budget-service-alerts");
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.thread = Thread.ofPlatform().daemon().name("alerts-" + topic.name()).unstarted(this::run);
  }

  public AlertHistory start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(60)).stream()
          .map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(60));
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
      LOG.error("reading alerts from {} stopped", topic.name(), e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return;
    }
    BudgetAlert alert;
    try {
      alert = topic.deserializeValue(record.value());
    } catch (RuntimeException e) {
      LOG.error("skipping unreadable alert on {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
          e.getMessage());
      return;
    }
    String team = alert.getTeamId() != null ? alert.getTeamId() : record.key();
    if (team == null) {
      return;
    }
    add(team, alert);
  }

  /** Adds an alert, forgetting the team's oldest beyond the limit. */
  void add(String team, BudgetAlert alert) {
    Deque<BudgetAlert> alerts = byTeam.computeIfAbsent(team, t -> new ArrayDeque<>());
    synchronized (alerts) {
      alerts.addLast(alert);
      while (alerts.size() > perTeam) {
        alerts.removeFirst();
      }
    }
  }

  /** The team's most recent alerts, newest first, at most {@code limit}. */
  public List<BudgetAlert> recent(String team, int limit) {
    Deque<BudgetAlert> alerts = byTeam.get(team);
    if (alerts == null) {
      return List.of();
    }
    List<BudgetAlert> out = new ArrayList<>();
    synchronized (alerts) {
      var newestFirst = alerts.descendingIterator();
      while (newestFirst.hasNext() && out.size() < limit) {
        out.add(newestFirst.next());
      }
    }
    return out;
  }

  public boolean awaitLoaded(Duration timeout) throws InterruptedException {
    return loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public boolean isRunning() {
    return thread.isAlive();
  }

  public int perTeam() {
    return perTeam;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
