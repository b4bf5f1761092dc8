package io.modelrouter.worker;

import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.ServiceMain;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code io.modelrouter.worker.WorkerMain}: the provider worker as its own process, configured by MR_* variables. */
public final class WorkerMain {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Phases.main("worker");
    Settings settings = Settings.fromEnvironment();
    // Every setting, each provider's included (keys masked), so an operator sees what the worker runs with.
    List<Setting<?>> declared = new ArrayList<>(WorkerConfig.allSettings().stream().filter(s -> !s.isTemplate())
        .toList());
    for (String provider : new WorkerConfig(settings).providerNames()) {
      WorkerConfig.PROVIDER_TEMPLATES.forEach(template -> declared.add(template.forName(provider)));
    }
    settings.describe(declared).forEach(line -> LOG.info("config {}", line));
    WorkerService worker = new WorkerService(settings).start();
    Phases.mark("worker", "started");
    ServiceMain.serve("worker", worker, worker.registry(), worker::health, settings.get(WorkerConfig.METRICS_PORT));
    while (worker.isRunning()) {
      Thread.sleep(1_000);
    }
    // not when a stop was asked for: the loop ends while the shutdown hook is still closing the worker
    if (!ServiceMain.stopRequested()) {
      LOG.error("the worker loop stopped; exiting so that a supervisor restarts the worker");
      worker.close();
      System.exit(1);
    }
  }
}
