package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.config.CommonSettings;
import io.modelrouter.config.Settings;
import io.modelrouter.router.RouterConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the local stack hands its services, without starting anything. */
class LocalStackTest {
  private static final Path DATA = Path.of("/data/local");
  private static final String BROKER = "localhost:19092";
  private static final String REGISTRY = "http://localhost:18081";

  @Test
  void leftoverBrokerAndRegistryVariablesAreIgnoredWithAWarningNamingEach() {
    // Given: a shell that still exports the production cluster's addresses
    Settings given = LocalStackConfig.parse(new String[0], Map.of(
        "MR_KAFKA_BOOTSTRAP_SERVERS", "kafka-prod-1:9092",
        "MR_SCHEMA_REGISTRY_URL", "https://user:secret@registry.prod:8081"));

    // When
    LocalStack.ServiceSettings resolved = LocalStack.serviceSettings(given, BROKER, REGISTRY, DATA);

    // Then: the embedded broker and registry win, and each ignored variable is named (its value is not repeated)
    assertThat(resolved.settings().get(CommonSettings.BOOTSTRAP_SERVERS)).isEqualTo(BROKER);
    assertThat(resolved.settings().get(CommonSettings.SCHEMA_REGISTRY_URL)).isEqualTo(REGISTRY);
    assertThat(CommonSettings.kafkaClientConfig(resolved.settings())).containsEntry("bootstrap.servers", BROKER);
    assertThat(resolved.warnings()).hasSize(2);
    assertThat(resolved.warnings().get(0)).startsWith("MR_KAFKA_BOOTSTRAP_SERVERS (kafka.bootstrap.servers) is set "
        + "but ignored").contains("embedded broker at " + BROKER, "--kafka-port").doesNotContain("kafka-prod-1");
    assertThat(resolved.warnings().get(1)).startsWith("MR_SCHEMA_REGISTRY_URL (schema.registry.url) is set but "
        + "ignored").contains("embedded schema registry at " + REGISTRY).doesNotContain("secret", "registry.prod");
  }

  @Test
  void noWarningWhenNothingIsSetOrTheValueIsTheEmbeddedOne() {
    Settings unset = LocalStackConfig.parse(new String[0], Map.of());
    Settings same = LocalStackConfig.parse(new String[0], Map.of("MR_KAFKA_BOOTSTRAP_SERVERS", BROKER));

    assertThat(LocalStack.serviceSettings(unset, BROKER, REGISTRY, DATA).warnings()).isEmpty();
    assertThat(LocalStack.serviceSettings(same, BROKER, REGISTRY, DATA).warnings()).isEmpty();
    assertThat(LocalStack.serviceSettings(unset, BROKER, REGISTRY, DATA).settings()
        .get(CommonSettings.BOOTSTRAP_SERVERS)).isEqualTo(BROKER);
  }

  @Test
  void theUsersOtherSettingsWinOverTheLocalDefaults() {
    Settings given = LocalStackConfig.parse(new String[0], Map.of("MR_TOPICS_PARTITIONS", "2",
        "MR_ROUTER_STATE_DIR", "/elsewhere"));

    Settings settings = LocalStack.serviceSettings(given, BROKER, REGISTRY, DATA).settings();

    assertThat(settings.get(CommonSettings.TOPIC_PARTITIONS)).isEqualTo(2);
    assertThat(settings.get(RouterConfig.STATE_DIR)).isEqualTo("/elsewhere");
    assertThat(LocalStack.serviceSettings(LocalStackConfig.parse(new String[0], Map.of()), BROKER, REGISTRY, DATA)
        .settings().get(RouterConfig.STATE_DIR)).isEqualTo(DATA.resolve("streams/router").toString());
  }

  @Test
  void theSmallBudgetIsSizedWithTheSimulatorsConfiguredOutputSoItPausesInAboutNinetySeconds() {
    // Given: a simulator answering 100 output tokens on average (not its default 350), 40 requests/s over 4 teams
    Settings settings = LocalStackConfig.parse(new String[] {"--rate", "40"},
        Map.of("MR_SIMULATOR_OUTPUT_TOKENS", "100"));

    // When
    DemoWorkload.Options options = LocalStack.demoOptions(settings);
    DemoWorkload.Team tiny = DemoWorkload.teams(options).getLast();

    // Then: 10 requests/s x 100 tokens x 90 s
    assertThat(options.meanOutputTokens()).isEqualTo(100);
    assertThat(tiny.smallBudget()).isTrue();
    assertThat(tiny.dailyOutputTokens()).isEqualTo(90_000);
    double secondsToPause = tiny.dailyOutputTokens() / (40.0 / 4 * 100);
    assertThat(secondsToPause).isCloseTo(DemoWorkload.SMALL_BUDGET_SECONDS, Offset.offset(5.0));
    assertThat(LocalStack.demoOptions(LocalStackConfig.parse(new String[0], Map.of())).smallBudget())
        .as("the simulator's default 350 tokens at 20 requests/s over 4 teams").isEqualTo(158_000);
  }

  @Test
  void theUsageNamesEveryOption() {
    assertThat(LocalStackConfig.options()).contains("--demo", "--no-demo", "--kafka-port", "--help")
        .allSatisfy(option -> assertThat(LocalStackConfig.USAGE).contains("  " + option + " "));
  }

  @Test
  void binLocalStackPrintsTheHelpWithoutBuilding(@TempDir Path copy) throws Exception {
    // Given: the script in a tree without mvnw or any build output, so a build or a java launch would fail
    Path root = ProjectFiles.root();
    for (String file : List.of("bin/local-stack", "bin/java-env.sh",
        "local-stack/src/main/resources/" + LocalStackConfig.USAGE_FILE)) {
      Files.createDirectories(copy.resolve(file).getParent());
      Files.copy(root.resolve(file), copy.resolve(file));
    }

    // When
    Process help = new ProcessBuilder("bash", copy.resolve("bin/local-stack").toString(), "--rate", "5", "--help")
        .redirectErrorStream(true).start();
    String printed = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    // Then: the usage LocalStack prints too, and nothing else
    assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).as(printed).isZero();
    assertThat(printed).isEqualTo(LocalStackConfig.USAGE);
  }
}
