package io.modelrouter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingValidatorsTest {
  private static final Setting<Integer> THREADS = Setting.integer("router.threads", 2, "t").atLeast(1);
  private static final Setting<Integer> PORT = Setting.integer("budget.http.port", 8080, "p").between(0, 65_535);
  private static final Setting<String> MODE = Setting.string("worker.simulate", "auto", "m")
      .oneOf("auto", "all", "none");
  private static final Setting<Duration> EVERY = Setting.duration("x.interval", Duration.ofSeconds(1), "i")
      .positive();
  private static final Setting<String> HOST = Setting.string("budget.http.host", "localhost", "h").nonEmpty();
  private static final Setting<Integer> TEMPLATE = Setting.integer("providers.<name>.breaker.window", 20, "w")
      .atLeast(1);

  @Test
  void aValueOutsideTheRuleIsRefusedWhereItIsReadNamingKeyVariableRuleAndValue() {
    assertThatThrownBy(() -> Settings.of(Map.of("router.threads", "0")).get(THREADS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("router.threads (MR_ROUTER_THREADS) must be at least 1, got 0");
    assertThatThrownBy(() -> Settings.of(Map.of("budget.http.port", "70000")).get(PORT))
        .hasMessage("budget.http.port (MR_BUDGET_HTTP_PORT) must be between 0 and 65535, got 70000");
    assertThatThrownBy(() -> Settings.of(Map.of("worker.simulate", "sometimes")).get(MODE))
        .hasMessage("worker.simulate (MR_WORKER_SIMULATE) must be one of auto, all, none, got 'sometimes'");
    assertThatThrownBy(() -> Settings.of(Map.of("x.interval", "0")).get(EVERY))
        .hasMessage("x.interval (MR_X_INTERVAL) must be positive, got PT0S (0 ms)");
  }

  @Test
  void valuesWithinTheRuleAndTheBoundsThemselvesPass() {
    assertThat(Settings.of(Map.of("router.threads", "1")).get(THREADS)).isEqualTo(1);
    assertThat(Settings.of(Map.of("budget.http.port", "65535")).get(PORT)).isEqualTo(65_535);
    assertThat(Settings.of(Map.of("budget.http.port", "0")).get(PORT)).isZero();
    assertThat(Settings.of(Map.of("worker.simulate", " ALL ")).get(MODE)).isEqualTo(" ALL ");
    assertThat(Settings.of(Map.of("x.interval", "1")).get(EVERY)).isEqualTo(Duration.ofMillis(1));
    assertThat(Settings.of(Map.of()).get(HOST)).isEqualTo("localhost");
  }

  @Test
  void aTemplatesConcreteSettingKeepsItsRule() {
    Setting<Integer> anthropic = TEMPLATE.forName("anthropic");
    assertThat(anthropic.rule()).isEqualTo("at least 1");
    assertThatThrownBy(() -> Settings.of(Map.of("providers.anthropic.breaker.window", "0")).get(anthropic))
        .hasMessageStartingWith("providers.anthropic.breaker.window (MR_PROVIDERS_ANTHROPIC_BREAKER_WINDOW) must be");
    assertThat(TEMPLATE.withDefault(5).rule()).isEqualTo("at least 1");
  }

  @Test
  void rulesCombineAndAreShownInWords() {
    Setting<Integer> odd = THREADS.validWhen(v -> v % 2 == 1, "odd");
    assertThat(odd.rule()).isEqualTo("at least 1 and odd");
    assertThat(odd.isValid(3)).isTrue();
    assertThat(odd.isValid(2)).isFalse();
    assertThat(odd.isValid(-1)).isFalse();
    assertThat(Setting.integer("a.b", 1, "d").rule()).isNull();
  }

  @Test
  void validateReportsEveryBadValueAtOnceAndSkipsTemplates() {
    Settings settings = Settings.of(Map.of("router.threads", "0", "budget.http.port", "-5",
        "providers.<name>.breaker.window", "0"));
    assertThatThrownBy(() -> settings.validate(List.of(THREADS, PORT, MODE, TEMPLATE)))
        .hasMessageStartingWith("2 settings are invalid: ")
        .hasMessageContaining("router.threads (MR_ROUTER_THREADS) must be at least 1, got 0")
        .hasMessageContaining("budget.http.port (MR_BUDGET_HTTP_PORT) must be between 0 and 65535, got -5");
    assertThat(Settings.of(Map.of()).validate(List.of(THREADS, PORT, MODE, EVERY, HOST))).isNotNull();
  }

  @Test
  void aSecretsValueIsNeverShownInARuleError() {
    Setting<String> key = Setting.secret("providers.x.api.key", "k").validWhen(v -> v.startsWith("sk-"), "an sk- key");
    assertThatThrownBy(() -> Settings.of(Map.of("providers.x.api.key", "hunter2")).get(key))
        .hasMessage("providers.x.api.key (MR_PROVIDERS_X_API_KEY) must be an sk- key, got ***");
  }
}
