package io.modelrouter.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A service as its own JVM (its {@code *Main} class on this JVM's classpath, configured by {@code MR_*} variables),
 * which can be killed with SIGKILL and started again with the same settings.
 */
final class ChildProcess implements AutoCloseable {
  private final String name;
  private final String mainClass;
  private final Map<String, String> environment;
  private final Path log;
  private volatile Process process;
  private volatile Instant startedAt;

  ChildProcess(String name, String mainClass, Map<String, String> environment, Path log) {
    this.name = name;
    this.mainClass = mainClass;
    this.environment = Map.copyOf(environment);
    this.log = log;
  }

  ChildProcess start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-XX:+UseParallelGC");
    command.add("-Dlogback.configurationFile=" + Path.of("docker", "logback.xml").toAbsolutePath());
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(key -> key.startsWith("MR_"));
    builder.environment().putAll(environment);
    process = builder.start();
    startedAt = Instant.now();
    return this;
  }

  /** kill -9: no shutdown hook runs, nothing is flushed or committed. */
  Instant kill() throws InterruptedException {
    Instant at = Instant.now();
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " did not die within 30 s of SIGKILL");
    }
    return at;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  String name() {
    return name;
  }

  Instant startedAt() {
    return startedAt;
  }

  /** SIGTERM, then SIGKILL if it has not stopped within the grace period. */
  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }
}
