package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A service's {@code *Main} as its own JVM on this test's classpath, configured only by its environment (MR_*
 * variables, as in its container), its standard output and error kept line by line: what the service really logs,
 * from its first line on.
 */
final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final String mainClass;
  private final Process process;
  private final Thread reader;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ServiceProcess(String name, String mainClass, Process process) {
    this.name = name;
    this.mainClass = mainClass;
    this.process = process;
    this.reader = Thread.ofVirtual().start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /**
   * Starts {@code mainClass} with only {@code environment} of MR_* and provider key variables (none inherited from
   * this JVM) and the logback configuration {@code logback}.
   */
  static ServiceProcess start(String name, String mainClass, Map<String, String> environment, Path logback)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dlogback.configurationFile=" + logback,
        "--enable-native-access=ALL-UNNAMED"));
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(key -> key.startsWith("MR_") || key.endsWith("_API_KEY"));
    builder.environment().putAll(environment);
    return new ServiceProcess(name, mainClass, builder.start());
  }

  /**
   * A logback configuration in {@code dir}: INFO for every library, DEBUG for our code, stack traces included, to
   * standard output; more than a container logs (docker/logback.xml: INFO for our code, WARN for libraries).
   */
  static Path verboseLogging(Path dir) throws IOException {
    return Files.writeString(dir.resolve("logback-processes.xml"), """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%level [%thread] %logger - %msg%n</pattern></encoder>
          </appender>
          <logger name="io.modelrouter" level="DEBUG"/>
          <root level="INFO"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
  }

  String name() {
    return name;
  }

  String mainClass() {
    return mainClass;
  }

  /** Waits until a line contains {@code text}; fails with the output so far if none does in time or it exits. */
  void awaitLine(String text, Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
        assertThat(logged(text)).as("%s logged '%s' (alive: %s); its output so far: %s", name, text,
            process.isAlive(), lines).isTrue());
  }

  /** Every line written so far. */
  List<String> lines() {
    return List.copyOf(lines);
  }

  boolean logged(String text) {
    return lines.stream().anyMatch(line -> line.contains(text));
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or closed; then the last lines are read. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as(name + " ended after SIGKILL").isTrue();
    reader.join(10_000);
  }

  /** SIGTERM (the service's shutdown hook closes it), SIGKILL after 30 s; then the last lines are read. */
  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    reader.join(10_000);
  }
}
