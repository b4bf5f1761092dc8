package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.client.ClientSettings;
import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Setting;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.worker.WorkerConfig;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration reference and the settings the code declares agree both ways: every setting of every
 * service, the local stack and the client has a row with its env variable and its default, and every row is a
 * setting the code declares. Settings are found by reflection (every {@code public static final Setting} field),
 * so one declared but left out of its service's {@code allSettings()} is caught too.
 */
class ConfigDocumentationTest {
  /** Each class declaring settings, and the list its program reads (and logs at start-up). */
  private static final Map<Class<?>, Supplier<List<Setting<?>>>> DECLARING = Map.of(
      CommonSettings.class, () -> CommonSettings.ALL,
      RouterConfig.class, RouterConfig::allSettings,
      WorkerConfig.class, WorkerConfig::allSettings,
      AggregatorConfig.class, AggregatorConfig::allSettings,
      BudgetServiceConfig.class, BudgetServiceConfig::allSettings,
      LocalStackConfig.class, LocalStackConfig::allSettings,
      ClientSettings.class, () -> ClientSettings.ALL);

  /**
   * Settings without a declared default whose program computes one: the README says how, and that text is
   * checked here so it cannot drift silently. Any other setting without a default must show none.
   */
  private static final Map<String, String> COMPUTED_DEFAULTS = Map.of(
      "worker.instance.id", "`worker-<hostname>`",
      "providers.<name>.type", "from the name",
      "providers.<name>.base.url", "per type",
      "providers.<name>.region", "`AWS_REGION` or `us-east-1`");
  private static final Set<String> NO_DEFAULT = Set.of("", "(none)", "(required)");
  private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| `([^`]+)` \\|([^|]*)\\|(.*)\\|$");

  private static Map<String, Row> rows;
  private static Map<String, Setting<?>> declared;

  private record Row(int line, String key, String env, String defaultCell) {}

  @BeforeAll
  static void read() throws IOException {
    rows = readmeRows(ProjectFiles.root().resolve("README.md"));
    declared = new LinkedHashMap<>();
    DECLARING.keySet().forEach(type -> staticSettings(type).forEach(s -> declared.putIfAbsent(s.key(), s)));
  }

  @Test
  void readmeHasARowWithTheEnvVariableForEveryDeclaredSetting() {
    List<String> problems = new ArrayList<>();
    declared.values().forEach(setting -> {
      Row row = rows.get(setting.key());
      if (row == null) {
        problems.add(setting.key() + " (" + setting.envVar() + ") has no row in the README's configuration reference");
      } else if (!row.env().equals(setting.envVar())) {
        problems.add("README.md:" + row.line() + ": " + setting.key() + " is read from " + setting.envVar() + ", not "
            + row.env());
      }
    });
    assertThat(problems).isEmpty();
  }

  @Test
  void everyReadmeRowIsADeclaredSetting() {
    assertThat(rows).as("rows of the configuration reference").hasSizeGreaterThan(50);
    List<String> problems = new ArrayList<>();
    rows.values().stream().filter(row -> !declared.containsKey(row.key())).forEach(row ->
        problems.add("README.md:" + row.line() + ": " + row.key() + " is documented but no program declares it"));
    assertThat(problems).isEmpty();
  }

  @Test
  void readmeDefaultIsTheDeclaredDefault() {
    List<String> problems = new ArrayList<>();
    declared.values().stream().filter(s -> rows.containsKey(s.key())).forEach(setting -> {
      Row row = rows.get(setting.key());
      String where = "README.md:" + row.line() + ": " + setting.key() + " ";
      String rendered = rendered(setting.defaultValue());
      if (rendered != null) {
        if (!row.defaultCell().startsWith("`" + rendered + "`")) {
          problems.add(where + "defaults to `" + rendered + "`, the README says '" + row.defaultCell() + "'");
        }
      } else if (COMPUTED_DEFAULTS.containsKey(setting.key())) {
        if (!row.defaultCell().equals(COMPUTED_DEFAULTS.get(setting.key()))) {
          problems.add(where + "is computed as '" + COMPUTED_DEFAULTS.get(setting.key()) + "', the README says '"
              + row.defaultCell() + "'");
        }
      } else if (!NO_DEFAULT.contains(row.defaultCell())) {
        problems.add(where + "has no default, the README says '" + row.defaultCell() + "'");
      }
    });
    assertThat(problems).isEmpty();
  }

  /** A setting declared but missing from its program's list is neither logged at start-up nor checked in compose. */
  @Test
  void everyDeclaredSettingIsInItsProgramsList() {
    List<String> problems = new ArrayList<>();
    DECLARING.forEach((type, list) -> {
      List<String> listed = list.get().stream().map(Setting::key).toList();
      staticSettings(type).stream().filter(s -> !listed.contains(s.key())).forEach(s ->
          problems.add(type.getSimpleName() + "." + s.key() + " is declared but not in its list of settings"));
    });
    assertThat(problems).isEmpty();
  }

  /** The README's form of a default: durations in ms, decimals without trailing zeros, the temp dir as $TMPDIR. */
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

  private static List<Setting<?>> staticSettings(Class<?> type) {
    List<Setting<?>> out = new ArrayList<>();
    for (Field field : type.getFields()) {
      int modifiers = field.getModifiers();
      if (Modifier.isStatic(modifiers) && Modifier.isFinal(modifiers) && Setting.class.equals(field.getType())) {
        try {
          out.add((Setting<?>) field.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return out;
  }

  /** The rows of the table under "## Configuration reference", by key. */
  private static Map<String, Row> readmeRows(Path readme) throws IOException {
    List<String> lines = Files.readAllLines(readme);
    Map<String, Row> out = new LinkedHashMap<>();
    boolean inSection = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("## ")) {
        inSection = line.equals("## Configuration reference");
        continue;
      }
      Matcher m = ROW.matcher(line);
      if (inSection && m.matches()) {
        Row previous = out.put(m.group(1), new Row(i + 1, m.group(1), m.group(2), m.group(3).trim()));
        assertThat(previous).as("README.md:%d: %s has a second row (first on line %d)", i + 1, m.group(1),
            previous == null ? 0 : previous.line()).isNull();
      }
    }
    return out;
  }
}
