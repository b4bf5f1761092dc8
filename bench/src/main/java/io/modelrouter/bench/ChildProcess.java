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
  private Path sharedArchive;
  private Path aotCache;

  ChildProcess(String name, String mainClass, Map<String, String> environment, Path log) {
    this.name = name;
    this.mainClass = mainClass;
    this.environment = Map.copyOf(environment);
    this.log = log;
  }

  /** Starts the JVM with a dynamic class-data sharing archive at {@code archive} (written at its first clean exit). */
  ChildProcess withSharedArchive(Path archive) {
    this.sharedArchive = archive;
    return this;
  }

  /**
   * Starts the JVM with an ahead-of-time cache at {@code cache} (JDK 25, JEP 483/514/515: classes loaded and linked,
   * and method profiles, from a training run): the first start, while the file does not exist, is the training run
   * and writes it at its clean exit; every later start uses it.
   */
  ChildProcess withAotCache(Path cache) {
    if (Runtime.version().feature() < 25) {
      throw new IllegalStateException("an AOT cache needs JDK 25 or later, not " + Runtime.version());
    }
    this.aotCache = cache;
    return this;
  }

  /**
   * The images' logback configuration (docker/logback.xml), found from the working directory up: the repository's
   * root under bench/run, the bench module under Maven's failsafe.
   */
  private static Path imagesLogback() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("docker").resolve("logback.xml");
      if (java.nio.file.Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("docker/logback.xml not found from " + Path.of("").toAbsolutePath() + " up");
  }

  ChildProcess start() throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-XX:+UseParallelGC");
    command.add("-Dlogback.configurationFile=" + imagesLogback());
    if (Runtime.version().feature() >= 22) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow");
    }
    if (sharedArchive != null) {
      // AppCDS: classes mapped from the archive a clean exit of an earlier run wrote, instead of loaded and verified
      command.add("-XX:SharedArchiveFile=" + sharedArchive);
      command.add("-XX:+AutoCreateSharedArchive");
    }
    if (aotCache != null) {
      command.add(java.nio.file.Files.exists(aotCache) ? "-XX:AOTCache=" + aotCache : "-XX:AOTCacheOutput=" + aotCache);
    }
    command.add("-cp");
    String classPath = System.getProperty("java.class.path");
    if (sharedArchive != null || aotCache != null) {
      // CDS archives jars only (it refuses to dump with a non-empty directory on the class path); the services'
      // classes are all in jars, the directory is the benchmark's own
      classPath = java.util.Arrays.stream(classPath.split(java.io.File.pathSeparator))
          .filter(entry -> !java.nio.file.Files.isDirectory(Path.of(entry)))
          .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }
    command.add(classPath);
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

  /**
   * The phases this process logged at or after {@code since} ({@code phase <service> <phase> <epoch ms>}, see
   * {@code io.modelrouter.runtime.Phases}), in the order they happened.
   */
  java.util.LinkedHashMap<String, Instant> phasesSince(Instant since) {
    java.util.List<String[]> found = new java.util.ArrayList<>();
    try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(log)) {
      lines.forEach(line -> {
        java.util.regex.Matcher m = PHASE.matcher(line);
        if (m.find() && Long.parseLong(m.group(2)) >= since.toEpochMilli() - 1_000) {
          found.add(new String[] {m.group(1), m.group(2)});
        }
      });
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return new java.util.LinkedHashMap<>();
    }
    found.sort(java.util.Comparator.comparingLong(f -> Long.parseLong(f[1])));
    java.util.LinkedHashMap<String, Instant> phases = new java.util.LinkedHashMap<>();
    for (String[] f : found) {
      phases.putIfAbsent(f[0], Instant.ofEpochMilli(Long.parseLong(f[1])));
    }
    return phases;
  }

  private static final java.util.regex.Pattern PHASE = java.util.regex.Pattern.compile(
      "phase \\S+ (\\S+) (\\d{13})");

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
