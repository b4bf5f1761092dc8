package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.config.Setting;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} is generated from the settings the code declares ({@link ConfigurationReference}):
 * this test fails when the file is stale, and rewrites it when run with {@code -Dconfig.docs.write=true}. Settings are
 * also found by reflection (every {@code public static final Setting} field), so one declared but left out of its
 * program's list, which would be neither documented, checked at start-up nor logged, is caught too.
 */
class ConfigDocumentationTest {
  private static final Path DOC = ProjectFiles.root().resolve("docs/configuration.md");

  @Test
  void theConfigurationReferenceIsGeneratedFromTheDeclaredSettings() throws IOException {
    String expected = ConfigurationReference.render();
    if (Boolean.getBoolean("config.docs.write")) {
      Files.writeString(DOC, expected, StandardCharsets.UTF_8);
    }
    String actual = Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "";
    if (!actual.equals(expected)) {
      Path fresh = Path.of("target", "configuration.md");
      Files.createDirectories(fresh.getParent());
      Files.writeString(fresh, expected, StandardCharsets.UTF_8);
      assertThat(actual).as("docs/configuration.md is stale: regenerate it with ./mvnw -pl local-stack -am test "
          + "-Dtest=ConfigDocumentationTest -Dsurefire.failIfNoSpecifiedTests=false -Dconfig.docs.write=true (the "
          + "fresh text is in local-stack/%s)", fresh).isEqualTo(expected);
    }
  }

  @Test
  void theReferenceNamesEverySettingWithItsVariableAndDefault() {
    String doc = ConfigurationReference.render();
    for (ConfigurationReference.Section section : ConfigurationReference.SECTIONS) {
      for (Setting<?> setting : section.settings().get()) {
        assertThat(doc).as(setting.key()).contains("| `" + setting.key() + "` | `" + setting.envVar() + "` | "
            + ConfigurationReference.defaultCell(setting) + " |");
      }
    }
    assertThat(doc).contains("| `router.threads` | `MR_ROUTER_THREADS` | `2` | at least 1 |");
    assertThat(doc).contains("| `worker.simulate` | `MR_WORKER_SIMULATE` | `auto` | one of auto, all, none |");
    assertThat(doc).contains("| `budget.http.port` | `MR_BUDGET_HTTP_PORT` | `8080` | between 0 and 65535 |");
  }

  /** Every default satisfies its own setting's rule: a program started with no configuration starts. */
  @Test
  void everyDefaultIsValid() {
    List<String> problems = new ArrayList<>();
    ConfigurationReference.SECTIONS.forEach(section -> section.settings().get().forEach(setting -> {
      if (!valid(setting)) {
        problems.add(setting.key() + " defaults to " + setting.defaultValue() + ", which is not " + setting.rule());
      }
    }));
    assertThat(problems).isEmpty();
  }

  private static <T> boolean valid(Setting<T> setting) {
    return setting.isValid(setting.defaultValue());
  }

  /** A setting declared but missing from its program's list is neither documented, checked nor logged. */
  @Test
  void everyDeclaredSettingIsInItsProgramsList() {
    List<String> problems = new ArrayList<>();
    ConfigurationReference.SECTIONS.forEach(section -> {
      List<String> listed = section.settings().get().stream().map(Setting::key).toList();
      staticSettings(section.declaring()).stream().filter(s -> !listed.contains(s.key())).forEach(s ->
          problems.add(section.declaring().getSimpleName() + "." + s.key() + " is declared but not in its list"));
    });
    assertThat(problems).isEmpty();
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
}
