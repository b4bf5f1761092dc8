package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.config.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference names every setting the router and worker read, with its env variable. */
class ConfigDocumentationTest {

  @Test
  void readmeDocumentsEveryRouterAndWorkerSetting() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    java.util.List<Setting<?>> settings = new java.util.ArrayList<>(RouterConfig.allSettings());
    settings.addAll(io.modelrouter.worker.WorkerConfig.allSettings());
    for (Setting<?> setting : settings) {
      assertThat(readme).as("README row for " + setting.key())
          .contains("| `" + setting.key() + "` | `" + setting.envVar() + "` |");
    }
  }
}
