package io.modelrouter.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

/**
 * Runs a Kafka Streams app over a topic that already holds {@code n} records and measures its throughput: from the
 * first committed offset (start-up and rebalance excluded) to the moment the committed offsets reach the end.
 */
final class StreamsRun {
  record Result(double recordsPerSecond, double cpuMicrosPerRecord, Duration elapsed) {}

  private StreamsRun() {}

  static Result measure(Topology topology, Properties props, Admin admin, String inputTopic, Duration timeout)
      throws Exception {
    String group = props.getProperty("application.id");
    Map<TopicPartition, Long> ends = endOffsets(admin, inputTopic);
    long total = ends.values().stream().mapToLong(Long::longValue).sum();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (KafkaStreams streams = new KafkaStreams(topology, props)) {
      long launchNanos = System.nanoTime();
      long launchCpu = os.getProcessCpuTime();
      streams.start();
      long deadline = System.nanoTime() + timeout.toNanos();
      long startNanos = 0;
      long startCpu = 0;
      long startCommitted = 0;
      while (System.nanoTime() < deadline) {
        long committed = committed(admin, group, ends.keySet());
        if (startNanos == 0 && committed > 0) {
          startNanos = System.nanoTime();
          startCpu = os.getProcessCpuTime();
          startCommitted = committed;
        }
        if (committed >= total) {
          if (startCommitted >= total) {
            // all of it committed before the first look (a small run on a loaded machine): from start-up instead,
            // which counts start-up and rebalance too (it read "0 rec/s" before)
            startNanos = launchNanos;
            startCpu = launchCpu;
            startCommitted = 0;
            System.out.println(group + ": every record was committed before the first look; its rate counts start-up");
          }
          long elapsed = System.nanoTime() - startNanos;
          long cpu = os.getProcessCpuTime() - startCpu;
          long processed = total - startCommitted;
          return new Result(processed / (elapsed / 1e9), cpu / 1e3 / processed, Duration.ofNanos(elapsed));
        }
        Thread.sleep(20);
      }
      throw new IllegalStateException(group + " did not finish " + total + " records within " + timeout);
    }
  }

  static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    Set<TopicPartition> partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions()
        .stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
    ListOffsetsResult offsets = admin.listOffsets(partitions.stream()
        .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())));
    return partitions.stream().collect(Collectors.toMap(p -> p, p -> {
      try {
        return offsets.partitionResult(p).get().offset();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }));
  }

  private static long committed(Admin admin, String group, Set<TopicPartition> partitions) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return partitions.stream().map(offsets::get).filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
  }
}
