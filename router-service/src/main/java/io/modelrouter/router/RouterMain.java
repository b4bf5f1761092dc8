package io.modelrouter.router;

import io.modelrouter.config.Settings;
import io.modelrouter.runtime.Phases;
import io.modelrouter.runtime.ServiceMain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -cp ... io.modelrouter.router.RouterMain}: the router as its own process, configured by MR_* variables. */
public final class RouterMain {
  private static final Logger LOG = LoggerFactory.getLogger(RouterMain.class);

  private RouterMain() {}

  public static void main(String[] args) throws InterruptedException {
    Phases.main("router");
    Settings settings = Settings.fromEnvironment();
    settings.describe(RouterConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    RouterService service = new RouterService(settings).start();
    Phases.mark("router", "started");
    ServiceMain.serve("router", service, service.registry(), service::health,
        settings.get(RouterConfig.METRICS_PORT)).await();
  }
}
