package io.modelrouter.router.learning;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.StreamsLifecycle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/** The learner's settings and the Kafka Streams properties derived from them. */
public final class LearnerConfig {
  public static final Setting<String> APPLICATION_ID = Setting.string("learner.application.id",
      "model-router-learner", "Kafka Streams application id of the learner (consumer group, internal topics).");
  public static final Setting<Integer> THREADS = Setting.integer("learner.threads", 1, "Learner stream threads.")
      .atLeast(1);
  public static final Setting<String> STATE_DIR = Setting.string("learner.state.dir",
      System.getProperty("java.io.tmpdir") + "/model-router/learner", "Learner Kafka Streams state directory.");
  public static final Setting<Duration> PUBLISH_INTERVAL = Setting.duration("learner.publish.interval",
      Duration.ofSeconds(5), "How often a team whose exemplars changed gets a new model version.").positive();
  public static final Setting<Duration> DECISION_RETENTION = Setting.duration("learner.decision.retention",
      Duration.ofHours(6), "How long a learned routing decision waits for its feedback; later feedback is unmatched.")
      .positive();
  public static final Setting<Integer> MAX_EXEMPLARS = Setting.integer("learner.team.max.exemplars", 500,
      "Learned exemplars kept per team (the oldest go first); 500 keep a model version near 300 KB.")
      .between(1, 1_500);
  public static final Setting<Integer> VERSIONS_KEPT = Setting.integer("learner.versions.kept", 20,
      "Model versions kept per team on llm.router.models, for pinning and rollback; older ones are deleted.")
      .between(1, 1_000);
  public static final Setting<Integer> MAX_FEEDBACK_BYTES = Setting.integer("learner.max.feedback.bytes", 65_536,
      "The largest feedback record the learner reads (a valid one is under 16 KB: ids of 256 characters, a comment "
          + "of 2,000); a larger one goes to the DLQ with the reason, undecoded.").between(1_024, 16 * 1024 * 1024);
  public static final Setting<Integer> METRICS_PORT = Setting.integer("learner.metrics.port", 9404,
      "port of GET /metrics and GET /health when run as LearnerMain; -1 turns it off, 0 picks one")
      .between(-1, 65_535);
  public static final List<Setting<?>> SETTINGS = List.of(APPLICATION_ID, THREADS, STATE_DIR, PUBLISH_INTERVAL,
      DECISION_RETENTION, MAX_EXEMPLARS, VERSIONS_KEPT, MAX_FEEDBACK_BYTES, METRICS_PORT);

  private final Settings settings;

  public LearnerConfig(Settings settings) {
    this.settings = settings.validate(allSettings());
  }

  /** What the learning processor needs. */
  public record Learning(Duration publishInterval, Duration decisionRetention, int maxExemplars, int versionsKept,
      int maxFeedbackBytes) {}

  public Learning learning() {
    return new Learning(settings.get(PUBLISH_INTERVAL), settings.get(DECISION_RETENTION), settings.get(MAX_EXEMPLARS),
        settings.get(VERSIONS_KEPT), settings.get(MAX_FEEDBACK_BYTES));
  }

  public static List<Setting<?>> allSettings() {
    List<Setting<?>> all = new ArrayList<>(CommonSettings.ALL);
    all.addAll(SETTINGS);
    return all;
  }

  public Properties streamsProperties() {
    // exactly once: a judgement is applied to its team's model once, and a version is published once
    return StreamsLifecycle.properties(settings, settings.get(APPLICATION_ID), StreamsConfig.EXACTLY_ONCE_V2,
        Duration.ofMillis(200), settings.get(THREADS), settings.get(STATE_DIR), null);
  }
}
