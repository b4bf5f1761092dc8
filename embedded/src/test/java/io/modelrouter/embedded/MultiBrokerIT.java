package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.schemas.TopicAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Three brokers, replication 3, min ISR 2: a leader stopped while a producer is sending loses no acknowledged write
 * and doubles none, writes keep being acknowledged while it is down, and it comes back into every ISR with all of
 * them (it alone serves them once the other two are stopped).
 */
@Tag("integration")
class MultiBrokerIT {
  private static final String TOPIC = "replicated";
  /** Records acknowledged in each phase before the next step: enough that writes are in flight at each step. */
  private static final int PER_PHASE = 2_000;
  /** Records/s: steady traffic, and few enough to read back in a second or two. */
  private static final int RATE = 2_000;

  @Test
  void writesInFlightWhenALeaderStopsAreAllKeptOnceAndTheBrokerComesBackWithAllOfThem() throws Exception {
    try (EmbeddedKafka cluster = EmbeddedKafka.builder().brokers(3).build();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()))) {
      TopicAdmin.createAndAwait(admin, List.of(new NewTopic(TOPIC, 3, (short) 3)
          .configs(Map.of("min.insync.replicas", "2"))), Duration.ofSeconds(60));
      assertThat(cluster.runningBrokers()).hasSize(3);
      Map<String, Object> config = Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
          ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
          ProducerConfig.LINGER_MS_CONFIG, "5",
          ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
      Sender sender;
      int leader;
      int inFlightAtStop;
      int ackedAtStop;
      int ackedAtStart;
      try (KafkaProducer<String, String> producer =
          new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
        // Given a producer sending steadily
        sender = new Sender(producer);
        Thread sending = Thread.ofPlatform().name("multi-broker-sender").start(sender);
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.acked.size() >= PER_PHASE);

        // When the leader of partition 0 stops while writes are in flight
        leader = leaderOf(admin, 0);
        inFlightAtStop = sender.inFlight();
        ackedAtStop = sender.acked.size();
        cluster.stopBroker(leader);
        assertThat(cluster.runningBrokers()).hasSize(2).doesNotContain(leader);

        // Then acks=all writes keep being acknowledged (2 in-sync replicas remain)
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.acked.size() >= ackedAtStop + PER_PHASE);

        // When it comes back, still under load
        ackedAtStart = sender.acked.size();
        cluster.startBroker(leader);
        assertThat(cluster.runningBrokers()).hasSize(3).contains(leader);
        await().atMost(Duration.ofSeconds(60)).until(() -> sender.acked.size() >= ackedAtStart + PER_PHASE);
        sender.running.set(false);
        sending.join();
        producer.flush();
      }
      assertThat(inFlightAtStop).as("writes sent but not yet acknowledged when the broker stopped").isPositive();
      assertThat(sender.failed).as("sends that failed").isEmpty();

      // Then it catches up and is in sync again for every partition
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> inSyncEverywhere(admin, leader));

      // And every acknowledged record is on the topic exactly once ...
      Set<String> acknowledged = Set.copyOf(sender.acked);
      Map<String, Integer> read = readAll(cluster.bootstrapServers());
      assertThat(read.keySet()).as("acknowledged records read back").containsAll(acknowledged);
      assertThat(read.values()).as("copies of a record").containsOnly(1);

      // ... also on the broker that was stopped: once the other two stop, it leads every partition and serves them
      for (int other : Set.copyOf(cluster.runningBrokers())) {
        if (other != leader) {
          cluster.stopBroker(other);
        }
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> leadsEverything(admin, leader));
      assertThat(readAll(cluster.bootstrapServers()).keySet()).as("records on the broker that was stopped")
          .containsAll(acknowledged);
      System.out.printf("multi-broker: %,d records/s; %,d acknowledged (%,d before broker %d stopped with %,d in "
              + "flight, %,d while it was down, %,d after it was back), 0 failed, 0 lost, 0 doubled%n", RATE,
          acknowledged.size(), ackedAtStop, leader, inFlightAtStop, ackedAtStart - ackedAtStop,
          acknowledged.size() - ackedAtStart);
    }
  }

  /** Sends "v-0", "v-1", ... at {@link #RATE} records/s, at most 5,000 unacknowledged. */
  private static final class Sender implements Runnable {
    private final KafkaProducer<String, String> producer;
    private final Semaphore window = new Semaphore(5_000);
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Set<String> acked = ConcurrentHashMap.newKeySet();
    private final Map<String, Exception> failed = new ConcurrentHashMap<>();

    Sender(KafkaProducer<String, String> producer) {
      this.producer = producer;
    }

    int inFlight() {
      return sent.get() - acked.size() - failed.size();
    }

    @Override
    public void run() {
      long start = System.nanoTime();
      while (running.get()) {
        long ahead = start + sent.get() * 1_000_000_000L / RATE - System.nanoTime();
        if (ahead > 1_000_000) {
          LockSupport.parkNanos(ahead);
        }
        window.acquireUninterruptibly();
        int i = sent.getAndIncrement();
        String value = "v-" + i;
        producer.send(new ProducerRecord<>(TOPIC, Integer.toString(i % 30), value), (metadata, error) -> {
          if (error == null) {
            acked.add(value);
          } else {
            failed.put(value, error);
          }
          window.release();
        });
      }
    }
  }

  private static int leaderOf(Admin admin, int partition) throws Exception {
    return describe(admin).partitions().get(partition).leader().id();
  }

  private static TopicDescription describe(Admin admin) throws Exception {
    return admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC);
  }

  private static boolean inSyncEverywhere(Admin admin, int broker) throws Exception {
    return describe(admin).partitions().stream().allMatch(p -> p.isr().stream().anyMatch(n -> n.id() == broker));
  }

  private static boolean leadsEverything(Admin admin, int broker) throws Exception {
    return describe(admin).partitions().stream().allMatch(p -> p.leader() != null && p.leader().id() == broker);
  }

  /** Every record of the topic from its start to its end offsets (read_committed, no group): value to copies. */
  private static Map<String, Integer> readAll(String bootstrap) {
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
    Map<String, Integer> values = new HashMap<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(TOPIC).forEach(p -> partitions.add(new TopicPartition(TOPIC, p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.merge(r.value(), 1, Integer::sum));
      }
      assertThat(partitions).as("partitions read to their end offsets %s", ends)
          .allSatisfy(p -> assertThat(consumer.position(p)).isGreaterThanOrEqualTo(ends.get(p)));
    }
    return values;
  }
}

