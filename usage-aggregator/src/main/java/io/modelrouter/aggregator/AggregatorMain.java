package io.modelrouter.aggregator;

import io.modelrouter.config.Settings;
import io.modelrouter.runtime.MetricsServer;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code io.modelrouter.aggregator.AggregatorMain}: the usage aggregator as its own process, configured by MR_*. */
public final class AggregatorMain {
  private static final Logger LOG = LoggerFactory.getLogger(AggregatorMain.class);

  private AggregatorMain() {}

  public static void main(String[] args) throws InterruptedException {
    Settings settings = Settings.fromEnvironment();
    settings.describe(AggregatorConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    AggregatorService service = new AggregatorService(settings).start();
    int port = settings.get(AggregatorConfig.METRICS_PORT);
    MetricsServer metrics = port < 0 ? null : new MetricsServer("0.0.0.0", port, service.registry(), service::health);
    if (metrics != null) {
      LOG.info("aggregator metrics on http://0.0.0.0:{}/metrics, health on /health", metrics.port());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (metrics != null) {
        metrics.close();
      }
      service.close();
      stopped.countDown();
    }, "aggregator-shutdown"));
    stopped.await();
  }
}
