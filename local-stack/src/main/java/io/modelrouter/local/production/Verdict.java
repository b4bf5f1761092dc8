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
    long p50WaitMs, long p99WaitMs, long maxWaitMs) {

  boolean held() {
    return duplicates == 0 && missing == 0 && usageDuplicates == 0;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "requests %,d; with a result %,d; more than one result %,d; without a result "
        + "%,d; usage events %,d, duplicate ids %,d; interactive requests' wait for a result (the request's record"
        + " time to its result's) p50 %,d ms, p99 %,d ms, longest %,d ms -> %s", requests, answered, duplicates,
        missing, usageEvents, usageDuplicates, p50WaitMs, p99WaitMs, maxWaitMs,
        held() ? "every request answered exactly once" : "FAILED");
  }

  static Verdict read(String bootstrap, String registryUrl, Duration quiet) {
    Topics topics = CommonSettings.topics(Settings.of(Map.of("kafka.bootstrap.servers", bootstrap,
        "schema.registry.url", registryUrl)));
    Map<String, Object> config = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000));
    Set<String> requests = new HashSet<>();
    Map<String, Long> requested = new HashMap<>();
    Map<String, Long> answeredAt = new HashMap<>();
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
            String id = topics.results().deserializeValue(record.value()).getRequestId();
            results.merge(id, 1, Integer::sum);
            answeredAt.putIfAbsent(id, record.timestamp());
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
    long[] waits = requested.entrySet().stream().filter(e -> answeredAt.containsKey(e.getKey()))
        .mapToLong(e -> Math.max(0, answeredAt.get(e.getKey()) - e.getValue())).sorted().toArray();
    return new Verdict(requests.size(), requests.size() - missing, duplicates, missing, usage.size(),
        usage.values().stream().filter(c -> c > 1).count(), percentile(waits, 0.50), percentile(waits, 0.99),
        waits.length == 0 ? 0 : waits[waits.length - 1]);
  }

  /** The value at quantile {@code q} of sorted values (nearest rank); 0 for none. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(q * sorted.length) - 1))];
  }
}
