package io.modelrouter.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every service's {@code *Main} does once its service runs: serve metrics and health, stop on SIGTERM. */
public final class ServiceMain {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceMain.class);

  private static volatile boolean stopRequested;

  private ServiceMain() {}

  /**
   * True from the moment the shutdown hook starts (SIGTERM, Ctrl-C): a service that finds its work stopped can tell
   * a stop it was asked for from one it should report, before the hook has finished closing it.
   */
  public static boolean stopRequested() {
    return stopRequested;
  }

  /**
   * Serves {@code GET /metrics} and {@code GET /health} on {@code port} (none when negative) and installs a shutdown
   * hook that closes them and the service.
   *
   * @return counted down once the shutdown hook has closed the service
   */
  public static CountDownLatch serve(String name, AutoCloseable service, PrometheusMeterRegistry registry,
      Supplier<MetricsServer.Health> health, int port) {
    MetricsServer metrics = port < 0 ? null : new MetricsServer("0.0.0.0", port, registry, health);
    if (metrics != null) {
      LOG.info("{} metrics on http://0.0.0.0:{}/metrics, health on /health", name, metrics.port());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopRequested = true;
      if (metrics != null) {
        metrics.close();
      }
      try {
        service.close();
      } catch (Exception e) {
        LOG.warn("stopping the {} failed: {}", name, e.toString());
      }
      stopped.countDown();
    }, name + "-shutdown"));
    return stopped;
  }
}
