package io.modelrouter.local;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's live summary: reads {@code llm.results} and {@code llm.budget.actions} on a thread of its own
 * and prints, every interval, what was routed where, the results by status, the cost against the same work sent to
 * the frontier model, and each team's budget state.
 *
 * <p>Results are read from the instant the summary was created (the offsets of that time, so it misses nothing
 * produced after it even if the topics appear later): the numbers are this run's, not those of earlier runs kept
 * in the data directory. Budget actions are a compacted table of current states, so they are read from the
 * beginning. Partitions are assigned by hand and nothing is committed: no consumer group.
 *
 * <p>The all-frontier baseline prices each OK result's tokens at the prices of the model of the {@code frontier}
 * profile of the default routing policy (the catalog's most expensive model when it does not hold that one); the
 * actual cost is every result's cost, failed calls included.
 */
public final class ConsoleSummary implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleSummary.class);
  static final String FRONTIER_PROFILE = "frontier";
  private static final List<String> PROFILE_ORDER = List.of("frontier", "primary", "fast", "local", "pinned");

  /** Results of one profile and model. */
  public record Route(String profile, String model, long requests, long costMicros) {}

  /** A team: its budget state ({@code detail} says which window and how far), its results and their cost. */
  public record TeamLine(String team, BudgetState state, String detail, long requests, long costMicros) {}

  /** The numbers the summary shows. */
  public record Snapshot(Instant since, long results, Map<ResultStatus, Long> byStatus, List<Route> routes,
      long costMicros, String frontierModel, long frontierCostMicros, List<TeamLine> teams, long unreadable) {

    public long count(ResultStatus status) {
      return byStatus.getOrDefault(status, 0L);
    }

    /** Share of the all-frontier cost that routing saved; empty until an OK result has a frontier price. */
    public OptionalDouble savedPercent() {
      if (frontierCostMicros <= 0) {
        return OptionalDouble.empty();
      }
      return OptionalDouble.of(100.0 * (frontierCostMicros - costMicros) / frontierCostMicros);
    }

    public TeamLine team(String team) {
      return teams.stream().filter(t -> t.team().equals(team)).findFirst().orElse(null);
    }
  }

  private static final class TeamTally {
    long requests;
    long costMicros;
    BudgetAction action;
  }

  private final Topics topics;
  private final Map<String, Object> consumerConfig;
  private final PrintStream out;
  private final Duration interval;
  private final Clock clock;
  private final Instant since;
  private final ModelSpec frontier;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Object lifecycle = new Object();
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  // Guarded by this: written by the reading thread, read by render() and snapshot() from any thread.
  private final EnumMap<ResultStatus, Long> byStatus = new EnumMap<>(ResultStatus.class);
  private final Map<List<String>, long[]> routes = new HashMap<>();
  private final Map<String, TeamTally> teams = new TreeMap<>();
  private long results;
  private long costMicros;
  private long frontierCostMicros;
  private long unreadable;

  /**
   * @param consumerConfig Kafka consumer settings (bootstrap servers, security ...); a group id is ignored
   * @param catalog the model catalog, to price the all-frontier baseline
   */
  public ConsoleSummary(Topics topics, Map<String, Object> consumerConfig, Map<String, ModelSpec> catalog,
      PrintStream out, Duration interval) {
    this(topics, consumerConfig, catalog, out, interval, Clock.systemDefaultZone());
  }

  ConsoleSummary(Topics topics, Map<String, Object> consumerConfig, Map<String, ModelSpec> catalog, PrintStream out,
      Duration interval, Clock clock) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.consumerConfig = new HashMap<>(Objects.requireNonNull(consumerConfig, "consumerConfig"));
    this.out = Objects.requireNonNull(out, "out");
    if (interval == null || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("summary interval must be positive, got " + interval);
    }
    this.interval = interval;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.since = clock.instant();
    this.frontier = frontierModel(Objects.requireNonNull(catalog, "catalog"));
  }

  /** The default policy's frontier model, else the catalog's most expensive one (null for an empty catalog). */
  static ModelSpec frontierModel(Map<String, ModelSpec> catalog) {
    Profile profile = DefaultPolicies.routingPolicy().getProfiles().get(FRONTIER_PROFILE);
    if (profile != null && catalog.containsKey(profile.getModel())) {
      return catalog.get(profile.getModel());
    }
    return catalog.values().stream()
        .min(Comparator.comparingLong((ModelSpec m) -> -(m.getInputPricePerMTokMicros()
            + m.getOutputPricePerMTokMicros())).thenComparing(ModelSpec::getId))
        .orElse(null);
  }

  public ConsoleSummary start() {
    synchronized (lifecycle) {
      if (thread != null) {
        throw new IllegalStateException("the console summary is already started");
      }
      consumer = new KafkaConsumer<>(clientConfig(), new StringDeserializer(), new ByteArrayDeserializer());
      thread = Thread.ofPlatform().name("console-summary").daemon(true).start(this::run);
    }
    return this;
  }

  private Map<String, Object> clientConfig() {
    consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumerConfig.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    consumerConfig.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "console-summary");
    return consumerConfig;
  }

  private void run() {
    try (KafkaConsumer<String, byte[]> c = consumer) {
      if (!assign(c)) {
        return;
      }
      long nextPrint = System.nanoTime() + interval.toNanos();
      while (stop.getCount() > 0) {
        for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(200))) {
          accept(record);
        }
        if (System.nanoTime() - nextPrint >= 0) {
          out.print(render());
          out.flush();
          nextPrint = System.nanoTime() + interval.toNanos();
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll up
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("console summary stopped: {}", e.toString(), e);
    }
  }

  /** Assigns every partition of both topics, waiting for them to exist; false when closed meanwhile. */
  private boolean assign(KafkaConsumer<String, byte[]> c) throws InterruptedException {
    String resultsTopic = topics.results().name();
    String actionsTopic = topics.budgetActions().name();
    while (true) {
      try {
        List<TopicPartition> resultParts = partitions(c.partitionsFor(resultsTopic));
        List<TopicPartition> actionParts = partitions(c.partitionsFor(actionsTopic));
        if (!resultParts.isEmpty() && !actionParts.isEmpty()) {
          List<TopicPartition> all = new ArrayList<>(resultParts);
          all.addAll(actionParts);
          c.assign(all);
          // End offsets first: a partition without a record since `since` starts at its end as it was then.
          Map<TopicPartition, Long> ends = c.endOffsets(resultParts);
          Map<TopicPartition, Long> times = new HashMap<>();
          resultParts.forEach(p -> times.put(p, since.toEpochMilli()));
          Map<TopicPartition, OffsetAndTimestamp> fromSince = c.offsetsForTimes(times);
          for (TopicPartition p : resultParts) {
            OffsetAndTimestamp at = fromSince.get(p);
            c.seek(p, at != null ? at.offset() : ends.get(p));
          }
          c.seekToBeginning(actionParts);
          return true;
        }
        LOG.debug("console summary: waiting for {} and {} to exist", resultsTopic, actionsTopic);
      } catch (WakeupException e) {
        return false;
      } catch (RuntimeException e) {
        LOG.debug("console summary: cannot read the partitions yet: {}", e.toString());
      }
      if (stop.await(500, TimeUnit.MILLISECONDS)) {
        return false;
      }
    }
  }

  private static List<TopicPartition> partitions(List<PartitionInfo> infos) {
    if (infos == null) {
      return List.of();
    }
    return infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
  }

  void accept(ConsumerRecord<String, byte[]> record) {
    boolean isResult = record.topic().equals(topics.results().name());
    if (record.value() == null) {
      if (!isResult && record.key() != null) {
        clearAction(record.key());
      }
      return;
    }
    try {
      if (isResult) {
        accept(topics.results().deserializeValue(record.value()));
      } else {
        accept(topics.budgetActions().deserializeValue(record.value()));
      }
    } catch (RuntimeException e) {
      // A viewer, not a service: it counts (and shows) what it cannot read; the services send such records to the DLQ.
      long skipped;
      synchronized (this) {
        skipped = ++unreadable;
      }
      if (skipped == 1 || skipped % 100 == 0) {
        LOG.warn("console summary: skipped an unreadable record at {}-{}@{} ({} so far): {}", record.topic(),
            record.partition(), record.offset(), skipped, e.toString());
      }
    }
  }

  synchronized void accept(InferenceResult result) {
    results++;
    byStatus.merge(result.getStatus(), 1L, Long::sum);
    costMicros += result.getCostMicros();
    if (result.getModel() != null) {
      long[] route = routes.computeIfAbsent(List.of(Objects.requireNonNullElse(result.getProfile(), "-"),
          result.getModel()), k -> new long[2]);
      route[0]++;
      route[1] += result.getCostMicros();
    }
    TokenUsage usage = result.getUsage();
    if (result.getStatus() == ResultStatus.OK && frontier != null && usage != null) {
      frontierCostMicros += Pricing.costMicros(frontier, usage.getInputTokens(), usage.getOutputTokens(),
          usage.getCachedInputTokens());
    }
    TeamTally team = teams.computeIfAbsent(result.getTeamId(), k -> new TeamTally());
    team.requests++;
    team.costMicros += result.getCostMicros();
  }

  synchronized void accept(BudgetAction action) {
    teams.computeIfAbsent(action.getTeamId(), k -> new TeamTally()).action = action;
  }

  private synchronized void clearAction(String team) {
    TeamTally tally = teams.get(team);
    if (tally != null) {
      tally.action = null;
    }
  }

  /** The numbers so far. */
  public synchronized Snapshot snapshot() {
    List<Route> routeLines = new ArrayList<>();
    routes.forEach((k, v) -> routeLines.add(new Route(k.get(0), k.get(1), v[0], v[1])));
    routeLines.sort(Comparator.comparingInt((Route r) -> profileRank(r.profile())).thenComparing(Route::profile)
        .thenComparing(Route::model));
    List<TeamLine> teamLines = new ArrayList<>();
    teams.forEach((team, t) -> teamLines.add(new TeamLine(team,
        t.action == null ? BudgetState.NORMAL : t.action.getState(), detail(t.action), t.requests, t.costMicros)));
    return new Snapshot(since, results, Collections.unmodifiableMap(new EnumMap<>(byStatus)), List.copyOf(routeLines),
        costMicros, frontier == null ? null : frontier.getId(), frontierCostMicros, List.copyOf(teamLines), unreadable);
  }

  private static int profileRank(String profile) {
    int rank = PROFILE_ORDER.indexOf(profile);
    return rank < 0 ? PROFILE_ORDER.size() : rank;
  }

  private static String detail(BudgetAction action) {
    if (action == null || action.getState() == BudgetState.NORMAL) {
      return action != null && action.getManualReset() ? "reset by hand" : "";
    }
    String window = action.getWindow() == null ? "" : action.getWindow().name().toLowerCase(Locale.ROOT) + " ";
    return String.format(Locale.ROOT, "%s%s %.0f%% of %,d", window, Objects.requireNonNullElse(action.getMetric(),
        "usage"), action.getFraction() * 100, action.getLimit());
  }

  /** The summary as printed: a few aligned lines, no control codes. Pure: depends only on what was read. */
  public String render() {
    return SummaryTable.render(snapshot(), clock.instant(), clock.getZone());
  }

  /** Stops reading. Prints nothing more: call {@link #render()} for a last summary. */
  @Override
  public void close() {
    // Not under the tally's lock: the reading thread takes it for every record.
    synchronized (lifecycle) {
      stop.countDown();
      KafkaConsumer<String, byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
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
