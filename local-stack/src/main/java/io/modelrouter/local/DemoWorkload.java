package io.modelrouter.local;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.schemas.Topics;
import io.modelrouter.worker.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's demo: a few teams replaying seed 003's development loop ({@link DevelopmentLoop}) as inference
 * requests on {@code llm.requests}, paced at a fixed rate, round robin over the teams.
 *
 * <p>Before the first request it sets the teams' daily budgets over budget-service's HTTP API, waiting for
 * budget-service to answer: generous ones, except for the small-budget team, whose daily output budget is sized so
 * that at the demo's rate it goes NOTIFY (50%) → RESTRICT (80%) → PAUSE (100%) within about
 * {@value #SMALL_BUDGET_SECONDS} seconds. Budgets survive restarts with the rest of the data: an existing budget is
 * left alone, except the small team's, which is written again so that it matches the current rate. (A team paused
 * earlier the same day stays paused until {@code POST /teams/{team}/budget/reset}.)
 */
public final class DemoWorkload implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DemoWorkload.class);

  /** How long the small-budget team should take, at the demo rate, to reach its limit. */
  static final int SMALL_BUDGET_SECONDS = 90;
  /** Daily output tokens of the other teams: hours of the demo before their first alert. */
  static final long GENEROUS_DAILY_OUTPUT = 100_000_000L;
  private static final List<String> TEAM_NAMES = List.of("team-atlas", "team-borealis", "team-cosmos", "team-dune",
      "team-ember", "team-fjord", "team-glacier", "team-harbor");
  private static final Pattern TEAM_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final long MAX_BACKOFF_MS = 5_000;

  /**
   * @param requestsPerSecond all teams together
   * @param teams how many teams, the small-budget team included (it is the last)
   * @param seed drives the prompts; the same seed sends the same prompts
   * @param smallBudgetOutputTokens the small team's daily output tokens; 0 sizes it for about 90 s at the rate,
   *     with {@code meanOutputTokens} a call
   * @param meanOutputTokens the mean output of a call, to size the small budget: the simulated provider's
   *     {@code simulator.output.tokens} in the local stack
   */
  public record Options(double requestsPerSecond, int teams, long seed, String smallBudgetTeam,
      long smallBudgetOutputTokens, int meanOutputTokens) {
    public static final double DEFAULT_RATE = 20;
    public static final int DEFAULT_TEAMS = 4;
    public static final long DEFAULT_SEED = 3;
    public static final String DEFAULT_SMALL_BUDGET_TEAM = "team-tiny";

    public Options {
      if (!(requestsPerSecond > 0 && requestsPerSecond <= 10_000)) {
        throw new IllegalArgumentException("demo rate must be in (0, 10000] requests per second, got "
            + requestsPerSecond);
      }
      if (teams < 1 || teams > TEAM_NAMES.size() + 1) {
        throw new IllegalArgumentException("demo teams must be 1 to " + (TEAM_NAMES.size() + 1) + ", got " + teams);
      }
      if (smallBudgetTeam == null || !TEAM_ID.matcher(smallBudgetTeam).matches()
          || TEAM_NAMES.contains(smallBudgetTeam)) {
        throw new IllegalArgumentException("small-budget team must be 1 to 64 of A-Z a-z 0-9 . _ - and not one of "
            + TEAM_NAMES + ", got '" + smallBudgetTeam + "'");
      }
      if (smallBudgetOutputTokens < 0) {
        throw new IllegalArgumentException("small budget must be >= 0 output tokens (0 = sized to the rate), got "
            + smallBudgetOutputTokens);
      }
      if (meanOutputTokens < 1) {
        throw new IllegalArgumentException("mean output tokens must be >= 1, got " + meanOutputTokens);
      }
    }

    public static Options defaults() {
      return new Options(DEFAULT_RATE, DEFAULT_TEAMS, DEFAULT_SEED, DEFAULT_SMALL_BUDGET_TEAM, 0,
          WorkerConfig.SIM_OUTPUT_TOKENS.defaultValue());
    }

    public Options withRequestsPerSecond(double rate) {
      return new Options(rate, teams, seed, smallBudgetTeam, smallBudgetOutputTokens, meanOutputTokens);
    }

    public Options withTeams(int count) {
      return new Options(requestsPerSecond, count, seed, smallBudgetTeam, smallBudgetOutputTokens, meanOutputTokens);
    }

    public Options withSeed(long value) {
      return new Options(requestsPerSecond, teams, value, smallBudgetTeam, smallBudgetOutputTokens, meanOutputTokens);
    }

    public Options withSmallBudgetTeam(String team) {
      return new Options(requestsPerSecond, teams, seed, team, smallBudgetOutputTokens, meanOutputTokens);
    }

    public Options withSmallBudgetOutputTokens(long tokens) {
      return new Options(requestsPerSecond, teams, seed, smallBudgetTeam, tokens, meanOutputTokens);
    }

    public Options withMeanOutputTokens(int tokens) {
      return new Options(requestsPerSecond, teams, seed, smallBudgetTeam, smallBudgetOutputTokens, tokens);
    }

    /** The small team's daily output budget: the one given, or about 90 s of its traffic at the rate. */
    public long smallBudget() {
      if (smallBudgetOutputTokens > 0) {
        return smallBudgetOutputTokens;
      }
      double perSecond = requestsPerSecond / teams * meanOutputTokens;
      return Math.max(1_000, Math.round(perSecond * SMALL_BUDGET_SECONDS / 1_000) * 1_000);
    }
  }

  /** A demo team: its tenant tier (pro may not use the frontier profile) and its daily output budget. */
  public record Team(String id, String tier, long dailyOutputTokens, boolean smallBudget) {}

  /** What was sent (acknowledged by the broker) and what failed. */
  public record Counts(long sent, long failed, Map<String, Long> byTeam, Map<String, Long> byTaskType) {}

  private final Topics topics;
  private final Map<String, Object> producerConfig;
  private final URI budgetService;
  private final String adminToken;
  private final Options options;
  private final List<Team> teams;
  private final Clock clock = Clock.systemUTC();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final LongAdder sent = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final Map<String, LongAdder> byTeam = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> byTaskType = new ConcurrentHashMap<>();
  private KafkaProducer<String, byte[]> producer;
  private Thread thread;

  /**
   * @param producerConfig Kafka producer settings (bootstrap servers, security ...); serializers are set here
   * @param budgetService budget-service's base URL, e.g. {@code http://localhost:8080}; null to set no budgets
   * @param adminToken the bearer token budget-service accepts for writing any team's budget
   */
  public DemoWorkload(Topics topics, Map<String, Object> producerConfig, URI budgetService, String adminToken,
      Options options) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.producerConfig = new HashMap<>(Objects.requireNonNull(producerConfig, "producerConfig"));
    this.budgetService = budgetService;
    this.adminToken = adminToken;
    this.options = Objects.requireNonNull(options, "options");
    if (budgetService != null && (adminToken == null || adminToken.isBlank())) {
      throw new IllegalArgumentException("setting budgets at " + budgetService + " needs budget-service's admin token");
    }
    this.teams = teams(options);
  }

  /** The teams of a demo: the named ones (every third from the second on the pro tier), then the small-budget one. */
  static List<Team> teams(Options options) {
    List<Team> teams = new ArrayList<>();
    for (int i = 0; i < options.teams() - 1; i++) {
      teams.add(new Team(TEAM_NAMES.get(i), i % 3 == 1 ? "pro" : "power", GENEROUS_DAILY_OUTPUT, false));
    }
    teams.add(new Team(options.smallBudgetTeam(), "power", options.smallBudget(), true));
    return List.copyOf(teams);
  }

  public List<Team> teams() {
    return teams;
  }

  public Options options() {
    return options;
  }

  /** Sets the budgets, then sends until {@link #close()}, on a thread of its own. */
  public synchronized DemoWorkload start() {
    if (thread != null) {
      throw new IllegalStateException("the demo workload is already started");
    }
    producerConfig.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "demo-workload");
    producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
    thread = Thread.ofPlatform().name("demo-workload").daemon(true).start(this::run);
    return this;
  }

  public long sent() {
    return sent.sum();
  }

  public Counts counts() {
    return new Counts(sent.sum(), failed.sum(), snapshot(byTeam), snapshot(byTaskType));
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  private void run() {
    try {
      if (budgetService != null && !setBudgets()) {
        return;
      }
      String runId = Long.toString(clock.millis(), 36);
      DemoTraffic traffic = new DemoTraffic(teams, options.seed(), runId);
      LOG.info("demo workload: {} requests/s over {} (run {}), seed {}", options.requestsPerSecond(),
          teams.stream().map(Team::id).toList(), runId, options.seed());
      long intervalNanos = Math.round(1e9 / options.requestsPerSecond());
      long start = System.nanoTime();
      long n = 0;
      while (true) {
        long wait = start + n * intervalNanos - System.nanoTime();
        if (wait > 0 ? stop.await(wait, TimeUnit.NANOSECONDS) : stop.getCount() == 0) {
          return;
        }
        if (-wait > TimeUnit.SECONDS.toNanos(1)) {
          // Fell behind (a slow broker, a GC pause): carry on at the rate rather than send the backlog in a burst.
          start = System.nanoTime();
          n = 0;
        }
        send(traffic.next(clock.instant()));
        n++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("demo workload stopped: {}", e.toString(), e);
    }
  }

  private void send(InferenceRequest request) throws InterruptedException {
    byte[] value;
    try {
      value = topics.requests().serializeValue(request);
    } catch (RuntimeException e) {
      // The registry may not answer yet; the request is skipped and counted, the loop carries on.
      countFailure("could not serialize " + request.getRequestId(), e);
      stop.await(1, TimeUnit.SECONDS);
      return;
    }
    String team = request.getTeamId();
    String taskType = request.getTaskType();
    producer.send(new ProducerRecord<>(topics.requests().name(), team, value), (metadata, error) -> {
      if (error != null) {
        countFailure("could not send " + request.getRequestId(), error);
        return;
      }
      sent.increment();
      byTeam.computeIfAbsent(team, k -> new LongAdder()).increment();
      byTaskType.computeIfAbsent(taskType, k -> new LongAdder()).increment();
    });
  }

  private void countFailure(String what, Throwable error) {
    failed.increment();
    long failures = failed.sum();
    if (failures == 1 || failures % 100 == 0) {
      LOG.warn("demo workload: {} ({} failure(s) so far): {}", what, failures, error.toString());
    }
  }

  // ---------------------------------------------------------------- budgets

  /** @return false when closed before budget-service answered */
  private boolean setBudgets() throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
    for (Team team : teams) {
      String path = "/teams/" + team.id() + "/budget";
      if (!team.smallBudget()) {
        HttpResponse<String> existing = call(http, "GET", path, null);
        if (existing == null) {
          return false;
        }
        if (existing.statusCode() == 200) {
          LOG.info("demo workload: {} keeps its budget", team.id());
          continue;
        }
      }
      HttpResponse<String> put = call(http, "PUT", path, budgetJson(team));
      if (put == null) {
        return false;
      }
      if (put.statusCode() == 200) {
        LOG.info("demo workload: {} ({}) has a daily budget of {} output tokens", team.id(), team.tier(),
            String.format(Locale.ROOT, "%,d", team.dailyOutputTokens()));
      } else {
        LOG.error("demo workload: budget-service refused the budget of {}: HTTP {} {}", team.id(), put.statusCode(),
            put.body());
      }
    }
    return true;
  }

  /** The small team notifies at 50%, is restricted at 80% and paused at the limit; the others only get alerts. */
  static String budgetJson(Team team) {
    if (team.smallBudget()) {
      return """
          {"daily": {"outputTokens": %d, "alertThresholds": [0.5], "action": "pause",
                     "escalations": [{"at": 0.8, "action": "restrict"}]}}""".formatted(team.dailyOutputTokens());
    }
    return """
        {"daily": {"outputTokens": %d, "alertThresholds": [0.5, 0.8], "action": "restrict"}}"""
        .formatted(team.dailyOutputTokens());
  }

  /** Sends until budget-service answers below 500; null when closed meanwhile. */
  private HttpResponse<String> call(HttpClient http, String method, String path, String body)
      throws InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(budgetService.resolve(path))
        .timeout(HTTP_TIMEOUT)
        .header("Authorization", "Bearer " + adminToken)
        .header("Accept", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    long backoff = 250;
    for (int attempt = 1; ; attempt++) {
      String problem;
      try {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() < 500) {
          if (attempt > 1) {
            LOG.info("demo workload: budget-service answers at {}", budgetService);
          }
          return response;
        }
        problem = "HTTP " + response.statusCode();
      } catch (IOException e) {
        problem = e.toString();
      }
      if (attempt == 1 || attempt % 10 == 0) {
        LOG.info("demo workload: waiting for budget-service at {} to set the demo budgets ({}); retrying",
            budgetService, problem);
      }
      if (stop.await(backoff, TimeUnit.MILLISECONDS)) {
        return null;
      }
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  }

  /** Stops sending and flushes what was sent. */
  @Override
  public synchronized void close() {
    stop.countDown();
    if (thread != null) {
      try {
        thread.join(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
      producer = null;
    }
    LOG.info("demo workload stopped: {} requests sent, {} failed", sent.sum(), failed.sum());
  }
}
