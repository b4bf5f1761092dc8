package io.modelrouter.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.config.Settings;
import io.modelrouter.worker.provider.Provider;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which providers a worker builds: real ones with credentials, simulated ones only when its settings allow. */
class ProvidersTest {

  private static Map<String, Provider> build(String simulate, Map<String, String> environment) {
    WorkerConfig config = new WorkerConfig(Settings.of(Map.of("worker.providers", "anthropic,openai",
        "worker.simulate", simulate)));
    Map<String, Provider> providers = Providers.build(config, environment);
    providers.values().forEach(Provider::close);
    return providers;
  }

  @Test
  void withSimulationOffAProviderWithoutAKeyIsLeftOutNeverSimulated() {
    Map<String, Provider> providers = build("none", Map.of("ANTHROPIC_API_KEY", "sk-ant-real"));

    assertThat(providers).containsOnlyKeys("anthropic");
    assertThat(providers.get("anthropic").simulated()).isFalse();
  }

  @Test
  void withSimulationOffAndNoKeyAtAllTheWorkerRefusesToStart() {
    assertThatThrownBy(() -> build("none", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("worker.simulate=none and no provider has credentials");
  }

  @Test
  void withSimulationAutoAProviderWithoutAKeyIsSimulated() {
    Map<String, Provider> providers = build("auto", Map.of("ANTHROPIC_API_KEY", "sk-ant-real"));

    assertThat(providers.get("anthropic").simulated()).isFalse();
    assertThat(providers.get("openai").simulated()).isTrue();
  }
}
