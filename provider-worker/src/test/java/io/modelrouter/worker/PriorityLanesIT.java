package io.modelrouter.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's two lanes on the embedded broker (simulated provider, 200 ms a call, 40 requests in flight, half of
 * them for BATCH): interactive requests sent behind a BATCH backlog are answered while the backlog is still being
 * worked through, and within the BATCH lane a small team is not queued behind a big team's backlog.
 */
@IntegrationTest
class PriorityLanesIT {
  private static final int PARTITIONS = 4;

  private final List<String> order = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private KafkaStack stack;
  private Topics topics;
  private String prefix;
  private WorkerService worker;
  private KafkaProducer<String, byte[]> producer;
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("lanes") + ".";
    topics = stack.createTopics(prefix, PARTITIONS);
    worker = new WorkerService(Settings.of(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", Integer.toString(PARTITIONS),
        "worker.group.id", prefix + "workers",
        "worker.instance.id", prefix + "w1",
        "worker.simulate", "all",
        "simulator.latency", "200",
        "simulator.latency.spread", "0",
        "worker.max.in.flight", "40"))).start();
    producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(), new ByteArraySerializer());
    reader = Thread.ofVirtual().start(this::read);
  }

  @AfterEach
  void stop() throws InterruptedException {
    worker.close();
    reading.set(false);
    reader.join(10_000);
    producer.close();
  }

  @Test
  void interactiveRequestsAreNotQueuedBehindABatchBacklogNorASmallTeamBehindABigOne() throws Exception {
    // Given two teams on different partitions
    String big = teamOnPartition(0);
    String small = teamOnPartition(1);
    // When the big team sends 300 BATCH requests (20 at a time, 200 ms each: 3 s of work)
    for (int i = 0; i < 300; i++) {
      send(big, "big-" + i, Priority.BATCH);
    }
    producer.flush();
    await().atMost(Duration.ofSeconds(60)).until(() -> order.size() >= 40);
    // and then the small team 10 BATCH requests and the big team 10 INTERACTIVE ones
    for (int i = 0; i < 10; i++) {
      send(small, "small-" + i, Priority.BATCH);
      send(big, "chat-" + i, Priority.INTERACTIVE);
    }
    producer.flush();

    // Then every request is answered once
    await().atMost(Duration.ofSeconds(120)).until(() -> order.size() >= 320);
    assertThat(order).doesNotHaveDuplicates().hasSize(320);
    // the interactive ones while the backlog was still far from done (they had the worker's other 20 slots)
    assertThat(positionOfLast("chat-")).isLessThan(positionOfLast("big-") - 150);
    // and the small team's batch requests ahead of most of the big team's backlog (fair shares of the BATCH lane)
    assertThat(positionOfLast("small-")).isLessThan(positionOfLast("big-") - 100);
  }

  private int positionOfLast(String prefix) {
    List<String> seen = new ArrayList<>(order);
    int last = -1;
    for (int i = 0; i < seen.size(); i++) {
      if (seen.get(i).startsWith(prefix)) {
        last = i;
      }
    }
    return last;
  }

  private static String teamOnPartition(int partition) {
    for (int i = 0; ; i++) {
      String team = "team-" + i;
      if (Utils.toPositive(Utils.murmur2(team.getBytes(StandardCharsets.UTF_8))) % PARTITIONS == partition) {
        return team;
      }
    }
  }

  private void send(String team, String id, Priority priority) {
    RoutedRequest routed = SampleRecords.routed();
    routed.getRequest().setRequestId(id);
    routed.getRequest().setTeamId(team);
    routed.getRequest().setPriority(priority);
    routed.getRequest().setDeadline(null);
    routed.getDecision().setFallbacks(List.of());
    routed.getDecision().setShadow(null);
    Topic<String, RoutedRequest> lane = topics.routedFor(priority);
    producer.send(new ProducerRecord<>(lane.name(), team, lane.serializeValue(routed)));
  }

  private void read() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.results().name()));
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          assertThat(result.getStatus()).as(result.getRequestId() + " " + result.getErrorMessage())
              .isEqualTo(ResultStatus.OK);
          order.add(result.getRequestId());
        }
      }
    }
  }
}
