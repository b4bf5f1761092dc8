package io.modelrouter.aggregator;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.StreamsLifecycle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/** The usage aggregator's settings and the Kafka Streams properties derived from them. */
public final class AggregatorConfig {
  public static final Setting<String> APPLICATION_ID = Setting.string("aggregator.application.id",
      "model-router-aggregator", "Kafka Streams application id.");
  public static final Setting<Integer> THREADS = Setting.integer("aggregator.threads", 1, "Stream threads.")
      .atLeast(1);
  public static final Setting<String> PROCESSING_GUARANTEE = Setting.string("aggregator.processing.guarantee",
      StreamsConfig.EXACTLY_ONCE_V2, "exactly_once_v2 or at_least_once (alerts may then repeat after a crash).")
      .oneOf(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE);
  public static final Setting<Duration> COMMIT_INTERVAL = Setting.duration("aggregator.commit.interval",
      Duration.ofMillis(100), "Commit interval.").positive();
  public static final Setting<String> STATE_DIR = Setting.string("aggregator.state.dir",
      System.getProperty("java.io.tmpdir") + "/model-router/aggregator", "Kafka Streams state directory.");
  public static final Setting<String> INSTANCE_ID = Setting.string("aggregator.instance.id", null,
      "Static group membership id, distinct per instance.");
  /**
   * The grace must end before the day after the window ends: a team remembers the alerts of its current and previous
   * windows only, and the shortest calendar day (at a daylight-saving change) has 23 hours.
   */
  public static final Duration MAX_GRACE = Duration.ofHours(23);
  public static final Setting<Duration> GRACE = Setting.duration("aggregator.grace", Duration.ofHours(1),
      "How long after a window ends late usage may still cross its thresholds (alerts); later usage is still "
          + "counted in the window's totals, as late. Less than 23 hours.")
      .validWhen(grace -> !grace.isNegative() && grace.compareTo(MAX_GRACE) < 0, "at least 0 and less than 23 hours "
          + "(PT23H: the shortest calendar day; only a team's current and previous windows remember their alerts)");
  public static final Setting<Duration> TOTALS_INTERVAL = Setting.duration("aggregator.totals.interval",
      Duration.ofSeconds(1), "How often changed totals are published to llm.usage.totals.").positive();
  public static final Setting<Duration> ROLLOVER_CHECK = Setting.duration("aggregator.rollover.check",
      Duration.ofSeconds(30), "How often teams without traffic are moved into a new day or month.").positive();
  public static final Setting<Duration> RETENTION = Setting.duration("aggregator.retention", Duration.ofDays(400),
      "How long window totals are kept in the aggregator's store.").positive();
  public static final Setting<Integer> MAX_USAGE_BYTES = Setting.integer("aggregator.max.usage.bytes", 65_536,
      "The largest usage record the aggregator reads (a worker's are under 2 KB); a larger one goes to the DLQ with "
          + "the reason, undecoded.").between(1_024, 16 * 1024 * 1024);

  public static final Setting<Integer> METRICS_PORT = Setting.integer("aggregator.metrics.port", 9403,
      "port of GET /metrics (Prometheus) and GET /health when run as AggregatorMain; -1 turns it off, 0 picks one")
      .between(-1, 65_535);
  public static final List<Setting<?>> SETTINGS = List.of(APPLICATION_ID, THREADS, PROCESSING_GUARANTEE,
      COMMIT_INTERVAL, STATE_DIR, INSTANCE_ID, GRACE, TOTALS_INTERVAL, ROLLOVER_CHECK, RETENTION, MAX_USAGE_BYTES,
      METRICS_PORT);

  private final Settings settings;

  public AggregatorConfig(Settings settings) {
    this.settings = settings.validate(allSettings());
  }

  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(CommonSettings.ALL);
    all.addAll(SETTINGS);
    return all;
  }

  public Settings settings() {
    return settings;
  }

  public Duration grace() {
    return settings.get(GRACE);
  }

  public int maxUsageBytes() {
    return settings.get(MAX_USAGE_BYTES);
  }

  public Duration totalsInterval() {
    return settings.get(TOTALS_INTERVAL);
  }

  public Duration rolloverCheck() {
    return settings.get(ROLLOVER_CHECK);
  }

  public Duration retention() {
    return settings.get(RETENTION);
  }

  public Properties streamsProperties() {
    return StreamsLifecycle.properties(settings, settings.get(APPLICATION_ID), settings.get(PROCESSING_GUARANTEE),
        settings.get(COMMIT_INTERVAL), settings.get(THREADS), settings.get(STATE_DIR), settings.get(INSTANCE_ID));
  }
}
