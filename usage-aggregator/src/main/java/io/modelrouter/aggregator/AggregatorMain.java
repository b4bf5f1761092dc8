package io.modelrouter.aggregator;

import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.ServiceMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code io.modelrouter.aggregator.AggregatorMain}: the usage aggregator as its own process, configured by MR_*. */
public final class AggregatorMain {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorMain.class);

  private AggregatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    Phases.main("aggregator");
    Settings settings = Settings.fromEnvironment();
    settings.describe(AggregatorConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    AggregatorService service = new AggregatorService(settings).start();
    Phases.mark("aggregator", "started");
    ServiceMain.serve("aggregator", service, service.registry(), service::health,
        settings.get(AggregatorConfig.METRICS_PORT)).await();
  }
}
