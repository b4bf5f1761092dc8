package io.modelrouter.local;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo of routing that learns: one team whose policy uses the {@code learned} strategy (with 10% exploration)
 * runs a pipeline over the demo prompts ({@code exemplars/demo.jsonl}, each labelled with the tier it needs). As a
 * CI job reports whether the change it produced passed, the pipeline judges each answer: it passes when the tier the
 * router sent it to is at least the prompt's label, and the pass or fail goes to {@code llm.feedback}. The learner
 * turns it into new versions of the team's model, which the router picks up; the console shows the last 200
 * judged requests against the first 200: the share sent to exactly the tier they need, the pass rate, and the cost
 * against sending everything to the frontier model.
 */
public final class LearningDemo implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LearningDemo.class);
  public static final String TEAM = "team-learner";
  /** The prompts the pipeline draws from; never part of the shipped model's exemplars. */
  public static final String PROMPTS = "/exemplars/demo.jsonl";
  static final int WINDOW = 200;
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);

  /** One judged request. */
  record Judged(boolean rightTier, boolean passed, long costMicros, long frontierCostMicros) {}

  /** The numbers the console shows: the first and the latest window of judged requests. */
  record Snapshot(long sent, long judged, Window first, Window last, String modelVersion) {}

  record Window(int n, double rightTier, double passRate, double costShare) {
    static Window of(List<Judged> judged) {
      if (judged.isEmpty()) {
        return new Window(0, 0, 0, 0);
      }
      long right = judged.stream().filter(Judged::rightTier).count();
      long passed = judged.stream().filter(Judged::passed).count();
      long cost = judged.stream().mapToLong(Judged::costMicros).sum();
      long frontier = judged.stream().mapToLong(Judged::frontierCostMicros).sum();
      return new Window(judged.size(), (double) right / judged.size(), (double) passed / judged.size(),
          frontier == 0 ? 0 : (double) cost / frontier);
    }
  }

  private final Topics topics;
  private final Map<String, Object> producerConfig;
  private final Map<String, Object> consumerConfig;
  private final URI budgetService;
  private final String adminToken;
  private final double rate;
  private final PrintStream out;
  private final Duration interval;
  private final ModelSpec frontier;
  private final List<Exemplar> prompts;
  private final Map<String, Exemplar> inFlight = new ConcurrentHashMap<>();
  private final List<Judged> first = new ArrayList<>();
  private final Deque<Judged> last = new ArrayDeque<>();
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile long sent;
  private volatile long judged;
  private volatile String modelVersion = "-";
  private Thread sender;
  private Thread judge;

  public LearningDemo(Topics topics, Map<String, Object> producerConfig, Map<String, Object> consumerConfig,
      URI budgetService, String adminToken, double rate, Map<String, ModelSpec> catalog, PrintStream out,
      Duration interval) {
    this.topics = topics;
    this.producerConfig = new HashMap<>(producerConfig);
    this.consumerConfig = new HashMap<>(consumerConfig);
    this.budgetService = budgetService;
    this.adminToken = adminToken;
    this.rate = rate;
    this.out = out;
    this.interval = interval;
    this.frontier = ConsoleSummary.frontierModel(catalog);
    this.prompts = Exemplar.load(PROMPTS);
  }

  /**
   * The team's routing policy: the shipped one with the learned strategy's embedding model (the one that learns from
   * feedback) at target 0.7 and 10% exploration.
   */
  static RoutingPolicy policy() {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.setTeamId(TEAM);
    policy.getAuto().setStrategy(AutoStrategy.LEARNED);
    policy.getAuto().setModel("embedding");
    policy.getAuto().setQualityTarget(0.7);
    policy.getAuto().setExplore(0.1);
    return policy;
  }

  public LearningDemo start() {
    sender = Thread.ofPlatform().name("learning-demo").daemon(true).start(this::send);
    judge = Thread.ofPlatform().name("learning-demo-judge").daemon(true).start(this::judge);
    return this;
  }

  private void send() {
    producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "learning-demo");
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
        new ByteArraySerializer())) {
      if (!putPolicy()) {
        return;
      }
      String run = Long.toString(System.currentTimeMillis(), 36);
      SplittableRandom random = new SplittableRandom(run.hashCode());
      long intervalNanos = Math.round(1e9 / rate);
      for (long n = 0; ; n++) {
        if (stop.await(intervalNanos, TimeUnit.NANOSECONDS)) {
          return;
        }
        Exemplar prompt = prompts.get(random.nextInt(prompts.size()));
        String id = "learn-" + run + "-" + n;
        inFlight.put(id, prompt);
        InferenceRequest request = InferenceRequest.newBuilder().setRequestId(id).setTeamId(TEAM)
            .setPipelineId("learning-demo").setSessionId(null).setTaskType(prompt.taskType()).setTier("power")
            .setMessages(List.of(new Message(Role.USER, prompt.prompt(), List.of()))).setSystemPrompt(prompt.system())
            .setMaxTokens(null).setTemperature(null).setModel("auto").setPriority(Priority.INTERACTIVE)
            .setDeadline(null).setMetadata(Map.of("demo", "learning")).setCreatedAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(topics.requests().name(), TEAM, topics.requests().serializeValue(request)));
        sent++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("learning demo stopped sending: {}", e.toString(), e);
    }
  }

  /** Reads the team's results, judges them, reports each as feedback, and prints the progress. */
  private void judge() {
    consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumerConfig.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "learning-demo-judge");
    producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "learning-demo-feedback");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(),
        new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerConfig, new StringSerializer(),
            new ByteArraySerializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      while (partitions.isEmpty()) {
        consumer.partitionsFor(topics.results().name()).forEach(p -> partitions.add(new TopicPartition(p.topic(),
            p.partition())));
        if (partitions.isEmpty() && stop.await(1, TimeUnit.SECONDS)) {
          return;
        }
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      long nextPrint = System.nanoTime() + interval.toNanos();
      while (stop.getCount() > 0) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (TEAM.equals(record.key())) {
            judge(topics.results().deserializeValue(record.value()), producer);
          }
        }
        if (System.nanoTime() - nextPrint >= 0) {
          out.print(render(snapshot()));
          out.flush();
          nextPrint = System.nanoTime() + interval.toNanos();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("learning demo stopped judging: {}", e.toString(), e);
    }
  }

  private void judge(InferenceResult result, KafkaProducer<String, byte[]> producer) {
    Exemplar prompt = inFlight.remove(result.getRequestId());
    if (prompt == null || result.getStatus() != ResultStatus.OK) {
      return;
    }
    Tier tier = Tier.ofProfile(result.getProfile());
    if (tier == null) {
      return;
    }
    boolean passed = tier.ordinal() >= prompt.tier().ordinal();
    String reason = result.getRoutingReason() == null ? "" : result.getRoutingReason();
    int at = reason.indexOf("learned ");
    if (at >= 0) {
      int end = reason.indexOf(':', at);
      modelVersion = end > at ? reason.substring(at + "learned ".length(), end) : modelVersion;
    }
    FeedbackEvent feedback = new FeedbackEvent("ci:" + result.getRequestId(), result.getRequestId(), TEAM, null,
        passed ? 1.0 : 0.0, FeedbackSource.TEST, null, passed ? "CI passed" : "CI failed", Instant.now());
    producer.send(new ProducerRecord<>(topics.feedback().name(), TEAM, topics.feedback().serializeValue(feedback)));
    TokenUsage usage = result.getUsage();
    long frontierCost = usage == null || frontier == null ? 0 : Pricing.costMicros(frontier, usage.getInputTokens(),
        usage.getOutputTokens(), usage.getCachedInputTokens());
    Judged one = new Judged(tier == prompt.tier(), passed, result.getCostMicros(), frontierCost);
    synchronized (this) {
      judged++;
      if (first.size() < WINDOW) {
        first.add(one);
      }
      last.addLast(one);
      if (last.size() > WINDOW) {
        last.removeFirst();
      }
    }
  }

  synchronized Snapshot snapshot() {
    return new Snapshot(sent, judged, Window.of(first), Window.of(new ArrayList<>(last)), modelVersion);
  }

  static String render(Snapshot s) {
    if (s.judged() == 0) {
      return String.format(Locale.ROOT, "learning demo (%s): %d sent, none judged yet%n", TEAM, s.sent());
    }
    return String.format(Locale.ROOT, "learning demo (%s, model %s): %,d judged | first %d: right tier %.0f%%, CI "
            + "pass %.0f%%, cost %.0f%% of all-frontier | last %d: right tier %.0f%%, CI pass %.0f%%, cost %.0f%%%n",
        TEAM, s.modelVersion(), s.judged(), s.first().n(), 100 * s.first().rightTier(), 100 * s.first().passRate(),
        100 * s.first().costShare(), s.last().n(), 100 * s.last().rightTier(), 100 * s.last().passRate(),
        100 * s.last().costShare());
  }

  /** Puts the team's learned policy through budget-service, retrying until it answers; false when closed. */
  private boolean putPolicy() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
    String body = PolicyJson.toJson(policy()).toString();
    for (long backoff = 250; ; backoff = Math.min(5_000, backoff * 2)) {
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(budgetService.resolve("/teams/" + TEAM
                + "/policy")).timeout(HTTP_TIMEOUT).header("Authorization", "Bearer " + adminToken)
            .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          LOG.info("learning demo: {} routes with the learned strategy; its pipeline reports CI outcomes", TEAM);
          return true;
        }
        if (response.statusCode() < 500) {
          LOG.error("learning demo: budget-service refused the policy of {}: HTTP {} {}", TEAM,
              response.statusCode(), response.body());
          return false;
        }
      } catch (java.io.IOException e) {
        LOG.debug("learning demo: budget-service not answering yet: {}", e.toString());
      }
      if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
        return false;
      }
    }
  }

  @Override
  public void close() {
    stop.countDown();
    for (Thread thread : new Thread[] {sender, judge}) {
      if (thread != null) {
        try {
          thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
