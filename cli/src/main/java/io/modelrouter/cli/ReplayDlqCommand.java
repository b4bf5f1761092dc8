package io.modelrouter.cli;

import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mr replay-dlq}: re-publishes dead letters that now decode (a schema registered since, a registry back up) to
 * the topic they came from, with their key and original headers; the ones that still do not decode stay, each
 * named. A consumer group remembers how far it got, so a second run neither publishes a record twice nor looks at
 * one it kept again ({@code --reset} looks at everything again).
 */
@Command(name = "replay-dlq", description = "Re-publish the dead letters that now decode to their source topic "
    + "(--dry-run: only say what would be done).")
final class ReplayDlqCommand implements Callable<Integer> {
  @ParentCommand
  Mr mr;
  @Spec
  CommandSpec spec;
  @Option(names = "--dry-run", description = "decode and report, publish nothing, remember nothing")
  boolean dryRun;
  @Option(names = "--source-topic", description = "only dead letters from this topic")
  String sourceTopic;
  @Option(names = "--reset", description = "look at every dead letter again, not only those no run has looked at "
      + "(one replayed before is published again)")
  boolean reset;
  @Option(names = "--group", defaultValue = "mr-replay-dlq",
      description = "the consumer group that remembers how far replays got (default: ${DEFAULT-VALUE})")
  String group;

  @Override
  public Integer call() {
    Topics topics = Kafka.topics(mr);
    Map<String, Topic<?, ?>> byName = new HashMap<>();
    topics.all().forEach(t -> byName.put(t.name(), t));
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    long replayed = 0;
    long stillBad = 0;
    long skipped = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = Kafka.consumer(mr, group);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, mr.bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new ByteArraySerializer(), new ByteArraySerializer())) {
      List<TopicPartition> partitions = Kafka.partitions(consumer, topics.dlq().name());
      consumer.assign(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(partitions));
      long total = 0;
      for (TopicPartition p : partitions) {
        OffsetAndMetadata from = reset ? null : committed.get(p);
        long start = from == null ? consumer.beginningOffsets(List.of(p)).get(p) : from.offset();
        consumer.seek(p, start);
        total += Math.max(0, end.get(p) - start);
      }
      err.printf("mr: %,d dead letter(s) to look at%s%n", total, dryRun ? " (dry run)" : "");
      err.flush();
      long seen = 0;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          TopicPartition p = new TopicPartition(record.topic(), record.partition());
          if (record.offset() >= end.get(p)) {
            continue;
          }
          seen++;
          String source = TailCommand.header(record, DeadLetters.SOURCE_TOPIC);
          Topic<?, ?> target = byName.get(source);
          if (sourceTopic != null && !sourceTopic.equals(source)) {
            skipped++;
          } else if (target == null || record.value() == null) {
            stillBad++;
            out.printf("%d/%d: kept: source topic '%s' is not one of the services' topics%n", record.partition(),
                record.offset(), source);
          } else {
            String problem = decodes(target, record.value());
            if (problem != null) {
              stillBad++;
              out.printf("%d/%d: kept: still does not decode for %s: %s%n", record.partition(), record.offset(),
                  source, problem);
            } else {
              replayed++;
              out.printf("%d/%d: %s %s (key %s)%n", record.partition(), record.offset(),
                  dryRun ? "would replay to" : "replayed to", source,
                  record.key() == null ? "-" : new String(record.key(), java.nio.charset.StandardCharsets.UTF_8));
              if (!dryRun) {
                producer.send(new ProducerRecord<>(source, null, record.key(), record.value(), original(record)));
              }
            }
          }
          if (seen % 1_000 == 0) {
            err.printf("mr: %,d of %,d looked at%n", seen, total);
            err.flush();
          }
        }
      }
      if (!dryRun) {
        producer.flush();
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        partitions.forEach(p -> done.put(p, new OffsetAndMetadata(end.get(p))));
        consumer.commitSync(done);
      }
    }
    out.printf("%s %,d, kept %,d (still undecodable), not selected %,d%n", dryRun ? "would replay" : "replayed",
        replayed, stillBad, skipped);
    out.flush();
    return 0;
  }

  private static String decodes(Topic<?, ?> topic, byte[] value) {
    try {
      topic.deserializeValue(value);
      return null;
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  /** The record's headers without the dlq.* ones. */
  private static RecordHeaders original(ConsumerRecord<byte[], byte[]> record) {
    RecordHeaders headers = new RecordHeaders();
    for (Header header : record.headers()) {
      if (!header.key().startsWith("dlq.")) {
        headers.add(header);
      }
    }
    return headers;
  }
}
