package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo runs against simulated providers only, unless the user asks for it explicitly. */
class DemoDecisionTest {
  private static final List<String> NONE_REAL = List.of();
  private static final List<String> ANTHROPIC_REAL = List.of("anthropic");

  @Test
  void runsByDefaultWhenEveryProviderIsSimulated() {
    DemoDecision decision = DemoDecision.decide(mode(), NONE_REAL, "20");

    assertThat(decision.run()).isTrue();
    assertThat(decision.note()).isEmpty();
  }

  @Test
  void staysOffByDefaultWhenAProviderIsRealAndSaysWhyAndHowToRunIt() {
    DemoDecision decision = DemoDecision.decide(mode(), ANTHROPIC_REAL, "20");

    assertThat(decision.run()).isFalse();
    assertThat(decision.note()).startsWith("off: ").contains("anthropic", "are real", "20 requests/s", "billed",
        "--demo", "MR_LOCAL_DEMO=true");
  }

  @Test
  void runsAgainstRealProvidersWhenAskedWithTheDemoFlagAndWarnsThatItBills() {
    DemoDecision flag = DemoDecision.decide(mode("--demo"), List.of("anthropic", "openai"), "20");
    DemoDecision variable = DemoDecision.decide(
        LocalStackConfig.demoMode(LocalStackConfig.parse(new String[0], Map.of("MR_LOCAL_DEMO", "true"))),
        ANTHROPIC_REAL, "20");

    assertThat(flag.run()).isTrue();
    assertThat(flag.note()).contains("anthropic, openai", "--demo", "billed");
    assertThat(variable.run()).isTrue();
  }

  @Test
  void noDemoKeepsItOffWhateverTheProviders() {
    assertThat(DemoDecision.decide(mode("--no-demo"), NONE_REAL, "20"))
        .isEqualTo(new DemoDecision(false, "off (--no-demo)"));
    assertThat(DemoDecision.decide(mode("--no-demo"), ANTHROPIC_REAL, "20").run()).isFalse();
  }

  @Test
  void theLastOfTheFlagsWinsAndAnUnknownValueIsRefused() {
    assertThat(mode("--demo", "--no-demo")).isEqualTo(DemoDecision.Mode.OFF);
    assertThat(mode("--no-demo", "--demo")).isEqualTo(DemoDecision.Mode.ON);
    assertThatThrownBy(() -> LocalStackConfig.parse(new String[0], Map.of("MR_LOCAL_DEMO", "yes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("local.demo (MR_LOCAL_DEMO) must be one of auto, true, false, got 'yes'");
  }

  private static DemoDecision.Mode mode(String... args) {
    return LocalStackConfig.demoMode(LocalStackConfig.parse(args, Map.of()));
  }
}
