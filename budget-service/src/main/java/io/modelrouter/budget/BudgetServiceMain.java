package io.modelrouter.budget;

import io.modelrouter.config.Settings;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -cp ... io.modelrouter.budget.BudgetServiceMain}: budget-service as its own process (MR_* settings). */
public final class BudgetServiceMain {
  private static final Logger LOG = LoggerFactory.getLogger(BudgetServiceMain.class);

  private BudgetServiceMain() {}

  public static void main(String[] args) throws InterruptedException {
    Settings settings = Settings.fromEnvironment();
    settings.describe(BudgetServiceConfig.allSettings()).forEach(line -> LOG.info("config {}", line));
    BudgetService service = new BudgetService(settings).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "budget-service-shutdown"));
    stopped.await();
  }
}
