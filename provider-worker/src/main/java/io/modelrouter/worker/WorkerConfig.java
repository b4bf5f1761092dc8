package io.modelrouter.worker;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.worker.provider.SimulatedProvider;
import io.modelrouter.worker.resilience.ProviderPolicy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The worker's settings: delivery, the providers it may call, their resilience policies, the simulation. */
public final class WorkerConfig {
  public static final Setting<String> GROUP_ID = Setting.string("worker.group.id", "model-router-worker",
      "Consumer group of the workers.");
  public static final Setting<String> INSTANCE_ID = Setting.string("worker.instance.id", null,
      "This worker's stable, unique id (transactional.id and static group membership); default worker-<hostname>.");
  public static final Setting<Integer> MAX_IN_FLIGHT = Setting.integer("worker.max.in.flight", 10_000,
      "Requests in flight at once; past it fetched requests wait, and a partition with enough waiting is paused.").atLeast(1);
  public static final Setting<Double> BATCH_SHARE = Setting.decimal("worker.batch.share", 0.5,
      "Share of worker.max.in.flight the BATCH lane (llm.requests.routed.batch) may use; the INTERACTIVE lane "
          + "always has the rest. Also each provider's share of max.concurrent calls for batch requests.")
      .between(0.01, 1.0);
  public static final Setting<Integer> MAX_RECORD_BYTES = Setting.integer("worker.max.record.bytes", 1_114_112,
      "The largest routed request the worker calls a provider for (default 1 MiB + 64 KiB: the router's default "
          + "router.max.request.bytes plus its decision); a larger one is answered REJECTED (REQUEST_TOO_LARGE). Keep "
          + "it at least router.max.request.bytes + 64 KiB.").between(1_024, 512 * 1024 * 1024);
  public static final Setting<Duration> COMMIT_INTERVAL = Setting.duration("worker.commit.interval",
      Duration.ofMillis(100), "How often finished results and offsets are committed, in one transaction.");
  public static final Setting<Duration> DRAIN_TIMEOUT = Setting.duration("worker.drain.timeout",
      Duration.ofSeconds(30), "How long a revoked partition's or a stopping worker's requests may finish.");
  public static final Setting<Duration> TRANSACTION_TIMEOUT = Setting.duration("worker.transaction.timeout",
      Duration.ofSeconds(30), "transaction.timeout.ms of the worker's producer.");
  public static final Setting<String> PROVIDERS = Setting.string("worker.providers",
      "anthropic,bedrock,openai,moonshot,ollama", "Provider names this worker serves (the catalog's provider field).");
  public static final Setting<String> CALL_JOURNAL = Setting.string("worker.call.journal", null,
      "File to which every provider call is appended as it returns (time, provider, model, request, call, outcome, "
          + "tokens; no content): a local record to reconcile with invoices and llm.usage.");
  public static final Setting<String> USAGE_JOURNAL_DIR = Setting.string("worker.usage.journal.dir", null,
      "Directory of this worker's write-ahead usage journal (each call's intent is written there before the call,"
          + " each usage event before it is sent, and the next start writes the events a kill left unacknowledged and"
          + " the estimates of calls in flight); 'none' turns it off. Keep it across"
          + " restarts of the same instance (a volume in a container).");
  public static final Setting<String> SIMULATE = Setting.string("worker.simulate", "auto",
      "auto: simulate providers without credentials; all: simulate every provider; none: real providers only.")
      .oneOf("auto", "all", "none");

