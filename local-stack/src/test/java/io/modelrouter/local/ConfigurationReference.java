package io.modelrouter.local;

import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.client.ClientSettings;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.router.learning.LearnerConfig;
import io.modelrouter.worker.WorkerConfig;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Renders {@code docs/configuration.md} from the settings the programs declare: every key, its environment variable,
 * its default, the rule a value must meet (the setting's validator) and its documentation. The file is generated, not
 * hand-kept; {@code ConfigDocumentationTest} fails when it is stale and says how to regenerate it.
 */
final class ConfigurationReference {
  private ConfigurationReference() {}

  /** One program's section: its title, a sentence, and the list its program reads (and logs at start-up). */
  record Section(String title, String intro, Class<?> declaring, Supplier<List<Setting<?>>> settings) {}

  static final List<Section> SECTIONS = List.of(
      new Section("Every service and the client", "Kafka, the schema registry and topic creation.",
          CommonSettings.class, () -> CommonSettings.ALL),
      new Section("router-service (`RouterMain`)", "The router stream and admission control.",
          RouterConfig.class, RouterConfig::allSettings),
      new Section("learner (`LearnerMain`, in router-service)", "Learning from feedback: each team's learned "
          + "routing model, published to `llm.router.models`.", LearnerConfig.class, LearnerConfig::allSettings),
      new Section("provider-worker (`WorkerMain`)", "Delivery, the simulated provider, and each provider's settings: "
          + "replace `<name>` with the provider's name (`providers.anthropic.timeout`, "
          + "`MR_PROVIDERS_ANTHROPIC_TIMEOUT`).", WorkerConfig.class, WorkerConfig::allSettings),
      new Section("usage-aggregator (`AggregatorMain`)", "Usage windows, budget actions and alerts.",
          AggregatorConfig.class, AggregatorConfig::allSettings),
      new Section("budget-service (`BudgetServiceMain`)", "The HTTP API, `/usage` and the dashboard.",
          BudgetServiceConfig.class, BudgetServiceConfig::allSettings),
      new Section("Local stack (`bin/local-stack`)", "The one-command local run; each also has a command-line "
          + "option (`bin/local-stack --help`).", LocalStackConfig.class, LocalStackConfig::allSettings),
      new Section("Client SDK (`RouterClient.fromSettings`)", "Read by `RouterClient.fromSettings(Settings."
          + "fromEnvironment())`, with the common settings and `kafka.*`.", ClientSettings.class,
          () -> ClientSettings.ALL));

  /**
   * Settings without a declared default whose program computes one: the reference says how. Any other setting
   * without a default shows none.
   */
  static final Map<String, String> COMPUTED_DEFAULTS = Map.of(
      "worker.instance.id", "`worker-<hostname>`",
      "worker.usage.journal.dir", "`<java.io.tmpdir>/model-router-usage-journal/<worker.instance.id>`",
      "providers.<name>.type", "from the name",
      "providers.<name>.base.url", "per type",
      "providers.<name>.region", "`AWS_REGION` or `us-east-1`",
      "budget.admin.token", "(required)");

  private static final String HEADER = """
      # Configuration reference

      <!-- Generated from the settings the code declares by ConfigDocumentationTest: do not edit by hand. To
           regenerate: ./mvnw -pl local-stack -am test -Dtest=ConfigDocumentationTest -Dsurefire.failIfNoSpecifiedTests=false -Dconfig.docs.write=true -->

      Every service reads its settings from environment variables `MR_<KEY>` (the key upper-cased, dots and dashes as
      underscores), from a properties file named by `MR_CONFIG_FILE`, or defaults, in that order of precedence. Keys
      starting with `kafka.` are passed to every Kafka client without the prefix (`MR_KAFKA_SECURITY_PROTOCOL=SASL_SSL`).
      Each service checks every value at start-up against the rule shown in the *valid* column (a bad value stops it
      with a message naming the key, its variable, the rule and the value) and logs its effective settings, secrets
      masked. Durations are milliseconds (`1500`) or ISO-8601 (`PT1.5S`); `$TMPDIR` is the JVM's temporary directory.
      """;

  static String render() {
    StringBuilder out = new StringBuilder(HEADER);
    List<String> common = CommonSettings.ALL.stream().map(Setting::key).toList();
    for (Section section : SECTIONS) {
      out.append("\n## ").append(section.title()).append("\n\n").append(section.intro()).append("\n\n");
      out.append("| key | env | default | valid | meaning |\n|---|---|---|---|---|\n");
      List<Setting<?>> settings = new ArrayList<>(section.settings().get());
      if (section.declaring() != CommonSettings.class) {
        settings.removeIf(s -> common.contains(s.key()));
      }
      for (Setting<?> setting : settings) {
        out.append("| `").append(setting.key()).append("` | `").append(setting.envVar()).append("` | ")
            .append(defaultCell(setting)).append(" | ").append(setting.rule() == null ? "" : setting.rule())
            .append(" | ").append(escape(setting.doc())).append(setting.isSecret() ? " (secret)" : "").append(" |\n");
      }
    }
    return out.toString();
  }

  static String defaultCell(Setting<?> setting) {
    String rendered = rendered(setting.defaultValue());
    if (rendered != null) {
      return "`" + rendered + "`";
    }
    return COMPUTED_DEFAULTS.getOrDefault(setting.key(), "(none)");
  }

  /** A default as the reference shows it: durations in ms, decimals without trailing zeros, the temp dir as $TMPDIR. */
  static String rendered(Object value) {
    return switch (value) {
      case null -> null;
      case Duration d -> Long.toString(d.toMillis());
      case Double d -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
      case String s when s.isEmpty() -> null;
      case String s -> {
        String tmp = System.getProperty("java.io.tmpdir").replaceAll("/+$", "");
        yield s.startsWith(tmp + "/") ? "$TMPDIR" + s.substring(tmp.length()) : s;
      }
      default -> value.toString();
    };
  }

  private static String escape(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
