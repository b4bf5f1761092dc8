package io.modelrouter.router;

import io.modelrouter.config.Settings;
import io.modelrouter.runtime.MetricsServer;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -cp ... io.modelrouter.router.RouterMain}: the router as its own process, configured by MR_* variables. */
public final class RouterMain {
  private static final Logger LOG = LoggerFactory.getLogger(RouterMain.class);

  private RouterMain() {}

  public static void main(String[] args) throws InterruptedException {
    Settings settings = Settings.fromEnvironment();
    settings.describe(RouterConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    RouterService service = new RouterService(settings).start();
    int port = settings.get(RouterConfig.METRICS_PORT);
    MetricsServer metrics = port < 0 ? null : new MetricsServer("0.0.0.0", port, service.registry(), service::health);
    if (metrics != null) {
      LOG.info("router metrics on http://0.0.0.0:{}/metrics, health on /health", metrics.port());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (metrics != null) {
        metrics.close();
      }
      service.close();
      stopped.countDown();
    }, "router-shutdown"));
    stopped.await();
  }
}
