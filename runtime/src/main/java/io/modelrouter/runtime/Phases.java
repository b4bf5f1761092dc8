package io.modelrouter.runtime;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The moments a service passes on its way to serving, logged once each as {@code phase <service> <phase> <epoch ms>}
 * (logger {@code io.modelrouter.phase}, INFO): when its JVM started, when its main ran, when it was started, when it
 * joined its group, restored its state and ran. {@code CrashBenchmark} reads them from a restarted service's log to
 * say where a recovery's time goes.
 */
public final class Phases {
  private static final Logger LOG = LoggerFactory.getLogger("io.modelrouter.phase");
  private static final Set<String> MARKED = ConcurrentHashMap.newKeySet();

  private Phases() {}

  /** Logs {@code phase} of {@code service} now, the first time only. */
  public static void mark(String service, String phase) {
    mark(service, phase, System.currentTimeMillis());
  }

  /** Logs {@code phase} of {@code service} at {@code epochMillis}, the first time only. */
  public static void mark(String service, String phase, long epochMillis) {
    if (MARKED.add(service + " " + phase)) {
      LOG.info("phase {} {} {}", service, phase, epochMillis);
    }
  }

  /** The start of a service's main: the JVM's start time, then now. */
  public static void main(String service) {
    mark(service, "jvm", ManagementFactory.getRuntimeMXBean().getStartTime());
    mark(service, "main");
  }
}
