package io.modelrouter.bench;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.local.LocalStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import io.modelrouter.schemas.fuzz.HostileHttp;
import io.modelrouter.schemas.fuzz.HostileJson;
import io.modelrouter.schemas.fuzz.PolicyDocuments;
import io.modelrouter.schemas.fuzz.WireMutations;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Generated hostile input on every surface of the whole system at once: the local stack (embedded broker and
 * registry, router, worker on simulated providers, usage aggregator, learner, budget-service) gets malformed records
 * ({@link WireMutations}) on each consumer's input topic mixed with valid ones, and hostile HTTP requests
 * ({@link HostileHttp}) on every route of budget-service; the policy, budget and catalog parsers get hostile JSON
 * ({@link HostileJson}). Properties: every record on {@code llm.requests} and {@code llm.requests.routed} ends in
 * exactly one result or one DLQ record (its bytes, its source, its owner's name, the error); a DLQ record only ever
 * comes from a record sent (never from one a service wrote); valid usage is counted exactly; every HTTP answer is a
 * 2xx or a 4xx with a JSON error; every document is accepted or refused naming JSON paths; and afterwards every
 * service is healthy, no stream thread was replaced, and new requests are served.
 *
 * <p>Everything is drawn from one seed, printed first: {@code bench/run FuzzBenchmark --seed S} replays a run with
 * the same input. {@code ./mvnw verify} runs it with a fixed seed and a small budget ({@code HostileInputIT}).
 *
 * <pre>bench/run FuzzBenchmark [--seed random|S] [--records 4000] [--http 1000] [--documents 30000]</pre>
 */
public final class FuzzBenchmark {
  static final String ADMIN = "fuzz-admin-t0ken";
  static final String TEAM = "fuzz-ok";
  static final String TEAM_TOKEN = "fuzz-ok-t0ken";
  /** The team of the valid usage records (not {@link #TEAM}: the worker bills that team's valid requests). */
  static final String USAGE_TEAM = "fuzz-usage";
  /**
   * The team of the requests sent after it all (not {@link #TEAM}: the HTTP phase may have given that one a budget
   * its requests exceed, and a paused team is not a broken router).
   */
  static final String AFTER_TEAM = "fuzz-after";
  /** The team of mutated records (a mutation cannot turn it into another: the lengths differ). */
  static final String MUTATED_TEAM = "fuzz-mutated";
  private static final Duration SETTLE = Duration.ofSeconds(180);

  private FuzzBenchmark() {}

  /** How much to generate, from which seed. */
  public record Options(long seed, int records, int http, int documents) {}

  /** What a run found: each failure names its case and the seed; the lines are the summary. */
  public record Report(long seed, List<String> failures, List<String> lines) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  public static void main(String[] args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("seed", "random", "records", "4000", "http", "1000",
        "documents", "30000"));
    long seed = options.string("seed").equals("random") ? new SecureRandom().nextLong()
        : Long.parseLong(options.string("seed"));
    System.out.println("fuzz seed " + seed + "   (replay: bench/run FuzzBenchmark --seed " + seed + " " + options
        .toString().replaceAll("seed=[^,}]*,? ?", "").replaceAll("[{}]", "").replaceAll("(\\w+)=", "--$1 ")
        .replace(",", "") + ")");
    Path data = Files.createTempDirectory("model-router-fuzz-");
    Report report = run(new Options(seed, options.integer("records"), options.integer("http"),
        options.integer("documents")), data);
    report.lines().forEach(System.out::println);
    if (!report.passed()) {
      System.out.println(report.failures().size() + " FAILURES (seed " + seed + "):");
      report.failures().stream().limit(50).forEach(f -> System.out.println("  " + f));
      System.exit(1);
    }
    System.out.println("no failures (seed " + seed + ")");
    System.exit(0);
  }

  /** Runs every surface with {@code options}, the local stack's data under {@code data}. */
  public static Report run(Options options, Path data) throws Exception {
    List<String> failures = new ArrayList<>();
    List<String> lines = new ArrayList<>();
    documents(options, failures, lines);
    int kafkaPort = FreePorts.pair();
    Settings settings = Settings.of(Map.ofEntries(
        Map.entry("local.data.dir", data.toString()),
        Map.entry("local.kafka.port", Integer.toString(kafkaPort)),
        Map.entry("local.registry.port", Integer.toString(FreePorts.any())),
        Map.entry("local.demo", "false"),
        Map.entry("local.summary.interval", "PT1H"),
        Map.entry("budget.http.port", "0"),
        Map.entry("budget.admin.token", ADMIN),
        Map.entry("budget.team.tokens", TEAM + "=" + TEAM_TOKEN),
        Map.entry("router.metrics.port", "0"),
        Map.entry("worker.metrics.port", "0"),
        Map.entry("aggregator.metrics.port", "0"),
        Map.entry("learner.metrics.port", "0"),
        Map.entry("worker.simulate", "all"),
        Map.entry("simulator.latency", "20"),
        Map.entry("router.learned.preload", "false")));
    long heapBefore = usedHeapMb();
    try (LocalStack stack = new LocalStack(settings, new PrintStream(OutputStream.nullOutputStream())).start()) {
      Topics topics = CommonSettings.topics(stack.settings());
      String bootstrap = stack.settings().get(CommonSettings.BOOTSTRAP_SERVERS);
      Set<String> threadsBefore = streamThreads();
      records(options, topics, bootstrap, failures, lines);
      http(options, stack.httpPort(), failures, lines);
      alive(stack, topics, bootstrap, threadsBefore, failures, lines);
    }
    lines.add(String.format(Locale.ROOT, "heap in use after GC: %,d MB before the stack started, %,d MB after it "
        + "stopped", heapBefore, usedHeapMb()));
    return new Report(options.seed(), List.copyOf(failures), List.copyOf(lines));
  }

  /** Hostile routing policies, budgets and catalog entries: each accepted, or refused naming JSON paths. */
  static void documents(Options options, List<String> failures, List<String> lines) {
    Random random = new Random(options.seed());
    PolicyDocuments.Kind[] kinds = PolicyDocuments.Kind.values();
    Map<String, Integer> accepted = new TreeMap<>();
    Map<String, Integer> refused = new TreeMap<>();
    long started = System.nanoTime();
    for (int i = 0; i < options.documents(); i++) {
      PolicyDocuments.Kind kind = kinds[i % kinds.length];
      String text = HostileJson.mutate(kind.sample(), random);
      PolicyDocuments.Outcome outcome = PolicyDocuments.check(kind, text);
      (outcome.accepted() ? accepted : refused).merge(kind.label(), 1, Integer::sum);
      if (outcome.problem() != null) {
        failures.add("document #" + i + " (" + kind.label() + "): " + outcome.problem() + ": " + cut(text));
      }
    }
    lines.add(String.format(Locale.ROOT, "documents: %,d in %.1f s; accepted %s; refused naming paths %s",
        options.documents(), (System.nanoTime() - started) / 1e9, accepted, refused));
  }

  /** A record sent: which input, its index, what was done to it, its bytes. */
  private record Sent(String input, int index, String mutation, byte[] value) {}

  static void records(Options options, Topics topics, String bootstrap, List<String> failures, List<String> lines)
      throws Exception {
    Random random = new Random(options.seed() + 1);
    String[] inputs = {topics.requests().name(), topics.routed().name(), topics.usage().name(),
        topics.feedback().name()};
    Map<String, String> owners = Map.of(inputs[0], "router", inputs[1], "worker", inputs[2], "usage-aggregator",
        inputs[3], "learner");
    Map<String, Sent> sent = new HashMap<>();
    List<String> validIds = new ArrayList<>();
    long validInputTokens = 0;
    int answerable = 0;
    Instant now = Instant.now();
    long started = System.nanoTime();
    Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
        new ByteArraySerializer())) {
      Map<Future<RecordMetadata>, Sent> sends = new HashMap<>();
      for (int i = 0; i < options.records(); i++) {
        int input = i % 4;
        boolean valid = random.nextInt(4) == 0;
        String team = !valid ? MUTATED_TEAM : input == 2 ? USAGE_TEAM : TEAM;
        // valid and mutated records' ids differ in length and in their first characters, so that a mutation (found by
        // a 60,000-record run: a flipped digit) cannot turn a mutated record's id into a valid one's
        String id = (valid ? "fz-" : "mutated-") + options.seed() + "-" + i;
        byte[] base = switch (input) {
          case 0 -> topics.requests().serializeValue(request(id, team));
          case 1 -> topics.routed().serializeValue(new RoutedRequest(request(id, team), SampleRecords.decision()));
          case 2 -> topics.usage().serializeValue(UsageEvent.newBuilder(SampleRecords.usage()).setEventId(id + "#1")
              .setRequestId(id).setTeamId(team).setInputTokens(100 + i).setEventTime(now).build());
          default -> topics.feedback().serializeValue(FeedbackEvent.newBuilder(SampleRecords.feedback())
              .setFeedbackId(id).setRequestId("fz-unknown-" + i).setTeamId(team).setEventTime(now).build());
        };
        String mutation;
        byte[] value;
        if (valid) {
          mutation = "none";
          value = base;
          if (input < 2) {
            validIds.add(id);
          } else if (input == 2) {
            validInputTokens += 100 + i;
          }
        } else if (random.nextInt(50) == 0) {
          mutation = "tombstone";
          value = null;
        } else {
          int kind = random.nextInt(WireMutations.KINDS);
          mutation = "mutation " + kind;
          value = WireMutations.mutate(base, kind, random);
        }
        if (input < 2) {
          answerable++;
        }
        Sent record = new Sent(inputs[input], i, mutation, value);
        sends.put(producer.send(new ProducerRecord<>(inputs[input], team, value)), record);
      }
      for (Map.Entry<Future<RecordMetadata>, Sent> send : sends.entrySet()) {
        RecordMetadata metadata = send.getKey().get();
        sent.put(metadata.topic() + "-" + metadata.partition() + "@" + metadata.offset(), send.getValue());
      }
    }
    double sendSeconds = (System.nanoTime() - started) / 1e9;

    // Read what came out until every answerable record is accounted for and the valid usage is counted
    Map<String, Integer> resultsById = new HashMap<>();
    Map<String, Integer> statuses = new TreeMap<>();
    Map<String, String> examples = new TreeMap<>();
    List<ConsumerRecord<String, byte[]>> dead = new ArrayList<>();
    Map<String, Long> totals = new HashMap<>();
    int results = 0;
    try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, "fuzz-outputs-" + options.seed())) {
      consumer.subscribe(List.of(topics.results().name(), topics.dlq().name(), topics.usageTotals().name()));
      long deadline = System.nanoTime() + SETTLE.toNanos();
      long settledAt = -1;
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.topic().equals(topics.results().name())) {
            InferenceResult result = topics.results().deserializeValue(record.value());
            results++;
            resultsById.merge(result.getRequestId(), 1, Integer::sum);
            String status = result.getStatus() + (result.getErrorCode() == null ? "" : " " + result.getErrorCode());
            statuses.merge(status, 1, Integer::sum);
            if (result.getStatus() != ResultStatus.OK) {
              examples.putIfAbsent(status, cut(String.valueOf(result.getErrorMessage())));
            }
          } else if (record.topic().equals(topics.dlq().name())) {
            dead.add(record);
          } else if (record.value() != null && record.key().startsWith(USAGE_TEAM + "|DAILY|")) {
            UsageTotals value = topics.usageTotals().deserializeValue(record.value());
            totals.put(record.key(), value.getInputTokens());
          }
        }
        long deadAnswerable = dead.stream().filter(d -> isAnswerable(d, inputs)).count();
        boolean settled = results + deadAnswerable >= answerable
            && totals.values().stream().mapToLong(Long::longValue).sum() >= validInputTokens;
        if (settled && settledAt < 0) {
          settledAt = System.nanoTime(); // then 3 s more, for anything that would come twice
        }
        if (settledAt > 0 && System.nanoTime() - settledAt > 3_000_000_000L) {
          break;
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;

    // Every DLQ record came from a record sent, once, with its bytes, its owner's name and the error
    Map<String, Integer> deadBySource = new HashMap<>();
    Map<String, Integer> deadByReason = new TreeMap<>();
    for (ConsumerRecord<String, byte[]> letter : dead) {
      String source = DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC) + "-"
          + DeadLetters.header(letter.headers(), DeadLetters.SOURCE_PARTITION) + "@"
          + DeadLetters.header(letter.headers(), DeadLetters.SOURCE_OFFSET);
      String service = DeadLetters.header(letter.headers(), DeadLetters.SERVICE);
      String error = DeadLetters.header(letter.headers(), DeadLetters.ERROR_CLASS);
      deadByReason.merge(service + " " + (error == null ? "?" : error.replaceAll(".*\\.", "")), 1, Integer::sum);
      Sent origin = sent.get(source);
      if (origin == null) {
        failures.add("a DLQ record from " + source + ", which the fuzz run did not write (" + service + ": "
            + DeadLetters.header(letter.headers(), DeadLetters.ERROR_MESSAGE) + ")");
        continue;
      }
      String what = origin.input() + " record #" + origin.index() + " (" + origin.mutation() + ")";
      if (deadBySource.merge(source, 1, Integer::sum) == 2) {
        failures.add(what + ": dead-lettered more than once");
      }
      if (!owners.get(origin.input()).equals(service)) {
        failures.add(what + ": dead-lettered by " + service + ", not by " + owners.get(origin.input()));
      }
      if (DeadLetters.header(letter.headers(), DeadLetters.ERROR_MESSAGE) == null || error == null) {
        failures.add(what + ": a DLQ record without dlq.error.class or dlq.error.message");
      }
      if (!Arrays.equals(letter.value(), origin.value())) {
        failures.add(what + ": the DLQ record does not hold the bytes sent");
      }
      if (origin.mutation().equals("none")) {
        failures.add(what + ": a valid record was dead-lettered: "
            + DeadLetters.header(letter.headers(), DeadLetters.ERROR_MESSAGE));
      }
    }
    long deadAnswerable = dead.stream().filter(d -> isAnswerable(d, inputs)).count();
    if (results + deadAnswerable != answerable) {
      failures.add(String.format(Locale.ROOT, "%,d records on %s and %s ended in %,d results and %,d DLQ records: "
          + "%s", answerable, inputs[0], inputs[1], results, deadAnswerable,
          results + deadAnswerable < answerable ? "some have no outcome" : "some have two"));
    }
    for (String id : validIds) {
      int count = resultsById.getOrDefault(id, 0);
      if (count != 1) {
        failures.add("valid request " + id + ": " + count + " results");
      }
    }
    long counted = totals.values().stream().mapToLong(Long::longValue).sum();
    if (counted != validInputTokens) {
      failures.add(String.format(Locale.ROOT, "valid usage of %s: %,d input tokens sent, %,d counted", USAGE_TEAM,
          validInputTokens, counted));
    }
    Map<String, Long> mutations = sent.values().stream().collect(Collectors.groupingBy(Sent::mutation, TreeMap::new,
        Collectors.counting()));
    lines.add(String.format(Locale.ROOT, "records: %,d sent in %.1f s to %d inputs (%s), all accounted for in %.1f s:"
        + " results %s; dead-lettered %s; valid usage %,d input tokens, counted %,d", options.records(), sendSeconds,
        inputs.length, mutations, seconds, statuses, deadByReason, validInputTokens, counted));
    examples.forEach((status, message) -> lines.add("  e.g. " + status + ": " + message));
  }

  private static boolean isAnswerable(ConsumerRecord<String, byte[]> letter, String[] inputs) {
    String topic = DeadLetters.header(letter.headers(), DeadLetters.SOURCE_TOPIC);
    return inputs[0].equals(topic) || inputs[1].equals(topic);
  }

  /** Hostile HTTP requests on every route of budget-service: a 2xx, or a 4xx with a JSON error; nothing else. */
  static void http(Options options, int port, List<String> failures, List<String> lines) throws IOException {
    Random random = new Random(options.seed() + 2);
    Map<Integer, Integer> statuses = new TreeMap<>();
    long started = System.nanoTime();
    for (int i = 0; i < options.http(); i++) {
      String request = HostileHttp.request(random, ADMIN, TEAM, TEAM_TOKEN);
      HostileHttp.Answer answer = HostileHttp.exchange(port, request);
      statuses.merge(answer.status(), 1, Integer::sum);
      String problem = answer.problem(request);
      if (problem != null) {
        failures.add("HTTP request #" + i + " " + HostileHttp.firstLine(request) + ": " + problem);
      }
    }
    lines.add(String.format(Locale.ROOT, "http: %,d requests in %.1f s on budget-service's routes; statuses %s",
        options.http(), (System.nanoTime() - started) / 1e9, statuses));
  }

  /** After it all: every service healthy, no stream thread replaced, and new requests served. */
  static void alive(LocalStack stack, Topics topics, String bootstrap, Set<String> threadsBefore,
      List<String> failures, List<String> lines) throws Exception {
    for (Map.Entry<String, Integer> service : new TreeMap<>(stack.metricsPorts()).entrySet()) {
      HttpURLConnection health = (HttpURLConnection) URI.create("http://localhost:" + service.getValue() + "/health")
          .toURL().openConnection();
      if (health.getResponseCode() != 200) {
        failures.add(service.getKey() + " is not healthy after the run: " + health.getResponseCode());
      }
      health.disconnect();
    }
    Set<String> threadsAfter = streamThreads();
    if (!threadsAfter.equals(threadsBefore)) {
      failures.add("stream threads changed (a thread failed and was replaced): before " + threadsBefore + ", after "
          + threadsAfter);
    }
    Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
        new ByteArraySerializer());
        KafkaConsumer<String, byte[]> consumer = consumer(bootstrap, "fuzz-after-" + System.nanoTime())) {
      consumer.subscribe(List.of(topics.results().name()));
      for (int i = 0; i < 20; i++) {
        String id = "fz-after-" + i;
        ids.add(id);
        producer.send(new ProducerRecord<>(topics.requests().name(), AFTER_TEAM,
            topics.requests().serializeValue(request(id, AFTER_TEAM)))).get();
      }
      Map<String, ResultStatus> answered = new HashMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (answered.size() < ids.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          InferenceResult result = topics.results().deserializeValue(record.value());
          if (ids.contains(result.getRequestId())) {
            answered.put(result.getRequestId(), result.getStatus());
          }
        }
      }
      long ok = answered.values().stream().filter(s -> s == ResultStatus.OK).count();
      if (ok != ids.size()) {
        failures.add("after the run, " + ok + " of " + ids.size() + " new requests were served OK: " + answered);
      }
      lines.add("after: services " + new TreeMap<>(stack.metricsPorts()).keySet() + " healthy, stream threads "
          + threadsAfter.size() + " unchanged, " + ok + "/" + ids.size() + " new requests served OK");
    }
  }

  private static InferenceRequest request(String id, String team) {
    return InferenceRequest.newBuilder(SampleRecords.request(id, team)).setModel("auto").setSessionId(null)
        .setCreatedAt(Instant.now())
        .setTaskType("interactiveChat").setTier("pro").setDeadline(null).build();
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap, String group) {
    return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  private static Set<String> streamThreads() {
    return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(name -> name.contains("StreamThread")).collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private static long usedHeapMb() {
    System.gc();
    Runtime runtime = Runtime.getRuntime();
    return (runtime.totalMemory() - runtime.freeMemory()) / (1024 * 1024);
  }

  private static String cut(String text) {
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }
}
