package io.modelrouter.router;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.router.internal.RouterProcessingExceptionHandler;
import io.modelrouter.router.routing.RequestLimits;
import io.modelrouter.runtime.StreamsLifecycle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The router's settings and the Kafka Streams properties derived from them. */
public final class RouterConfig {
  public static final Setting<String> APPLICATION_ID = Setting.string("router.application.id", "model-router-router",
      "Kafka Streams application id (consumer group and internal topic prefix).");
  public static final Setting<Integer> THREADS = Setting.integer("router.threads", 2, "Stream threads.")
      .atLeast(1);
  public static final Setting<String> PROCESSING_GUARANTEE = Setting.string("router.processing.guarantee",
      StreamsConfig.EXACTLY_ONCE_V2, "exactly_once_v2 or at_least_once.")
      .oneOf(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);
  public static final Setting<Duration> COMMIT_INTERVAL = Setting.duration("router.commit.interval",
      Duration.ofMillis(100), "How often offsets and outputs are committed (ms or ISO-8601).").positive();
  public static final Setting<String> STATE_DIR = Setting.string("router.state.dir",
      System.getProperty("java.io.tmpdir") + "/model-router/router", "Kafka Streams state directory.");
  public static final Setting<String> INSTANCE_ID = Setting.string("router.instance.id", null,
      "Static group membership id (group.instance.id): set a distinct one per instance for fast restarts.");

  public static final Setting<Boolean> BUDGET_ENFORCE = Setting.bool("router.budget.enforce", true,
      "Hard caps at admission: reserve each request's tokens against its team's budget, refuse what would exceed it.");
  public static final Setting<Double> RESERVATION_MARGIN = Setting.decimal("router.budget.reservation.margin", 0.15,
      "Margin on the estimated input and the expected output tokens a request reserves (the input estimate's p90 "
          + "error is about 17% on held-out text; the output part never exceeds the request's maxTokens).").atLeast(0.0);
  public static final Setting<Duration> RESERVATION_TTL = Setting.duration("router.budget.reservation.ttl",
      Duration.ofMinutes(10), "How long a request without a result keeps its reservation.").positive();

  public static final Setting<Integer> MAX_REQUEST_BYTES = Setting.integer("router.max.request.bytes", 1_000_000,
      "The largest request record the router routes; a larger one is answered REJECTED (REQUEST_TOO_LARGE) without "
          + "being routed. The default leaves room for the decision in Kafka's default 1 MiB record limit of "
          + "llm.requests.routed; raise it together with the max.message.bytes of llm.requests and "
          + "llm.requests.routed and the worker's worker.max.record.bytes.").between(1_024, 512 * 1024 * 1024);

  public static final Setting<Integer> MAX_IMAGES = Setting.integer("router.request.max.images", 20,
      "Images a request may carry; more are answered REJECTED naming the block.").between(0, 10_000);
  public static final Setting<Integer> MAX_IMAGE_BYTES = Setting.integer("router.request.max.image.bytes",
      5 * 1024 * 1024, "Bytes of one image (Anthropic's limit is 5 MB); the record must also fit "
          + "router.max.request.bytes.").between(1, 512 * 1024 * 1024);
  public static final Setting<Integer> MAX_DOCUMENTS = Setting.integer("router.request.max.documents", 5,
      "Documents (PDF, plain text) a request may carry (Bedrock takes 5).").between(0, 10_000);
  public static final Setting<Integer> MAX_DOCUMENT_BYTES = Setting.integer("router.request.max.document.bytes",
      32 * 1024 * 1024, "Bytes of one document (Anthropic's limit for a PDF request is 32 MB); the record must also "
          + "fit router.max.request.bytes.").between(1, 512 * 1024 * 1024);
  public static final Setting<Integer> MAX_TOOLS = Setting.integer("router.request.max.tools", 128,
      "Tool definitions a request may carry (OpenAI takes 128).").between(0, 100_000);
  public static final Setting<Integer> MAX_SCHEMA_BYTES = Setting.integer("router.request.max.schema.bytes",
      64 * 1024, "Characters of one JSON Schema (a tool's input, a response format).").between(16, 64 * 1024 * 1024);
  public static final Setting<Integer> MAX_STOP_SEQUENCES = Setting.integer("router.request.max.stop.sequences", 16,
      "Stop sequences a request may carry (OpenAI takes 4 and the worker sends it the first 4).").between(0, 10_000);

