package io.modelrouter.bench;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads every output topic from the beginning with read_committed, as a pipeline would, and keeps what the
 * reliability scenarios check: results per request id, usage events per event id, alerts per alert id, the latest
 * totals per window, the actions per team, and when each topic last received a record.
 */
final class ChaosCollector implements Runnable {
  private final String bootstrap;
  private final Topics topics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<String, Integer> results = new ConcurrentHashMap<>();
  private final Map<String, Long> resultSeenAt = new HashMap<>();
  private final Map<ResultStatus, Integer> byStatus = new EnumMap<>(ResultStatus.class);
  private final Map<String, Integer> usage = new HashMap<>();
  /** Successful calls with a usage event, by {@code <requestId>#<call>} (two executions of a request: 2). */
  private final Map<String, Integer> answeredCalls = new HashMap<>();
  /**
   * Estimates of calls in flight when a worker died (written from its journaled intents at its restart: outcome
   * UNKNOWN, estimated), by {@code <requestId>#<call>}.
   */
  private final Map<String, Integer> inFlightCalls = new HashMap<>();
  private long usageOutputTokens;
  private final Map<String, Integer> alerts = new HashMap<>();
  private final Map<String, UsageTotals> totals = new HashMap<>();
  private final Map<String, List<BudgetState>> actions = new HashMap<>();
  /**
   * When each topic's records became visible to this read_committed reader (not their timestamps: Kafka Streams
   * stamps outputs with the input's time), to find when each service produced again after a restart.
   */
  private final Map<String, List<Long>> times = new HashMap<>();
  /** The same per record key of the services' outputs (team, or team|window|date for totals). */
  private final Map<String, List<Long>> timesByKey = new HashMap<>();
  private volatile int totalsRecords;

  ChaosCollector(String bootstrap, Topics topics) {
    this.bootstrap = bootstrap;
    this.topics = topics;
  }

  int uniqueResults() {
    return results.size();
  }

  int totalsRecords() {
    return totalsRecords;
  }

  void stop() {
    running.set(false);
  }

