package io.modelrouter.router;

import io.modelrouter.config.Settings;
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
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "router-shutdown"));
    stopped.await();
  }
}
