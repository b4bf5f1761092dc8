package io.modelrouter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  private static final Setting<Integer> THREADS = Setting.integer("router.threads", 2, "stream threads");
  private static final Setting<Duration> TIMEOUT = Setting.duration("worker.timeout", Duration.ofSeconds(30), "t");
  private static final Setting<String> KEY = Setting.secret("providers.anthropic.api.key", "key");

  @Test
  void envVarIsDerivedFromTheKey() {
    assertThat(THREADS.envVar()).isEqualTo("MR_ROUTER_THREADS");
    assertThat(Setting.envVarOf("kafka.bootstrap.servers")).isEqualTo("MR_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void overridesBeatEnvironmentWhichBeatsDefaults() {
    Settings settings = Settings.from(Map.of("MR_ROUTER_THREADS", "4", "MR_WORKER_TIMEOUT", "PT2S"),
        Map.of("router.threads", "6"));
    assertThat(settings.get(THREADS)).isEqualTo(6);
    assertThat(settings.get(TIMEOUT)).isEqualTo(Duration.ofSeconds(2));
    assertThat(Settings.from(Map.of(), Map.of()).get(THREADS)).isEqualTo(2);
    assertThat(Settings.of(Map.of("worker.timeout", "1500")).get(TIMEOUT)).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void badValuesNameTheKeyTheEnvVarAndTheValue() {
    assertThatThrownBy(() -> Settings.of(Map.of("router.threads", "two")).get(THREADS))
        .hasMessageContaining("router.threads (MR_ROUTER_THREADS) is invalid")
        .hasMessageContaining("got 'two'");
  }

  @Test
  void secretsAreNeverShown() {
    Settings settings = Settings.of(Map.of("providers.anthropic.api.key", "sk-ant-secret"));
    assertThat(settings.describe(java.util.List.of(KEY, THREADS)))
        .containsExactly("providers.anthropic.api.key = ***", "router.threads = 2");
    assertThatThrownBy(() -> Settings.of(Map.of("x.count", "sk-123")).get(Setting.integer("x.count", 1, "")))
        .hasMessageContaining("sk-123");
  }

  @Test
  void kafkaPrefixedKeysPassThroughToClients() {
    Settings settings = Settings.from(Map.of("MR_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
        "MR_KAFKA_BOOTSTRAP_SERVERS", "b:9092"), Map.of());
    assertThat(settings.kafkaOverrides()).containsExactly(Map.entry("security.protocol", "SASL_SSL"));
    assertThat(CommonSettings.kafkaClientConfig(settings)).containsEntry("bootstrap.servers", "b:9092");
  }

  @Test
  void requiredSettingsSayWhichEnvVarToSet() {
    assertThatThrownBy(() -> Settings.of(Map.of()).require(KEY))
        .hasMessage("providers.anthropic.api.key is required (env MR_PROVIDERS_ANTHROPIC_API_KEY)");
  }
}
