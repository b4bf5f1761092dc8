package io.modelrouter.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration key a service reads: its name ({@code router.threads}), default, documentation and parser.
 * The environment variable is derived: {@code MR_} + the key upper-cased with dots and dashes as underscores
 * ({@code MR_ROUTER_THREADS}). Secret settings are never printed.
 */
public final class Setting<T> {
  public static final String NAME_PLACEHOLDER = "<name>";

  private final String key;
  private final T defaultValue;
  private final String doc;
  private final Function<String, T> parser;
  private final boolean secret;

  private Setting(String key, T defaultValue, String doc, Function<String, T> parser, boolean secret) {
    this.key = Objects.requireNonNull(key);
    this.defaultValue = defaultValue;
    this.doc = Objects.requireNonNull(doc);
    this.parser = Objects.requireNonNull(parser);
    this.secret = secret;
  }

  public static Setting<String> string(String key, String defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, s -> s, false);
  }

  public static Setting<String> secret(String key, String doc) {
    return new Setting<>(key, null, doc, s -> s, true);
  }

  public static Setting<Integer> integer(String key, int defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, s -> Integer.parseInt(s.trim()), false);
  }

  public static Setting<Long> longValue(String key, long defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, s -> Long.parseLong(s.trim()), false);
  }

  public static Setting<Double> decimal(String key, double defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, s -> Double.parseDouble(s.trim()), false);
  }

  public static Setting<Boolean> bool(String key, boolean defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, Setting::parseBoolean, false);
  }

  /** A duration in milliseconds ({@code 1500}) or ISO-8601 ({@code PT1.5S}). */
  public static Setting<Duration> duration(String key, Duration defaultValue, String doc) {
    return new Setting<>(key, defaultValue, doc, Setting::parseDuration, false);
  }

  private static boolean parseBoolean(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (!t.equals("true") && !t.equals("false")) {
      throw new IllegalArgumentException("expected true or false");
    }
    return Boolean.parseBoolean(t);
  }

  private static Duration parseDuration(String text) {
    String t = text.trim();
    return t.startsWith("P") || t.startsWith("p") ? Duration.parse(t) : Duration.ofMillis(Long.parseLong(t));
  }

  public String key() {
    return key;
  }

  /** True for a template such as {@code providers.<name>.timeout}, made concrete by {@link #forName}. */
  public boolean isTemplate() {
    return key.contains(NAME_PLACEHOLDER);
  }

  /** The concrete setting of a template for one name (letters and digits only, so env vars stay unambiguous). */
  public Setting<T> forName(String name) {
    if (!isTemplate()) {
      throw new IllegalStateException(key + " is not a template");
    }
    if (!name.matches("[a-z][a-z0-9]*")) {
      throw new IllegalArgumentException("names in " + key + " are lower-case letters and digits, got '" + name + "'");
    }
    return new Setting<>(key.replace(NAME_PLACEHOLDER, name), defaultValue, doc, parser, secret);
  }

  /** The same setting with another default (a template's default may depend on the name). */
  public Setting<T> withDefault(T value) {
    return new Setting<>(key, value, doc, parser, secret);
  }

  public String envVar() {
    return envVarOf(key);
  }

  public static String envVarOf(String key) {
    return "MR_" + key.replace(NAME_PLACEHOLDER, "<NAME>").toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public T defaultValue() {
    return defaultValue;
  }

  public String doc() {
    return doc;
  }

  public boolean isSecret() {
    return secret;
  }

  T parse(String raw) {
    try {
      return parser.apply(raw);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " (" + envVar() + ") is invalid: " + e.getMessage() + "; got '"
          + (secret ? "***" : raw) + "'", e);
    }
  }

  @Override
  public String toString() {
    return key;
  }
}
