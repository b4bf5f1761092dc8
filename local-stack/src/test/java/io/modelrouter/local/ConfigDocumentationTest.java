package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.aggregator.AggregatorConfig;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.config.Setting;
import io.modelrouter.router.RouterConfig;
import io.modelrouter.worker.WorkerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's configuration reference has a row for every setting any service reads, with its env variable. */
class ConfigDocumentationTest {

  @Test
  void readmeDocumentsEverySettingOfEveryService() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    List<Setting<?>> settings = new ArrayList<>(RouterConfig.allSettings());
    settings.addAll(WorkerConfig.allSettings());
    settings.addAll(AggregatorConfig.allSettings());
    settings.addAll(BudgetServiceConfig.allSettings());
    settings.addAll(LocalStackConfig.allSettings());
    List<String> missing = settings.stream().filter(s -> !readme.contains("| `" + s.key() + "` | `" + s.envVar() + "` |"))
        .map(Setting::key).distinct().toList();
    assertThat(missing).as("settings without a README row").isEmpty();
  }
}
