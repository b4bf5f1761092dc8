package io.modelrouter.local.production;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What a run of the production shape delivered, read as a pipeline reads it (read_committed, from the beginning):
 * every request on {@code llm.requests} with exactly one result, no usage event id twice. Waits for the requests in
 * flight: until every request has a result, or nothing new arrived for the quiet period.
 */
record Verdict(int requests, int answered, long duplicates, int missing, long usageEvents, long usageDuplicates,
    long p50WaitMs, long p99WaitMs, long maxWaitMs, long p50OverheadMs, long p99OverheadMs, long longestGapMs) {

  boolean held() {
    return duplicates == 0 && missing == 0 && usageDuplicates == 0;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "requests %,d; with a result %,d; more than one result %,d; without a result "
        + "%,d; usage events %,d, duplicate ids %,d; interactive requests' wait for a result (the request's record"
        + " time to its result's, for requests sent after the warm-up) p50 %,d ms, p99 %,d ms, longest %,d ms; of which not the provider's (the wait minus"
        + " the result's attempts' latency) p50 %,d ms, p99 %,d ms; longest time without any result %,d ms -> %s",
        requests, answered, duplicates, missing, usageEvents, usageDuplicates, p50WaitMs, p99WaitMs, maxWaitMs,
        p50OverheadMs, p99OverheadMs, longestGapMs, held() ? "every request answered exactly once" : "FAILED");
  }

  /**
   * Reads the run back; the waits are those of the interactive requests sent at or after {@code measuredFrom} (epoch
   * ms) and after the first result, so that the backlog the demo builds while the services start is left out.
   */
  static Verdict read(String bootstrap, String registryUrl, Duration quiet, long measuredFrom) {
    Topics topics = CommonSettings.topics(Settings.of(Map.of("kafka.bootstrap.servers", bootstrap,
        "schema.registry.url", registryUrl)));
    Map<String, Object> config = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000));
    Set<String> requests = new HashSet<>();
    Map<String, Long> requested = new HashMap<>();
    Map<String, Long> answeredAt = new HashMap<>();
    Map<String, Long> providerMs = new HashMap<>();
    Map<String, Integer> results = new HashMap<>();
    Map<String, Integer> usage = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(topics.requests().name(), topics.results().name(), topics.usage().name())) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long lastNews = System.nanoTime();
      while (System.nanoTime() - lastNews < quiet.toNanos()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          lastNews = System.nanoTime();
          if (record.topic().equals(topics.requests().name())) {
            io.modelrouter.avro.InferenceRequest request = topics.requests().deserializeValue(record.value());
            String id = request.getRequestId();
            requests.add(id);
            if (request.getPriority() != io.modelrouter.avro.Priority.BATCH) {
              // a BATCH request may wait for its batch's end by design: the waits are the interactive ones'
              requested.putIfAbsent(id, record.timestamp());
            }
          } else if (record.topic().equals(topics.results().name())) {
            io.modelrouter.avro.InferenceResult result = topics.results().deserializeValue(record.value());
            String id = result.getRequestId();
            results.merge(id, 1, Integer::sum);
            if (answeredAt.putIfAbsent(id, record.timestamp()) == null) {
              providerMs.put(id, result.getAttempts().stream()
                  .mapToLong(io.modelrouter.avro.Attempt::getLatencyMs).sum());
            }
          } else {
            usage.merge(topics.usage().deserializeValue(record.value()).getEventId(), 1, Integer::sum);
          }
        }
        if (!requests.isEmpty() && results.keySet().containsAll(requests)
            && consumer.endOffsets(partitions).entrySet().stream().allMatch(e -> consumer.position(e.getKey())
                >= e.getValue())) {
          break;
        }
      }
    }
    int missing = (int) requests.stream().filter(id -> !results.containsKey(id)).count();
    long duplicates = results.values().stream().filter(c -> c > 1).count();
    // the waits of requests sent once the system answered: the backlog of the start (the demo sends from the first
    // second, while the services still start) is not a wait a running system makes anyone take
    long[] resultTimes = answeredAt.values().stream().mapToLong(Long::longValue).sorted().toArray();
    long firstResult = resultTimes.length == 0 ? Long.MAX_VALUE : resultTimes[0];
    requested.values().removeIf(sent -> sent < Math.max(firstResult, measuredFrom));
    long[] waits = requested.entrySet().stream().filter(e -> answeredAt.containsKey(e.getKey()))
        .mapToLong(e -> Math.max(0, answeredAt.get(e.getKey()) - e.getValue())).sorted().toArray();
    long[] overheads = requested.entrySet().stream().filter(e -> answeredAt.containsKey(e.getKey()))
        .mapToLong(e -> Math.max(0, answeredAt.get(e.getKey()) - e.getValue() - providerMs.get(e.getKey())))
        .sorted().toArray();
    return new Verdict(requests.size(), requests.size() - missing, duplicates, missing, usage.size(),
        usage.values().stream().filter(c -> c > 1).count(), percentile(waits, 0.50), percentile(waits, 0.99),
        waits.length == 0 ? 0 : waits[waits.length - 1], percentile(overheads, 0.50), percentile(overheads, 0.99),
        longestGap(resultTimes));
  }

  /** The longest time between two consecutive results (sorted record times), from the first result to the last. */
  static long longestGap(long[] sortedTimes) {
    long longest = 0;
    for (int i = 1; i < sortedTimes.length; i++) {
      longest = Math.max(longest, sortedTimes[i] - sortedTimes[i - 1]);
    }
    return longest;
  }

  /** The value at quantile {@code q} of sorted values (nearest rank); 0 for none. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
  }
}
