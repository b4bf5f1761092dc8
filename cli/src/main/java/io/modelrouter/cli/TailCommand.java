package io.modelrouter.cli;

import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mr tail results|alerts|dlq}: records decoded from Avro, one line each, filtered by team and status. */
@Command(name = "tail", description = "Follow llm.results, llm.budget.alerts or llm.dlq, decoded; Ctrl-C stops.")
final class TailCommand implements Callable<Integer> {
  enum Stream { results, alerts, dlq }

  @ParentCommand
  Mr mr;
  @Spec
  CommandSpec spec;
  @Parameters(paramLabel = "TOPIC", description = "results, alerts or dlq")
  Stream stream;
  @Option(names = "--team", description = "only this team's records")
  String team;
  @Option(names = "--status", description = "results only: OK, FAILED, REJECTED, PAUSED, EXPIRED")
  String status;
  @Option(names = "--from-beginning", description = "from the oldest record kept (default: from now on)")
  boolean fromBeginning;
  @Option(names = "--max", description = "stop after this many records")
  Long max;
  @Option(names = "--idle", converter = Durations.class,
      description = "stop after this long without a record (10s, 500ms, 2m or ISO-8601; default: never)")
  Duration idle;
  @Option(names = "--json", description = "each record as JSON")
  boolean json;

  @Override
  public Integer call() {
    Topics topics = Kafka.topics(mr);
    String topic = switch (stream) {
      case results -> topics.results().name();
      case alerts -> topics.budgetAlerts().name();
      case dlq -> topics.dlq().name();
    };
    PrintWriter out = spec.commandLine().getOut();
    long shown = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = Kafka.consumer(mr, null)) {
      List<TopicPartition> partitions = Kafka.partitions(consumer, topic);
      consumer.assign(partitions);
      if (fromBeginning) {
        consumer.seekToBeginning(partitions);
      } else {
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
      }
      Instant lastRecord = Instant.now();
      while (max == null || shown < max) {
        var records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          if (idle != null && Duration.between(lastRecord, Instant.now()).compareTo(idle) >= 0) {
            break;
          }
          continue;
        }
        lastRecord = Instant.now();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          String line = line(topics, record);
          if (line != null) {
            out.println(line);
            shown++;
            if (max != null && shown >= max) {
              break;
            }
          }
        }
        out.flush();
      }
    }
    out.flush();
    return 0;
  }

  /** The record as a line, or null when the filters leave it out. */
  private String line(Topics topics, ConsumerRecord<byte[], byte[]> record) {
    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    switch (stream) {
      case results -> {
        InferenceResult r;
        try {
          r = topics.results().deserializeValue(record.value());
        } catch (RuntimeException e) {
          return team == null ? "undecodable result at " + record.partition() + "/" + record.offset() + ": "
              + e.getMessage() : null;
        }
        if (team != null && !team.equals(r.getTeamId()) || status != null
            && !status.equalsIgnoreCase(r.getStatus().name())) {
          return null;
        }
        if (json) {
          return r.toString();
        }
        String what = r.getStatus().name().equals("OK")
            ? r.getProvider() + "/" + r.getModel() + " in=" + r.getUsage().getInputTokens() + " out="
                + r.getUsage().getOutputTokens() + " " + Pricing.dollars(r.getCostMicros()) + " stop="
                + r.getStopReason()
            : r.getErrorCode() + ": " + r.getErrorMessage();
        if (r.getCachedFrom() != null) {
          what += " cached-from=" + r.getCachedFrom() + " saved=" + Pricing.dollars(r.getResponseCacheSavedMicros());
        }
        if (r.getRateLimitWaitMs() > 0) {
          what += String.format(Locale.ROOT, " rate-limit-wait=%.1fs", r.getRateLimitWaitMs() / 1000.0);
        }
        return String.format(Locale.ROOT, "%s %s %s %s %s", time(r.getCompletedAt()), r.getTeamId(),
            r.getRequestId(), r.getStatus(), what);
      }
      case alerts -> {
        BudgetAlert a;
        try {
          a = topics.budgetAlerts().deserializeValue(record.value());
        } catch (RuntimeException e) {
          return team == null ? "undecodable alert at " + record.partition() + "/" + record.offset() : null;
        }
        if (team != null && !team.equals(a.getTeamId())) {
          return null;
        }
        return json ? a.toString() : String.format(Locale.ROOT, "%s %s %s %s %s→%s %s", time(a.getAt()),
            a.getTeamId(), a.getWindow(), a.getWindowStart(), a.getPreviousState(), a.getState(), a.getMessage());
      }
      default -> {
        if (team != null && !team.equals(key)) {
          return null;
        }
        return String.format(Locale.ROOT, "%s/%d key=%s source=%s/%s/%s service=%s error=%s: %s (%d bytes)",
            record.partition(), record.offset(), key, header(record, DeadLetters.SOURCE_TOPIC),
            header(record, DeadLetters.SOURCE_PARTITION), header(record, DeadLetters.SOURCE_OFFSET),
            header(record, DeadLetters.SERVICE), header(record, DeadLetters.ERROR_CLASS),
            header(record, DeadLetters.ERROR_MESSAGE), record.value() == null ? 0 : record.value().length);
      }
    }
  }

  static String header(ConsumerRecord<?, ?> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null || header.value() == null ? "-" : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static String time(Instant at) {
    return at == null ? "-" : at.toString();
  }
}