  public static final Setting<Duration> SIM_LATENCY = Setting.duration("simulator.latency", Duration.ofMillis(800),
      "Simulated provider: mean latency of a call.");
  public static final Setting<Double> SIM_LATENCY_SPREAD = Setting.decimal("simulator.latency.spread", 0.3,
      "Simulated provider: sigma of the lognormal latency (0 = constant).");
  public static final Setting<Integer> SIM_OUTPUT_TOKENS = Setting.integer("simulator.output.tokens", 350,
      "Simulated provider: mean output tokens.");
  public static final Setting<Long> SIM_SEED = Setting.longValue("simulator.seed", 42, "Simulated provider: seed.");
  public static final Setting<Double> SIM_RATE_LIMITED = Setting.decimal("simulator.rate.limited", 0.0,
      "Simulated provider: fraction of calls answered 429 with Retry-After.");
  public static final Setting<Double> SIM_SERVER_ERRORS = Setting.decimal("simulator.server.errors", 0.0,
      "Simulated provider: fraction of calls answered 503.");
  public static final Setting<Integer> BATCH_MAX_ITEMS = Setting.integer("worker.batch.api.max.items", 1_000,
      "A batch for a provider's batch API closes at this many requests (Anthropic takes up to 100,000).")
      .between(1, 100_000);
  public static final Setting<Integer> BATCH_MAX_BYTES = Setting.integer("worker.batch.api.max.bytes", 524_288,
      "... or at this many bytes of routed requests (its record on llm.batch.state holds them: keep it under the "
          + "topic's max.message.bytes); a request larger than half of it takes the normal path.").between(1_024, 64 * 1024 * 1024);
  public static final Setting<Duration> BATCH_MAX_AGE = Setting.duration("worker.batch.api.max.age",
      Duration.ofMinutes(1), "... or this long after its first request.").positive();
  public static final Setting<Duration> BATCH_POLL_INTERVAL = Setting.duration("worker.batch.api.poll.interval",
      Duration.ofSeconds(30), "How often a submitted batch is asked whether it ended.").positive();
  public static final Setting<Duration> SIM_BATCH_TURNAROUND = Setting.duration("simulator.batch.turnaround",
      Duration.ofSeconds(10), "Simulated provider's batch API: how long after its creation a batch ends.");
  public static final Setting<String> SIM_BATCH_DIR = Setting.string("simulator.batch.dir", null,
      "Simulated provider's batch API: a directory where the simulated vendor keeps its batches (one file each), so "
          + "a worker process restarted after a kill finds them; unset: in the JVM's memory.");
  public static final Setting<Double> SIM_BATCH_ERRORED = Setting.decimal("simulator.batch.errored", 0.0,
      "Simulated provider's batch API: fraction of items that end errored (they go to the normal path).")
      .between(0.0, 1.0);
  public static final Setting<Integer> SIM_BATCH_MIN_ITEMS = Setting.integer("simulator.batch.min.items", 1,
      "Simulated provider's batch API: the fewest requests it takes in a batch (as Bedrock's batch inference takes "
          + "no job below its quota); a batch with fewer goes to the normal path.").atLeast(1);
  public static final Setting<Double> SIM_TIMEOUTS = Setting.decimal("simulator.timeouts", 0.0,
      "Simulated provider: fraction of calls that never answer.");
  public static final Setting<Duration> SIM_RETRY_AFTER = Setting.duration("simulator.retry.after",
      Duration.ofSeconds(1), "Simulated provider: the Retry-After of its 429s.");

