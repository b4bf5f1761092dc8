package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.config.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference names every setting the router reads, with its environment variable. */
class ConfigDocumentationTest {

  @Test
  void readmeDocumentsEveryRouterSetting() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    for (Setting<?> setting : RouterConfig.allSettings()) {
      assertThat(readme).as("README row for " + setting.key())
          .contains("| `" + setting.key() + "` | `" + setting.envVar() + "` |");
    }
  }
}