  @Override
  public void run() {
    List<String> names = List.of(topics.results().name(), topics.routed().name(), topics.usage().name(),
        topics.budgetAlerts().name(), topics.usageTotals().name(), topics.budgetActions().name());
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String name : names) {
        consumer.partitionsFor(name).forEach(p -> partitions.add(new TopicPartition(name, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.value() != null) {
            accept(record);
          }
        }
      }
    }
  }

  private synchronized void accept(ConsumerRecord<String, byte[]> record) {
    String topic = record.topic();
    times.computeIfAbsent(topic, t -> new ArrayList<>()).add(System.currentTimeMillis());
    if (record.key() != null) {
      timesByKey.computeIfAbsent(topic + " " + record.key(), t -> new ArrayList<>()).add(System.currentTimeMillis());
    }
    if (topic.equals(topics.results().name())) {
      InferenceResult result = topics.results().deserializeValue(record.value());
      results.merge(result.getRequestId(), 1, Integer::sum);
      resultSeenAt.putIfAbsent(result.getRequestId(), System.currentTimeMillis());
      byStatus.merge(result.getStatus(), 1, Integer::sum);
    } else if (topic.equals(topics.usage().name())) {
      UsageEvent event = topics.usage().deserializeValue(record.value());
      if (usage.merge(event.getEventId(), 1, Integer::sum) == 1) {
        usageOutputTokens += event.getOutputTokens();
        if (event.getOutcome() == io.modelrouter.avro.AttemptOutcome.OK) {
          answeredCalls.merge(callOf(event), 1, Integer::sum);
        } else if (event.getOutcome() == io.modelrouter.avro.AttemptOutcome.UNKNOWN && event.getEstimated()) {
          inFlightCalls.merge(callOf(event), 1, Integer::sum);
        }
      }
    } else if (topic.equals(topics.budgetAlerts().name())) {
      BudgetAlert alert = topics.budgetAlerts().deserializeValue(record.value());
      alerts.merge(alert.getAlertId(), 1, Integer::sum);
    } else if (topic.equals(topics.usageTotals().name())) {
      totals.put(record.key(), topics.usageTotals().deserializeValue(record.value()));
      totalsRecords++;
    } else if (topic.equals(topics.budgetActions().name())) {
      BudgetAction action = topics.budgetActions().deserializeValue(record.value());
      actions.computeIfAbsent(action.getTeamId(), t -> new ArrayList<>()).add(action.getState());
    }
  }

  /** {@code <requestId>#<call>} of a usage event whose id is {@code <requestId>#<call>[@<execution>]}. */
  static String callOf(UsageEvent event) {
    String id = event.getEventId();
    int hash = id.lastIndexOf('#');
    int at = id.indexOf('@', hash);
    return event.getRequestId() + "#" + id.substring(hash + 1, at < 0 ? id.length() : at);
  }

  /** Successful calls with a usage event, by {@code <requestId>#<call>}. */
  synchronized Map<String, Integer> answeredCalls() {
    return Map.copyOf(answeredCalls);
  }

  /** Calls billed by the estimate of their intent (in flight when a worker died), by {@code <requestId>#<call>}. */
  synchronized Map<String, Integer> inFlightCalls() {
    return Map.copyOf(inFlightCalls);
  }

  /** The invariants a crash must not break, each false one named; empty when all hold. */
  synchronized List<String> violations(int sent, List<Kill> kills) {
    List<String> broken = new ArrayList<>();
    long duplicates = results.values().stream().filter(c -> c > 1).count();
    if (duplicates > 0) {
      broken.add(duplicates + " request(s) with more than one result");
    }
    if (results.size() < sent) {
      broken.add((sent - results.size()) + " request(s) without a result");
    }
    if (usage.values().stream().anyMatch(c -> c > 1)) {
      broken.add("a usage event id appears twice");
    }
    if (!totalsCaughtUp()) {
      broken.add("the aggregator's totals differ from the usage events on the topic");
    }
    if (alerts.values().stream().anyMatch(c -> c > 1)) {
      broken.add("an alert id appears twice");
    }
    for (Kill kill : kills) {
      if (kill.process().startedAt().isBefore(kill.at())) {
        continue; // taken over by the survivor: reported, not an invariant (a team paused meanwhile writes nothing)
      }
      if (firstAfter(outputOf(kill.process().name()), kill.process().startedAt()) == null) {
        broken.add(kill.process().name() + " produced nothing after its restart");
      }
    }
    return broken;
  }

  private String outputOf(String process) {
    String service = process.replaceAll("-[0-9]+$", "");
    return switch (service) {
      case "worker" -> topics.usage().name();
      case "router" -> topics.routed().name();
      default -> topics.usageTotals().name();
    };
  }

  /**
   * With two instances of a service and one killed: how long after the kill every key the service writes (a team's
   * routed requests or usage, a team window's totals) that had output in the 10 s before the kill had output again,
   * and how many such keys never did. A key's records come from the task that owns its partition, so this is when
   * the survivor had taken over the dead instance's partitions.
   */
  synchronized String takeover(Kill kill) {
    String prefix = outputOf(kill.process().name()) + " ";
    long at = kill.at().toEpochMilli();
    long worst = -1;
    int keys = 0;
    int never = 0;
    for (Map.Entry<String, List<Long>> entry : timesByKey.entrySet()) {
      if (!entry.getKey().startsWith(prefix)
          || entry.getValue().stream().noneMatch(t -> t < at && t >= at - 10_000)) {
        continue;
      }
      keys++;
      Long first = entry.getValue().stream().filter(t -> t >= at).min(Long::compare).orElse(null);
      if (first == null) {
        never++;
      } else {
        worst = Math.max(worst, first - at);
      }
    }
    return String.format(Locale.ROOT, "%s: one of two instances killed, not restarted; every key of its output "
        + "(%d) written again within %,d ms of the kill%s", kill.process().name(), keys, worst,
        never == 0 ? "" : " except " + never + " with no output after the kill (a team paused meanwhile routes nothing)");
  }

  /** When the first record on the topic became visible at or after {@code after}, or null. */
  synchronized Instant firstAfter(String topic, Instant after) {
    return times.getOrDefault(topic, List.of()).stream().filter(t -> t >= after.toEpochMilli()).min(Long::compare)
        .map(Instant::ofEpochMilli).orElse(null);
  }

  /** A process of {@link CrashBenchmark} killed at a time; its restart time is the process's last start. */
  record Kill(ChildProcess process, Instant at) {}

  private record Daily(long calls, long outputTokens) {}

  /** The aggregator's latest daily totals, all teams. */
  private Daily daily() {
    long calls = 0;
    long output = 0;
    for (UsageTotals t : totals.values()) {
      if (t.getWindow() == WindowKind.DAILY) {
        calls += t.getCalls();
        output += t.getOutputTokens();
      }
    }
    return new Daily(calls, output);
  }

  /** Whether the aggregator's latest daily totals count every usage event read so far (calls and output tokens). */
  synchronized boolean totalsCaughtUp() {
    Daily daily = daily();
    return daily.calls() == usage.size() && daily.outputTokens() == usageOutputTokens;
  }

  /** When the result of this request became visible to this reader (epoch ms), or -1. */
  synchronized long resultSeenAt(String requestId) {
    return resultSeenAt.getOrDefault(requestId, -1L);
  }

  /** Records that became visible on the topic in each second from {@code start}, for {@code seconds} seconds. */
  synchronized int[] perSecond(String topic, Instant start, int seconds) {
    int[] counts = new int[seconds];
    for (long t : times.getOrDefault(topic, List.of())) {
      long bucket = (t - start.toEpochMilli()) / 1000;
      if (bucket >= 0 && bucket < seconds) {
        counts[(int) bucket]++;
      }
    }
    return counts;
  }

  /** Results against requests sent: total, unique, duplicates, missing, and by status. */
  synchronized String deliveries(int sent) {
    long duplicates = results.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
    return String.format(Locale.ROOT, "requests sent %,d; results %,d (unique %,d); duplicates %,d; missing %,d%n",
        sent, results.values().stream().mapToInt(Integer::intValue).sum(), results.size(), duplicates,
        sent - results.size()) + "results by status: " + byStatus + "\n";
  }

  /** What the crash scenario checks, as the lines docs/reliability.md reports: deliveries, usage, alerts, recovery. */
  synchronized String report(int sent, List<Kill> kills) {
    StringBuilder out = new StringBuilder(deliveries(sent));
    long usageDuplicates = usage.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
    Daily daily = daily();
    out.append(String.format(Locale.ROOT, "usage events %,d (duplicate event ids %,d); aggregator's daily totals: "
            + "%,d calls, %,d output tokens; usage events on the topic: %,d calls, %,d output tokens -> %s%n",
        usage.size(), usageDuplicates, daily.calls(), daily.outputTokens(), usage.size(), usageOutputTokens,
        totalsCaughtUp() ? "equal" : "DIFFERENT"));
    long alertDuplicates = alerts.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
    long repeatedActions = 0;
    for (List<BudgetState> states : actions.values()) {
      for (int i = 1; i < states.size(); i++) {
        if (states.get(i) == states.get(i - 1)) {
          repeatedActions++;
        }
      }
    }
    out.append(String.format(Locale.ROOT, "alerts %,d (duplicate alert ids %,d); budget actions %,d (same state "
            + "published twice in a row: %,d)%n", alerts.size(), alertDuplicates,
        actions.values().stream().mapToInt(List::size).sum(), repeatedActions));
    for (Kill kill : kills) {
      String name = kill.process().name();
      Instant restarted = kill.process().startedAt();
      if (restarted.isBefore(kill.at())) { // not restarted: a second instance took over
        out.append(takeover(kill)).append('\n');
        continue;
      }
      Instant first = firstAfter(outputOf(name), restarted);
      out.append(String.format(Locale.ROOT, "%s: killed, restarted after %,d ms, first committed output seen %s "
              + "after the kill%n", name, Duration.between(kill.at(), restarted).toMillis(),
          first == null ? "NEVER" : String.format(Locale.ROOT, "%,d ms", Duration.between(kill.at(), first).toMillis())));
      // where the time went: each phase the restarted process logged, as ms after the kill
      StringBuilder phases = new StringBuilder();
      kill.process().phasesSince(restarted).forEach((phase, at) -> phases.append(String.format(Locale.ROOT,
          " %s %,d;", phase, Duration.between(kill.at(), at).toMillis())));
      out.append(String.format(Locale.ROOT, "  %s phases (ms after the kill):%s first output %s%n", name, phases,
          first == null ? "NEVER" : String.format(Locale.ROOT, "%,d", Duration.between(kill.at(), first).toMillis())));
    }
    return out.toString();
  }
}