  // Per-provider templates: replace <name> with the provider's name.
  public static final Setting<String> P_TYPE = Setting.string("providers.<name>.type", null,
      "anthropic, openai (any OpenAI-compatible API), bedrock or simulated; default from the name.")
      .oneOf("anthropic", "openai", "bedrock", "simulated");
  public static final Setting<String> P_BASE_URL = Setting.string("providers.<name>.base.url", null,
      "API base URL (OpenAI-compatible ones end in /v1); Bedrock: an endpoint override.");
  public static final Setting<String> P_API_KEY = Setting.secret("providers.<name>.api.key",
      "API key (never logged); also read from ANTHROPIC_API_KEY, OPENAI_API_KEY, MOONSHOT_API_KEY.");
  public static final Setting<String> P_API_KEY_FILE = Setting.string("providers.<name>.api.key.file", null,
      "File holding the API key.");
  public static final Setting<String> P_REGION = Setting.string("providers.<name>.region", null,
      "AWS region (Bedrock); default AWS_REGION or us-east-1.");
  public static final Setting<Duration> P_TIMEOUT = Setting.duration("providers.<name>.timeout",
      ProviderPolicy.DEFAULTS.timeout(), "Timeout of one call.").positive();
  public static final Setting<Integer> P_RPM = Setting.integer("providers.<name>.requests.per.minute",
      ProviderPolicy.DEFAULTS.requestsPerMinute(),
      "Rate limit of this worker's calls (0 = none).").atLeast(0);
  public static final Setting<Integer> P_CLUSTER_RPM = Setting.integer("providers.<name>.cluster.requests.per.minute",
      0, "Rate limit of every worker's calls together (0 = none): each worker takes the share of the "
          + "llm.requests.routed partitions it owns, updated at each rebalance, so the limit holds for any number of "
          + "workers.").atLeast(0);
  public static final Setting<Integer> P_MAX_CONCURRENT = Setting.integer("providers.<name>.max.concurrent",
      ProviderPolicy.DEFAULTS.maxConcurrent(),
      "Calls in flight at once (bulkhead); simulated providers default to worker.max.in.flight.").atLeast(1);
  public static final Setting<Integer> P_MAX_ATTEMPTS = Setting.integer("providers.<name>.retry.max.attempts",
      ProviderPolicy.DEFAULTS.maxAttempts(),
      "Calls per model, the first included.").atLeast(1);
  public static final Setting<Duration> P_BACKOFF = Setting.duration("providers.<name>.retry.initial.backoff",
      ProviderPolicy.DEFAULTS.initialBackoff(), "First backoff; doubles with jitter up to the max.").positive();
  public static final Setting<Duration> P_MAX_BACKOFF = Setting.duration("providers.<name>.retry.max.backoff",
      ProviderPolicy.DEFAULTS.maxBackoff(), "Longest backoff; a Retry-After longer than this moves the request to its next model.").positive();
  public static final Setting<Double> P_FAILURE_RATE = Setting.decimal("providers.<name>.breaker.failure.rate",
      ProviderPolicy.DEFAULTS.breakerFailureRate(),
      "Failure percentage that opens the circuit breaker.").validWhen(rate -> rate > 0 && rate <= 100, "above 0 and at most 100");
  public static final Setting<Integer> P_WINDOW = Setting.integer("providers.<name>.breaker.window",
      ProviderPolicy.DEFAULTS.breakerWindow(),
      "Calls in the breaker's sliding window.").atLeast(1);
  public static final Setting<Integer> P_MIN_CALLS = Setting.integer("providers.<name>.breaker.minimum.calls",
      ProviderPolicy.DEFAULTS.breakerMinimumCalls(),
      "Calls before the breaker judges.").atLeast(1);
  public static final Setting<Boolean> P_BATCH_API = Setting.bool("providers.<name>.batch.api", true,
      "Send the requests the router put in the batch lane (a routing policy's batchApi) through the provider's batch "
          + "API (Anthropic Message Batches, OpenAI's Batch API on api.openai.com, Bedrock batch inference where "
          + "providers.<name>.batch.s3.uri and providers.<name>.batch.role.arn are set, the simulated provider's); "
          + "false sends them through the normal path, at the standard price. Providers without one (other "
          + "OpenAI-compatible servers) ignore it.");
  public static final Setting<String> P_BATCH_S3_URI = Setting.string("providers.<name>.batch.s3.uri", null,
      "Bedrock batch inference: s3://bucket/prefix where each job's input file and output go (unset: no batch API "
          + "for this Bedrock provider).");
  public static final Setting<String> P_BATCH_ROLE_ARN = Setting.string("providers.<name>.batch.role.arn", null,
      "Bedrock batch inference: the service role Bedrock assumes to read and write providers.<name>.batch.s3.uri.");
  public static final Setting<Integer> P_BATCH_MIN_ITEMS = Setting.integer("providers.<name>.batch.min.items", 100,
      "Bedrock batch inference: the fewest records a job may have (the account's quota; 100 for most models). A "
          + "batch that closes with fewer goes to the normal path.").atLeast(1);
  public static final Setting<String> P_BATCH_ENDPOINT = Setting.string("providers.<name>.batch.endpoint", null,
      "Bedrock batch inference: an override of the Bedrock control-plane endpoint (VPC endpoints, tests).");
  public static final Setting<String> P_BATCH_S3_ENDPOINT = Setting.string("providers.<name>.batch.s3.endpoint",
      null, "Bedrock batch inference: an override of the S3 endpoint, addressed path-style (VPC endpoints, tests).");
  public static final Setting<Duration> P_OPEN = Setting.duration("providers.<name>.breaker.open.duration",
      ProviderPolicy.DEFAULTS.breakerOpenDuration(), "How long the breaker stays open before probing.").positive();

  public static final Setting<Integer> METRICS_PORT = Setting.integer("worker.metrics.port", 9402,
      "port of GET /metrics (Prometheus) and GET /health when run as WorkerMain; -1 turns it off, 0 picks one")
      .between(-1, 65_535);
  public static final List<Setting<?>> SETTINGS = List.of(GROUP_ID, INSTANCE_ID, MAX_IN_FLIGHT, BATCH_SHARE,
      MAX_RECORD_BYTES,
      COMMIT_INTERVAL,
      DRAIN_TIMEOUT, TRANSACTION_TIMEOUT, PROVIDERS, CALL_JOURNAL, USAGE_JOURNAL_DIR, SIMULATE, SIM_LATENCY, SIM_LATENCY_SPREAD, SIM_OUTPUT_TOKENS,
      SIM_SEED, SIM_RATE_LIMITED, SIM_SERVER_ERRORS, SIM_TIMEOUTS, SIM_RETRY_AFTER, BATCH_MAX_ITEMS, BATCH_MAX_BYTES, BATCH_MAX_AGE, BATCH_POLL_INTERVAL, SIM_BATCH_TURNAROUND, SIM_BATCH_ERRORED, SIM_BATCH_DIR,
      SIM_BATCH_MIN_ITEMS,
      METRICS_PORT);
  public static final List<Setting<?>> PROVIDER_TEMPLATES = List.of(P_TYPE, P_BASE_URL, P_API_KEY, P_API_KEY_FILE,
      P_REGION, P_TIMEOUT, P_RPM, P_CLUSTER_RPM, P_MAX_CONCURRENT, P_MAX_ATTEMPTS, P_BACKOFF, P_MAX_BACKOFF, P_FAILURE_RATE, P_WINDOW,
      P_MIN_CALLS, P_OPEN, P_BATCH_API, P_BATCH_S3_URI, P_BATCH_ROLE_ARN, P_BATCH_MIN_ITEMS,
      P_BATCH_ENDPOINT, P_BATCH_S3_ENDPOINT);

