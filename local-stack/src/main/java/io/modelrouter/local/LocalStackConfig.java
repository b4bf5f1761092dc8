package io.modelrouter.local;

import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Settings of the one-command local stack ({@code local.*}, env {@code MR_LOCAL_*}), and the command-line flags that
 * set them. Every service setting ({@code router.*}, {@code budget.*}, ...) applies too.
 */
public final class LocalStackConfig {
  public static final Setting<String> DATA_DIR = Setting.string("local.data.dir", ".local-stack",
      "where the broker's log, the registry's schemas and the stream state live; delete it to start over");
  public static final Setting<Integer> KAFKA_PORT = Setting.integer("local.kafka.port", 9092,
      "port of the embedded broker (its controller listens on the next port)").between(1, 65_534);
  public static final Setting<Integer> REGISTRY_PORT = Setting.integer("local.registry.port", 8081,
      "port of the embedded schema registry").between(1, 65_534);
  public static final Setting<String> DEMO = Setting.string("local.demo", "auto",
      "run the demo workload (seed 003's development loop for a few teams): auto runs it only when every provider "
          + "is simulated, true also against real providers (it bills them), false never").oneOf("auto", "true", "false");
  public static final Setting<Double> DEMO_RATE = Setting.decimal("local.demo.rate",
      DemoWorkload.Options.DEFAULT_RATE, "demo requests per second, all teams together")
      .validWhen(rate -> rate > 0 && rate <= 5_000, "above 0 and at most 5000");
  public static final Setting<Integer> DEMO_TEAMS = Setting.integer("local.demo.teams",
      DemoWorkload.Options.DEFAULT_TEAMS, "demo teams, the small-budget team included").between(2, 9);
  public static final Setting<Double> LEARNING_RATE = Setting.decimal("local.demo.learning.rate", 15.0,
      "requests per second of the learning demo (team-learner: the learned strategy, a pipeline reporting CI outcomes "
          + "as feedback); 0 turns it off").validWhen(rate -> rate >= 0 && rate <= 200, "0 to 200");
  public static final Setting<Duration> SUMMARY_INTERVAL = Setting.duration("local.summary.interval",
      Duration.ofSeconds(5), "how often the console summary is printed").positive();
  public static final List<Setting<?>> SETTINGS = List.of(DATA_DIR, KAFKA_PORT, REGISTRY_PORT, DEMO, DEMO_RATE,
      DEMO_TEAMS, LEARNING_RATE, SUMMARY_INTERVAL);

  static final String USAGE_FILE = "local-stack-usage.txt";

  /** Command-line flags and the setting each one sets; flags without a value set {@code true}/{@code false}. */
  private static final Map<String, String> FLAGS = Map.of(
      "--data-dir", DATA_DIR.key(),
      "--kafka-port", KAFKA_PORT.key(),
      "--registry-port", REGISTRY_PORT.key(),
      "--http-port", "budget.http.port",
      "--rate", DEMO_RATE.key(),
      "--teams", DEMO_TEAMS.key());

  /** The usage text; a plain file, so that bin/local-stack --help can print it without building anything. */
  static final String USAGE = usage();

  private LocalStackConfig() {}

  private static String usage() {
    try (InputStream in = LocalStackConfig.class.getResourceAsStream("/" + USAGE_FILE)) {
      if (in == null) {
        throw new IllegalStateException(USAGE_FILE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The command-line options, those with a value and those without. */
  static Set<String> options() {
    Set<String> options = new TreeSet<>(FLAGS.keySet());
    options.addAll(List.of("--demo", "--no-demo", "--help"));
    return options;
  }

  /** The environment's settings with the command line's on top; an unknown flag or a missing value is an error. */
  static Settings parse(String[] args, Map<String, String> environment) {
    Map<String, String> overrides = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--no-demo")) {
        overrides.put(DEMO.key(), "false");
      } else if (arg.equals("--demo")) {
        overrides.put(DEMO.key(), "true");
      } else if (FLAGS.containsKey(arg)) {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
          throw new IllegalArgumentException(arg + " needs a value\n" + USAGE);
        }
        overrides.put(FLAGS.get(arg), args[++i]);
      } else {
        throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
      }
    }
    Settings settings = Settings.from(environment, overrides);
    validate(settings);
    return settings;
  }

  private static void validate(Settings settings) {
    settings.validate(SETTINGS);
    demoMode(settings);
  }

  static DemoDecision.Mode demoMode(Settings settings) {
    return DemoDecision.Mode.parse(settings.get(DEMO));
  }

  static Path dataDir(Settings settings) {
    return Path.of(settings.get(DATA_DIR)).toAbsolutePath().normalize();
  }

  public static List<Setting<?>> allSettings() {
    return SETTINGS;
  }
}
