package io.modelrouter.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The worker on a real broker: exactly one result per request, with faults, poison records and crashes. */
@IntegrationTest
class WorkerIT {
  private Topics topics;
  private String prefix;
  private KafkaStack stack;
  private final Map<String, List<InferenceResult>> results = new ConcurrentHashMap<>();
  private final List<UsageEvent> usage = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, List<InferenceResult>> shadowResults = new ConcurrentHashMap<>();
  private final List<ConsumerRecord<byte[], byte[]>> dead = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final List<WorkerService> workers = new ArrayList<>();
  private Thread reader;

  @BeforeEach
  void start(KafkaStack stack) {
    this.stack = stack;
    prefix = stack.uniqueName("worker") + ".";
    topics = stack.createTopics(prefix, 4);
    reader = Thread.ofVirtual().start(this::readOutputs);
  }

  @AfterEach
  void stop() throws InterruptedException {
    workers.forEach(WorkerService::close);
    reading.set(false);
    reader.join(10_000);
  }

  private WorkerService worker(String instance, Map<String, String> extra) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "kafka.bootstrap.servers", stack.bootstrapServers(),
        "schema.registry.url", stack.registryUrl(),
        "topics.prefix", prefix,
        "topics.partitions", "4",
        "worker.group.id", prefix + "workers",
        "worker.instance.id", instance,
        "worker.simulate", "all",
        "simulator.latency", "150",
        "simulator.latency.spread", "0.8",
        "worker.transaction.timeout", "5000"));
    for (String provider : List.of("anthropic", "bedrock")) {
      settings.put("providers." + provider + ".retry.initial.backoff", "20");
      settings.put("providers." + provider + ".retry.max.backoff", "200");
    }
    settings.putAll(extra);
    WorkerService worker = new WorkerService(Settings.of(settings)).start();
    workers.add(worker);
    return worker;
  }

  private List<String> produce(int count, String label) throws Exception {
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < count; i++) {
        String id = label + "-" + i;
        String team = "team-" + (i % 7);
        RoutingDecision decision = SampleRecords.decision();
        decision.setProvider("anthropic");
        decision.setModel("claude-haiku-4-5");
        decision.setProviderModelId("claude-haiku-4-5-20251001");
        decision.setFallbacks(List.of(new ModelRef("bedrock-claude-haiku-4-5", "bedrock", "")));
        RoutedRequest routed = new RoutedRequest(SampleRecords.request(id, team), decision);
        routed.getRequest().setDeadline(null);
        producer.send(new ProducerRecord<>(topics.routed().name(), team, topics.routed().serializeValue(routed)));
        ids.add(id);
      }
      producer.flush();
    }
    return ids;
  }

  @Test
  void aShadowedRequestIsAlsoAnsweredByTheShadowModelOnItsOwnTopicWithUsageTaggedShadow() throws Exception {
    worker("w-shadow", Map.of());
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < 20; i++) {
        String id = "shadowed-" + i;
        RoutingDecision decision = SampleRecords.decision();
        decision.setProvider("anthropic");
        decision.setModel("claude-haiku-4-5");
        decision.setProviderModelId("claude-haiku-4-5-20251001");
        decision.setFallbacks(List.of());
        // every other request is shadowed by claude-sonnet-4-5
        decision.setShadow(i % 2 == 0 ? new ModelRef("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929")
            : null);
        RoutedRequest routed = new RoutedRequest(SampleRecords.request(id, "team-s"), decision);
        routed.getRequest().setDeadline(null);
        producer.send(new ProducerRecord<>(topics.routed().name(), "team-s", topics.routed().serializeValue(routed)));
        ids.add(id);
      }
    }

    await().atMost(Duration.ofSeconds(60)).until(() -> results.keySet().containsAll(ids)
        && shadowResults.size() == 10);
    // The real answers are the routed model's, one each, on llm.results
    for (String id : ids) {
      assertThat(results.get(id)).singleElement().satisfies(r -> assertThat(r.getModel()).isEqualTo("claude-haiku-4-5"));
    }
    // The shadowed half also has the shadow model's answer, on llm.shadow.results only
    assertThat(shadowResults.keySet()).containsExactlyInAnyOrderElementsOf(
        ids.stream().filter(id -> Integer.parseInt(id.substring("shadowed-".length())) % 2 == 0).toList());
    shadowResults.values().forEach(list -> assertThat(list).singleElement().satisfies(r -> {
      assertThat(r.getModel()).isEqualTo("claude-sonnet-4-5");
      assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
    }));
    // and its call is billed as shadow, numbered apart from the real call
    await().atMost(Duration.ofSeconds(30)).until(() -> usage.stream().filter(u -> u.getTeamId().equals("team-s"))
        .count() == 30);
    List<UsageEvent> shadowUsage = usage.stream().filter(u -> u.getTeamId().equals("team-s") && u.getShadow())
        .toList();
    assertThat(shadowUsage).hasSize(10).allSatisfy(u -> {
      assertThat(u.getModel()).isEqualTo("claude-sonnet-4-5");
      assertThat(u.getEventId()).contains("@shadow-");
    });
    assertThat(usage.stream().filter(u -> u.getTeamId().equals("team-s") && !u.getShadow()))
        .hasSize(20).allSatisfy(u -> assertThat(u.getModel()).isEqualTo("claude-haiku-4-5"));
  }

  @Test
  void aUsageEventTheBrokerRefusesHoldsItsResultUntilItIsWrittenNeverCommittedWithoutIt() throws Exception {
    // Given a usage topic that refuses every usage record: too large for its max.message.bytes, an error the
    // producer does not retry itself
    org.apache.kafka.common.config.ConfigResource usageTopic = new org.apache.kafka.common.config.ConfigResource(
        org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topics.usage().name());
    alter(usageTopic, "64");
    WorkerService worker = worker("w-refused", Map.of("simulator.latency", "10"));
    List<String> ids = produce(3, "refused");

    // Then no result is committed while the events cannot be written, and the worker keeps sending them again
    await().atMost(Duration.ofSeconds(30)).until(() -> worker.loop().usage().retries() >= 3);
    assertThat(results.keySet()).doesNotContainAnyElementsOf(ids);

    // When the topic takes them again, every request gets its result, after its usage
    alter(usageTopic, "1048588");
    await().atMost(Duration.ofSeconds(60)).until(() -> results.keySet().containsAll(ids));
    await().atMost(Duration.ofSeconds(10)).until(() -> ids.stream().allMatch(id -> usage.stream()
        .anyMatch(u -> u.getRequestId().equals(id) && u.getFinalCall())));
    ids.forEach(id -> assertThat(results.get(id)).hasSize(1));
  }

  private void alter(org.apache.kafka.common.config.ConfigResource topic, String maxMessageBytes) throws Exception {
    stack.admin().incrementalAlterConfigs(Map.of(topic, List.of(new org.apache.kafka.clients.admin.AlterConfigOp(
        new org.apache.kafka.clients.admin.ConfigEntry("max.message.bytes", maxMessageBytes),
        org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();
  }

  @Test
  void aClusterWideRateIsSplitByThePartitionsEachWorkerOwnsAndFollowsRebalances() {
    // 1,200 calls a minute for anthropic across the cluster, 4 partitions; a 10 s session, so that the group notices
    // the stopped worker (a static member, which does not leave the group when it stops) sooner than after 45 s
    Map<String, String> limited = Map.of("providers.anthropic.cluster.requests.per.minute", "1200",
        "kafka.session.timeout.ms", "10000");
    WorkerService first = worker("w-rate-1", limited);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.resilience().limitPerSecond("anthropic") == 20);
    WorkerService second = worker("w-rate-2", limited);

    // two workers, two partitions each: 600 a minute each, 10 a second
    await().atMost(Duration.ofSeconds(60)).until(() -> first.resilience().limitPerSecond("anthropic") == 10
        && second.resilience().limitPerSecond("anthropic") == 10);

    // one leaves: the other takes every partition and the whole rate
    second.close();
    workers.remove(second);
    await().atMost(Duration.ofSeconds(60)).until(() -> first.resilience().limitPerSecond("anthropic") == 20);
  }

  @Test
  void everyRoutedRequestGetsExactlyOneResultAndEveryCallAUsageEvent() throws Exception {
    // Retries, not the breaker, are under test here: 400 calls start at once and failures answer faster than
    // successes, so a 10-call breaker would open on the first burst (RequestExecutorTest covers the breaker;
    // Resilience4j caps the minimum number of calls at the window size, hence both).
    worker("w-faults", Map.of("simulator.server.errors", "0.2", "simulator.rate.limited", "0.1",
        "simulator.retry.after", "50",
        "providers.anthropic.breaker.window", "5000", "providers.anthropic.breaker.minimum.calls", "5000",
        "providers.bedrock.breaker.window", "5000", "providers.bedrock.breaker.minimum.calls", "5000"));
    List<String> ids = produce(400, "faulty");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.producerConfig(), new StringSerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.routed().name(), "team-x", new byte[] {0, 0, 0, 0, 99, 1})).get();
    }

    await().atMost(Duration.ofSeconds(90)).until(() -> results.keySet().containsAll(ids) && !dead.isEmpty());

    assertThat(ids).allSatisfy(id -> assertThat(results.get(id)).as(id).hasSize(1));
    // With 30% of calls failing, a request fails only when all 6 calls of its chain did (3 per model)
    List<InferenceResult> firstResults = ids.stream().map(id -> results.get(id).get(0)).toList();
    assertThat(firstResults).allSatisfy(r -> {
      if (r.getStatus() != ResultStatus.OK) {
        assertThat(r.getStatus()).isEqualTo(ResultStatus.FAILED);
        assertThat(r.getAttempts()).hasSize(6);
      }
    });
    assertThat(firstResults.stream().filter(r -> r.getStatus() == ResultStatus.OK).count()).isGreaterThan(390);
    long callsMade = ids.stream().flatMap(id -> results.get(id).get(0).getAttempts().stream())
        .filter(a -> a.getOutcome() != AttemptOutcome.CIRCUIT_OPEN && a.getOutcome() != AttemptOutcome.BULKHEAD_FULL)
        .count();
    await().atMost(Duration.ofSeconds(10)).until(() -> usage.size() >= callsMade);
    assertThat(usage).hasSize((int) callsMade);
    assertThat(usage.stream().map(UsageEvent::getEventId).distinct().count()).isEqualTo(callsMade);
    assertThat(usage.stream().filter(UsageEvent::getFinalCall).count()).isEqualTo(ids.size());
    assertThat(callsMade).isGreaterThan(ids.size());
    assertThat(results.get(ids.get(0)).get(0).getSimulated()).isTrue();
    assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.ERROR_CLASS))
        .isEqualTo("io.modelrouter.schemas.serde.UnknownSchemaIdException");
    assertThat(DeadLetters.header(dead.get(0).headers(), DeadLetters.SERVICE)).isEqualTo("worker");
    // Latency histograms per provider and model, breaker states, results by status, consumer lag
    String scrape = workers.get(0).registry().scrape();
    assertThat(scrape).contains("worker_provider_call_seconds_bucket{model=\"claude-haiku-4-5-20251001\",outcome=\"ok\","
        + "provider=\"anthropic\"");
    assertThat(scrape).contains("outcome=\"server_error\"");
    assertThat(scrape).contains("resilience4j_circuitbreaker_state{");
    assertThat(scrape).contains("worker_results_total{model=\"claude-haiku-4-5\",service=\"worker\",status=\"OK\"}");
    assertThat(scrape).contains("kafka_consumer_fetch_manager_records_lag_max");
    assertThat(workers.get(0).health().healthy()).isTrue();
  }

  @Test
  void aCrashedWorkerRestartedUnderItsIdLeavesExactlyOneResultPerRequestAndLosesNoBilledCall() throws Exception {
    Path journal = Files.createTempFile("calls-crashed", ".tsv");
    Path survivors = Files.createTempFile("calls", ".tsv");
    WorkerService first = worker("w-restart", Map.of("simulator.latency", "400",
        "worker.call.journal", journal.toString()));
    List<String> ids = produce(1_500, "restart");
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() >= 300);

    Instant crashFrom = Instant.now();
    first.crash();
    int seenAtCrash = results.size();
    WorkerService second = worker("w-restart", Map.of("simulator.latency", "100",
        "worker.call.journal", survivors.toString()));

    await().atMost(Duration.ofSeconds(90)).until(() -> results.keySet().containsAll(ids));
    assertThat(seenAtCrash).isLessThan(ids.size());
    assertThat(ids).allSatisfy(id -> assertThat(results.get(id)).as(id).hasSize(1));
    assertThat(results).hasSize(ids.size());
    assertEveryBilledCallIsInUsage(journal, first, crashFrom, survivors, List.of(second), true);
  }

  @Test
  void aCrashedWorkersPartitionsGoToAnotherWorkerWithExactlyOneResultPerRequest() throws Exception {
    Path journal = Files.createTempFile("calls-crashed", ".tsv");
    Path survivors = Files.createTempFile("calls", ".tsv");
    Map<String, String> fastFailover = Map.of("kafka.session.timeout.ms", "6000", "simulator.latency", "400");
    WorkerService crashed = worker("w-a", with(fastFailover, "worker.call.journal", journal.toString()));
    WorkerService survivor = worker("w-b", with(fastFailover, "worker.call.journal", survivors.toString()));
    List<String> ids = produce(1_500, "failover");
    await().atMost(Duration.ofSeconds(60)).until(() -> results.size() >= 300);

    Instant crashFrom = Instant.now();
    crashed.crash();

    await().atMost(Duration.ofSeconds(120)).until(() -> results.keySet().containsAll(ids));
    assertThat(ids).allSatisfy(id -> assertThat(results.get(id)).as(id).hasSize(1));
    assertThat(results).hasSize(ids.size());
    assertEveryBilledCallIsInUsage(journal, crashed, crashFrom, survivors, List.of(survivor), false);
  }

  /**
   * The calls the providers answered (each worker's call journal) against the usage events on the topic, told apart by
   * the execution ids in the event ids. A worker that did not crash has a usage event for every call it had
   * answered, exactly. The crashed one has one for every call answered before the crash, except at most those its
   * producer had not delivered when the crash closed it (and those answered in the crash's last 50 ms, still on
   * their way from the call to the producer); calls its threads saw answered after the crash are not counted (a
   * killed process sees none). No usage event stands for a call that was not answered, and none is there twice. The
   * requests the crash cut short after their calls were answered are executed again: billed twice, counted twice.
   * A worker restarted under the crashed one's id writes what its usage journal kept ({@code restartedUnderItsId}):
   * then no call answered before the crash is missing at all.
   */
  private void assertEveryBilledCallIsInUsage(Path crashedJournal, WorkerService crashed, Instant crashedAt,
      Path survivorsJournal, List<WorkerService> survivors, boolean restartedUnderItsId) throws Exception {
    Map<String, Integer> beforeCrash = answered(crashedJournal, Instant.MIN, crashedAt.minusMillis(50));
    Map<String, Integer> crashedAll = answered(crashedJournal, Instant.MIN, Instant.MAX);
    Map<String, Integer> survived = answered(survivorsJournal, Instant.MIN, Instant.MAX);
    int lost = lostAt(crashed);
    String crashedRun = "@" + crashed.loop().usage().run() + ".";
    List<String> survivorRuns = survivors.stream().map(w -> "@" + w.loop().usage().run() + ".").toList();
    int survivorsAnswered = sum(survived);
    await().atMost(Duration.ofSeconds(20)).until(() -> sum(calls(survivorRuns)) >= survivorsAnswered);
    Map<String, Integer> crashedCounted = calls(List.of(crashedRun));
    Map<String, Integer> survivorsCounted = calls(survivorRuns);
    int missing = 0;
    for (Map.Entry<String, Integer> call : beforeCrash.entrySet()) {
      missing += Math.max(0, call.getValue() - crashedCounted.getOrDefault(call.getKey(), 0));
    }
    System.out.printf("worker crash: crashed worker answered %d calls before the crash (%d in all), has %d usage "
        + "events of answered calls, %d missing, %d lost with its producer; the others answered %d and have %d; "
        + "%d results%n", sum(beforeCrash), sum(crashedAll), sum(crashedCounted), missing, lost, survivorsAnswered,
        sum(survivorsCounted), results.size());
    synchronized (usage) {
      assertThat(usage.stream().map(UsageEvent::getEventId).distinct().count()).isEqualTo(usage.size());
    }
    assertThat(survivorsCounted).as("the surviving workers' usage of answered calls").isEqualTo(survived);
    crashedCounted.forEach((call, n) -> assertThat(n).as("usage events of call " + call)
        .isLessThanOrEqualTo(crashedAll.getOrDefault(call, 0)));
    assertThat(missing).as("calls the crashed worker had answered without a usage event").isLessThanOrEqualTo(lost);
    if (restartedUnderItsId) {
      assertThat(missing).as("calls answered before the crash without a usage event, after the restarted worker"
          + " wrote what the usage journal kept (%d lost with the crashed producer)", lost).isZero();
    }
    // Every request was answered at least once. Requests answered, then cut short by the crash before their result
    // was committed, are executed again (billed twice, counted twice) - but only those whose journal lines the
    // crashed worker had flushed show here: its last lines may be lost with it, as its last usage events may be
    // ('lost' above), so a run where none shows is possible and the re-executions are reported, not required.
    assertThat(sum(crashedAll) + survivorsAnswered).isGreaterThanOrEqualTo(results.size());
    System.out.printf("worker crash: %d calls answered twice (before and after the crash)%n",
        sum(crashedAll) + survivorsAnswered - results.size());
  }

  /** Calls answered OK in a call journal between two instants, by {@code <requestId>#<call>}. */
  private static Map<String, Integer> answered(Path journal, Instant from, Instant to) throws Exception {
    Map<String, Integer> answered = new HashMap<>();
    for (CallJournal.Call call : CallJournal.read(journal)) {
      if (call.answered() && !call.time().isBefore(from) && !call.time().isAfter(to)) {
        answered.merge(call.key(), 1, Integer::sum);
      }
    }
    return answered;
  }

  /** The usage events of answered calls written by these worker runs, by {@code <requestId>#<call>}. */
  private Map<String, Integer> calls(List<String> runs) {
    Map<String, Integer> counted = new HashMap<>();
    synchronized (usage) {
      for (UsageEvent event : usage) {
        String id = event.getEventId();
        if (event.getOutcome() == AttemptOutcome.OK && runs.stream().anyMatch(id::contains)) {
          counted.merge(event.getRequestId() + "#" + id.substring(id.lastIndexOf('#') + 1, id.indexOf('@')), 1,
              Integer::sum);
        }
      }
    }
    return counted;
  }

  private static int sum(Map<String, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  private static Map<String, String> with(Map<String, String> settings, String key, String value) {
    Map<String, String> all = new HashMap<>(settings);
    all.put(key, value);
    return all;
  }

  /** Events of answered calls the crashed worker's producer never delivered (it was closed under them). */
  private static int lostAt(WorkerService crashed) {
    return (int) crashed.loop().usage().failedAnswered();
  }

  private void readOutputs() {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(stack.consumerConfig(prefix + "reader"),
        new StringDeserializer(), new ByteArrayDeserializer());
        KafkaConsumer<byte[], byte[]> dlq = new KafkaConsumer<>(stack.consumerConfig(prefix + "dlq-reader"),
            new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      // assigned, not subscribed: a group rebalance of the reader (a starved heartbeat on a busy machine) would hand
      // it records it had already read, and a usage event or a result would be counted twice
      List<org.apache.kafka.common.TopicPartition> outputs = new ArrayList<>();
      for (String topic : List.of(topics.results().name(), topics.usage().name(), topics.shadowResults().name())) {
        consumer.partitionsFor(topic).forEach(p -> outputs.add(new org.apache.kafka.common.TopicPartition(topic,
            p.partition())));
      }
      consumer.assign(outputs);
      consumer.seekToBeginning(outputs);
      List<org.apache.kafka.common.TopicPartition> deadLetters = new ArrayList<>();
      dlq.partitionsFor(topics.dlq().name()).forEach(p -> deadLetters.add(new org.apache.kafka.common.TopicPartition(
          topics.dlq().name(), p.partition())));
      dlq.assign(deadLetters);
      dlq.seekToBeginning(deadLetters);
      while (reading.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(topics.results().name())) {
            InferenceResult result = topics.results().deserializeValue(record.value());
            results.computeIfAbsent(result.getRequestId(), id -> Collections.synchronizedList(new ArrayList<>()))
                .add(result);
          } else if (record.topic().equals(topics.shadowResults().name())) {
            InferenceResult result = topics.shadowResults().deserializeValue(record.value());
            shadowResults.computeIfAbsent(result.getRequestId(), id -> Collections.synchronizedList(new ArrayList<>()))
                .add(result);
          } else {
            usage.add(topics.usage().deserializeValue(record.value()));
          }
        }
        dlq.poll(Duration.ofMillis(10)).forEach(dead::add);
      }
    }
  }
}
