package io.modelrouter.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A service's configuration. Sources, highest first: explicit overrides (tests, the local stack), environment
 * variables ({@code MR_*}), a properties file named by {@code MR_CONFIG_FILE}, then each setting's default.
 * Keys under {@code kafka.} are passed through to Kafka clients ({@code kafka.security.protocol} or
 * {@code MR_KAFKA_SECURITY_PROTOCOL} becomes {@code security.protocol}). Immutable.
 */
public final class Settings {
  public static final String CONFIG_FILE_ENV = "MR_CONFIG_FILE";
  public static final String KAFKA_PREFIX = "kafka.";

  private final Map<String, String> values;

  private Settings(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** Settings from the process environment (and the file it names). */
  public static Settings fromEnvironment() {
    return from(System.getenv(), Map.of());
  }

  /** Settings from these environment variables plus overrides by key (overrides win). */
  public static Settings from(Map<String, String> environment, Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    String file = environment.get(CONFIG_FILE_ENV);
    if (file != null && !file.isBlank()) {
      values.putAll(readFile(Path.of(file)));
    }
    environment.forEach((name, value) -> {
      if (name.startsWith("MR_") && !name.equals(CONFIG_FILE_ENV)) {
        values.put(keyOfEnv(name), value);
      }
    });
    values.putAll(overrides);
    return new Settings(values);
  }

  /** Only these values (keys), for tests. */
  public static Settings of(Map<String, String> values) {
    return new Settings(values);
  }

  /** Whether a non-blank value is set for this key. */
  public boolean has(String key) {
    String value = values.get(key);
    return value != null && !value.isBlank();
  }

  public Settings with(String key, String value) {
    Map<String, String> copy = new HashMap<>(values);
    copy.put(key, value);
    return new Settings(copy);
  }

  private static Map<String, String> readFile(Path path) {
    Properties properties = new Properties();
    try (InputStream in = Files.newInputStream(path)) {
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(CONFIG_FILE_ENV + " names " + path + ", which cannot be read: " + e.getMessage(), e);
    }
    Map<String, String> out = new HashMap<>();
    properties.forEach((k, v) -> out.put(k.toString(), v.toString()));
    return out;
  }

  /**
   * Env var to key: {@code MR_ROUTER_THREADS} to {@code router.threads}. Declared keys use dots only, so the
   * mapping is unambiguous for them; Kafka pass-through keys use dots too.
   */
  static String keyOfEnv(String envName) {
    return envName.substring(3).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  public <T> T get(Setting<T> setting) {
    String raw = values.get(setting.key());
    if (raw == null || raw.isBlank()) {
      return setting.defaultValue();
    }
    return setting.parse(raw);
  }

  /** The value of a required setting; a clear error naming the key and its env var when missing. */
  public <T> T require(Setting<T> setting) {
    T value = get(setting);
    if (value == null) {
      throw new IllegalArgumentException(setting.key() + " is required (env " + setting.envVar() + ")");
    }
    return value;
  }

  /** Kafka client properties given under {@code kafka.} (the prefix removed). */
  public Map<String, Object> kafkaOverrides() {
    Map<String, Object> out = new HashMap<>();
    values.forEach((key, value) -> {
      if (key.startsWith(KAFKA_PREFIX) && !key.equals(CommonSettings.BOOTSTRAP_SERVERS.key())) {
        out.put(key.substring(KAFKA_PREFIX.length()), value);
      }
    });
    return out;
  }

  /**
   * Reads every declared setting (templates excepted) so that a bad value fails at start-up rather than when it is
   * first used; one error lists every bad value.
   */
  public Settings validate(List<Setting<?>> declared) {
    List<String> problems = new ArrayList<>();
    for (Setting<?> setting : declared) {
      if (setting.isTemplate()) {
        continue;
      }
      try {
        get(setting);
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    if (problems.size() == 1) {
      throw new IllegalArgumentException(problems.get(0));
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(problems.size() + " settings are invalid: " + String.join("; ", problems));
    }
    return this;
  }

  /** A human-readable listing of the declared settings and their effective values, secrets masked. */
  public List<String> describe(List<Setting<?>> declared) {
    Map<String, String> lines = new TreeMap<>();
    for (Setting<?> setting : declared) {
      Object value = get(setting);
      lines.put(setting.key(), setting.key() + " = " + (setting.isSecret() && value != null ? "***" : value));
    }
    return new ArrayList<>(lines.values());
  }
}