  public static final Setting<Boolean> LEARNED_PRELOAD = Setting.bool("router.learned.preload", true,
      "Load the learned routing models on a thread of their own, rather than on the first request of a learned "
          + "policy: the lexical model at start (about 0.2 s of CPU), the embedding model (MiniLM and the shipped "
          + "exemplars, about 100 MB and 4 s of CPU) once the built-in policy or one on llm.routing.policies uses it "
          + "(checked every 5 s while the router runs).");
  public static final Setting<Integer> METRICS_PORT = Setting.integer("router.metrics.port", 9401,
      "port of GET /metrics (Prometheus) and GET /health when run as RouterMain; -1 turns it off, 0 picks one")
      .between(-1, 65_535);
  public static final List<Setting<?>> SETTINGS = List.of(APPLICATION_ID, THREADS, PROCESSING_GUARANTEE,
      COMMIT_INTERVAL, STATE_DIR, INSTANCE_ID, BUDGET_ENFORCE, RESERVATION_MARGIN, RESERVATION_TTL, MAX_REQUEST_BYTES,
      MAX_IMAGES, MAX_IMAGE_BYTES, MAX_DOCUMENTS, MAX_DOCUMENT_BYTES, MAX_TOOLS, MAX_SCHEMA_BYTES, MAX_STOP_SEQUENCES,
      LEARNED_PRELOAD,
      METRICS_PORT);

  /** Bytes a routed record may add to its request (the decision, its reason and headers), beyond the request. */
  static final int DECISION_ROOM = 64 * 1024;

  private final Settings settings;

  public RouterConfig(Settings settings) {
    this.settings = settings.validate(allSettings());
  }

  public Settings settings() {
    return settings;
  }

  /**
   * What a request must pass to be routed: its record's size, and (when {@code enforce}) its team's budget, with the
   * reservation margin and how long a reservation may live.
   */
  public record Admission(boolean enforce, double margin, Duration reservationTtl, int maxRequestBytes,
      RequestLimits limits) {

    public Admission(boolean enforce, double margin, Duration reservationTtl, int maxRequestBytes) {
      this(enforce, margin, reservationTtl, maxRequestBytes, RequestLimits.DEFAULTS);
    }
  }

  public Admission admission() {
    return new Admission(settings.get(BUDGET_ENFORCE), settings.get(RESERVATION_MARGIN), settings.get(RESERVATION_TTL),
        settings.get(MAX_REQUEST_BYTES), new RequestLimits(settings.get(MAX_IMAGES), settings.get(MAX_IMAGE_BYTES),
            settings.get(MAX_DOCUMENTS), settings.get(MAX_DOCUMENT_BYTES), settings.get(MAX_TOOLS),
            settings.get(MAX_SCHEMA_BYTES), settings.get(MAX_STOP_SEQUENCES)));
  }

  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(CommonSettings.ALL);
    all.addAll(SETTINGS);
    return all;
  }

  public Properties streamsProperties() {
    Properties props = StreamsLifecycle.properties(settings, settings.get(APPLICATION_ID),
        settings.get(PROCESSING_GUARANTEE), settings.get(COMMIT_INTERVAL), settings.get(THREADS),
        settings.get(STATE_DIR), settings.get(INSTANCE_ID));
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, RouterProcessingExceptionHandler.class);
    props.put(RouterProcessingExceptionHandler.DLQ_TOPIC_CONFIG,
        settings.get(CommonSettings.TOPIC_PREFIX) + io.modelrouter.schemas.Topics.DLQ);
    boundWorkBetweenCommits(props, settings.kafkaOverrides().keySet());
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 65_536);
    // A routed record is its request plus the decision: the producer must take what router.max.request.bytes lets in
    props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        Math.max(1_048_576, settings.get(MAX_REQUEST_BYTES) + DECISION_ROOM));
    return props;
  }

  /** Records a router's main consumer hands over per poll, and records buffered per input partition. */
  static final int MAX_POLL_RECORDS = 100;
  static final int BUFFERED_RECORDS_PER_PARTITION = 50;

  /**
   * Keeps the records a stream thread processes between two commits few, so that one transaction stays short when
   * each record is slow. Kafka Streams processes up to {@code numIterations} records per task before it checks the
   * commit interval, and that number grows by one every pass that did not commit: after a backlog of cheap records
   * (the re-keying step) it reaches hundreds, and a learned policy's requests (10 to 20 ms of embedding each here)
   * then held one transaction open past the 10 s transaction timeout. The producer was fenced and the work done
   * again (RouterBenchmark --strategy learned: once per stream thread and round, 2026-12-07). What a task holds is
   * what bounds it: at most 50 buffered plus one poll of 100. Measured the same hour, hybrid at 400,000 requests:
   * 38,400 req/s with Kafka's defaults, 37,255 with these (20 and 50 cost 25%). Settings given as {@code kafka.*}
   * win.
   */
  static void boundWorkBetweenCommits(Properties props, java.util.Set<String> overrides) {
    if (!overrides.contains(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG)) {
      props.put(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG, BUFFERED_RECORDS_PER_PARTITION);
    }
    String poll = org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG;
    if (!overrides.contains(poll) && !overrides.contains(StreamsConfig.consumerPrefix(poll))
        && !overrides.contains(StreamsConfig.mainConsumerPrefix(poll))) {
      props.put(StreamsConfig.mainConsumerPrefix(poll), MAX_POLL_RECORDS);
    }
  }
}
