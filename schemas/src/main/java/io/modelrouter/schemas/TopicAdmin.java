package io.modelrouter.schemas;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the contract's topics when they are missing and waits until every partition has a leader: producing
 * before that can stall in NOT_LEADER_OR_FOLLOWER and then OUT_OF_ORDER_SEQUENCE_NUMBER (KAFKA-15591).
 */
public final class TopicAdmin {

  private TopicAdmin() {}

  /**
   * @param partitions partitions of team-keyed topics (they must all match to stay co-partitioned)
   * @param replicationFactor replication factor of every topic
   */
  public static void ensureTopics(Admin admin, Collection<Topic<?, ?>> topics, int partitions, short replicationFactor,
      Duration timeout) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    List<NewTopic> wanted = new ArrayList<>();
    for (Topic<?, ?> topic : topics) {
      NewTopic newTopic = new NewTopic(topic.name(), topic.global() ? 1 : partitions, replicationFactor);
      if (topic.compacted()) {
        newTopic.configs(Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.1",
            "segment.ms", "3600000"));
      }
      wanted.add(newTopic);
    }
    createAndAwait(admin, wanted, timeout);
  }

  /** Creates the topics that do not exist yet and waits until every partition of all of them has a leader. */
  public static void createAndAwait(Admin admin, List<NewTopic> wanted, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    try {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).values().forEach((name, future) -> {
          try {
            future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
              throw new IllegalStateException("creating topic " + name + " failed: " + e.getCause(), e.getCause());
            }
          } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("creating topic " + name + " did not finish within " + timeout, e);
          }
        });
      }
      awaitLeaders(admin, wanted.stream().map(NewTopic::name).toList(), deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("listing topics failed: " + e, e);
    }
  }

  private static void awaitLeaders(Admin admin, List<String> names, Instant deadline) throws InterruptedException {
    String lastProblem = "";
    while (Instant.now().isBefore(deadline)) {
      try {
        Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames()
            .get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
        List<String> leaderless = descriptions.values().stream()
            .flatMap(d -> d.partitions().stream().filter(p -> p.leader() == null || p.leader().isEmpty())
                .map(p -> d.name() + "-" + p.partition()))
            .toList();
        if (leaderless.isEmpty() && descriptions.size() == names.size()) {
          // A leader in the metadata is not yet a leader that serves: list offsets, which the leader itself answers.
          Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> partitions =
              new java.util.HashMap<>();
          descriptions.values().forEach(d -> d.partitions().forEach(p -> partitions.put(
              new org.apache.kafka.common.TopicPartition(d.name(), p.partition()),
              org.apache.kafka.clients.admin.OffsetSpec.latest())));
          admin.listOffsets(partitions).all()
              .get(Math.max(1, Duration.between(Instant.now(), deadline).toMillis()), TimeUnit.MILLISECONDS);
          return;
        }
        lastProblem = "partitions without a leader: " + leaderless;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          lastProblem = e.getCause().toString();
        }
      } catch (TimeoutException e) {
        lastProblem = "describeTopics timed out";
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("topics " + names + " not ready in time; " + lastProblem);
  }
}
