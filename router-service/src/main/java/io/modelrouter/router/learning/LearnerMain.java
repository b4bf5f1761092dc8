package io.modelrouter.router.learning;

import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.ServiceMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -cp ... io.modelrouter.router.learning.LearnerMain}: the learner as its own process (MR_* variables). */
public final class LearnerMain {
  private static final Logger LOG = LoggerFactory.getLogger(LearnerMain.class);

  private LearnerMain() {}

  public static void main(String[] args) throws InterruptedException {
    Phases.main("learner");
    Settings settings = Settings.fromEnvironment();
    settings.describe(LearnerConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    LearnerService service = new LearnerService(settings).start();
    Phases.mark("learner", "started");
    ServiceMain.serve("learner", service, service.registry(), service::health,
        settings.get(LearnerConfig.METRICS_PORT)).await();
  }
}