  /** Simulate: which providers are simulated. */
  public enum Simulate { AUTO, ALL, NONE }

  private final Settings settings;

  public WorkerConfig(Settings settings) {
    this.settings = settings.validate(allSettings());
    for (String name : providerNames()) {
      settings.validate(PROVIDER_TEMPLATES.stream().<Setting<?>>map(t -> t.forName(name)).toList());
    }
  }

  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(CommonSettings.ALL);
    all.addAll(SETTINGS);
    all.addAll(PROVIDER_TEMPLATES);
    return all;
  }

  public Settings settings() {
    return settings;
  }

  public Simulate simulate() {
    return Simulate.valueOf(settings.get(SIMULATE).trim().toUpperCase(Locale.ROOT));
  }

  public List<String> providerNames() {
    List<String> names = Arrays.stream(settings.get(PROVIDERS).split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    for (String name : names) {
      P_TYPE.forName(name);
    }
    return names;
  }

  /** The cluster-wide request rates, by provider, of the providers that have one. */
  public Map<String, Integer> clusterRequestsPerMinute() {
    Map<String, Integer> out = new java.util.LinkedHashMap<>();
    for (String name : providerNames()) {
      int rpm = settings.get(P_CLUSTER_RPM.forName(name));
      if (rpm > 0) {
        out.put(name, rpm);
      }
    }
    return out;
  }

  public String instanceId() {
    String id = settings.get(INSTANCE_ID);
    if (id != null && !id.isBlank()) {
      return id;
    }
    try {
      return "worker-" + InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "worker-localhost";
    }
  }

  /** The usage journal's directory, or null when it is off. */
  public java.nio.file.Path usageJournalDir() {
    String dir = settings.get(USAGE_JOURNAL_DIR);
    if (dir == null || dir.isBlank()) {
      String safe = instanceId().replaceAll("[^A-Za-z0-9._-]", "_");
      return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "model-router-usage-journal", safe);
    }
    return dir.trim().equalsIgnoreCase("none") ? null : java.nio.file.Path.of(dir.trim());
  }

  public <T> T provider(Setting<T> template, String name) {
    return settings.get(template.forName(name));
  }

  /** The provider's type: its setting, else guessed from its name (anthropic, bedrock, else OpenAI-compatible). */
  public String providerType(String name) {
    String type = provider(P_TYPE, name);
    if (type != null && !type.isBlank()) {
      return type.trim().toLowerCase(Locale.ROOT);
    }
    return switch (name) {
      case "anthropic" -> "anthropic";
      case "bedrock" -> "bedrock";
      default -> "openai";
    };
  }

  public ProviderPolicy policy(String name, boolean simulated) {
    int maxConcurrent = settings.get(P_MAX_CONCURRENT.forName(name).withDefault(
        simulated ? settings.get(MAX_IN_FLIGHT) : P_MAX_CONCURRENT.defaultValue()));
    return ProviderPolicy.builder()
        .maxAttempts(provider(P_MAX_ATTEMPTS, name))
        .initialBackoff(provider(P_BACKOFF, name))
        .maxBackoff(provider(P_MAX_BACKOFF, name))
        .requestsPerMinute(provider(P_RPM, name))
        .maxConcurrent(maxConcurrent)
        .timeout(provider(P_TIMEOUT, name))
        .breakerFailureRate(provider(P_FAILURE_RATE, name).floatValue())
        .breakerWindow(provider(P_WINDOW, name))
        .breakerMinimumCalls(provider(P_MIN_CALLS, name))
        .breakerOpenDuration(provider(P_OPEN, name))
        .build();
  }

  public SimulatedProvider.Behaviour simulatorBehaviour() {
    return new SimulatedProvider.Behaviour(settings.get(SIM_LATENCY), settings.get(SIM_LATENCY_SPREAD),
        settings.get(SIM_OUTPUT_TOKENS), settings.get(SIM_SEED));
  }

  public SimulatedProvider.Faults simulatorFaults() {
    return new SimulatedProvider.Faults(settings.get(SIM_RATE_LIMITED), settings.get(SIM_SERVER_ERRORS),
        settings.get(SIM_TIMEOUTS), settings.get(SIM_RETRY_AFTER));
  }

  public Map<String, Object> kafka() {
    return CommonSettings.kafkaClientConfig(settings);
  }
}
