package io.modelrouter.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One configuration key a service reads: its name ({@code router.threads}), default, documentation and parser.
 * The environment variable is derived: {@code MR_} + the key upper-cased with dots and dashes as underscores
 * ({@code MR_ROUTER_THREADS}). Secret settings are never printed.
 *
 * <p>Like Kafka's {@code ConfigDef}, a setting carries its validator ({@link #atLeast}, {@link #between},
 * {@link #oneOf}, {@link #nonEmpty}, {@link #positive}): a value is checked where it is read ({@link Settings#get}),
 * and the rule is printed in the configuration reference.
 */
public final class Setting<T> {
  public static final String NAME_PLACEHOLDER = "<name>";

  private final String key;
  private final T defaultValue;
  private final String doc;
  private final Function<String, T> parser;
  private final boolean secret;
  private final Predicate<? super T> valid;
  /** What a valid value is, in words ("at least 1"); null when any value that parses is valid. */
  private final String rule;

  private Setting(String key, T defaultValue, String doc, Function<String, T> parser, boolean secret) {
    this(key, defaultValue, doc, parser, secret, v -> true, null);
  }

  private Setting(String key, T defaultValue, String doc, Function<String, T> parser, boolean secret,
      Predicate<? super T> valid, String rule) {
    this.key = Objects.requireNonNull(key);
    this.defaultValue = defaultValue;
    this.doc = Objects.requireNonNull(doc);
    this.parser = Objects.requireNonNull(parser);
    this.secret = secret;
    this.valid = Objects.requireNonNull(valid);
    this.rule = rule;
  }

  /** The same setting, valid only where {@code check} holds; {@code rule} says so in words ("at least 1"). */
  public Setting<T> validWhen(Predicate<? super T> check, String rule) {
    Objects.requireNonNull(check);
    Predicate<? super T> before = valid;
    String rules = this.rule == null ? rule : this.rule + " and " + rule;
    return new Setting<>(key, defaultValue, doc, parser, secret, v -> before.test(v) && check.test(v), rules);
  }

  /** Valid from {@code min} up (numbers, durations). */
  public Setting<T> atLeast(T min) {
    return validWhen(v -> compare(v, min) >= 0, "at least " + render(min));
  }

  /** Valid from {@code min} to {@code max}, both included. */
  public Setting<T> between(T min, T max) {
    return validWhen(v -> compare(v, min) >= 0 && compare(v, max) <= 0,
        "between " + render(min) + " and " + render(max));
  }

  /** Above zero (numbers, durations). */
  public Setting<T> positive() {
    return validWhen(Setting::isPositive, "positive");
  }

  /** One of these words, ignoring case and surrounding blanks (strings). */
  public Setting<T> oneOf(String... allowed) {
    List<String> words = Arrays.stream(allowed).map(w -> w.toLowerCase(Locale.ROOT)).toList();
    return validWhen(v -> words.contains(v.toString().trim().toLowerCase(Locale.ROOT)),
        "one of " + String.join(", ", allowed));
  }

  /** Not blank (strings). */
  public Setting<T> nonEmpty() {
    return validWhen(v -> !v.toString().isBlank(), "not empty");
  }

  @SuppressWarnings("unchecked")
  private static <T> int compare(T value, T bound) {
    return ((Comparable<T>) value).compareTo(bound);
  }

  private static boolean isPositive(Object value) {
    if (value instanceof Duration d) {
      return !d.isNegative() && !d.isZero();
    }
    return ((Number) value).doubleValue() > 0;
  }

  /** A value as messages and the configuration reference show it: durations in ms, decimals as written. */
  static String render(Object value) {
    if (value instanceof Duration d) {
      return d.toMillis() + " ms";
    }
    return String.valueOf(value);
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
    return new Setting<>(key.replace(NAME_PLACEHOLDER, name), defaultValue, doc, parser, secret, valid, rule);
  }

  /** The same setting with another default (a template's default may depend on the name). */
  public Setting<T> withDefault(T value) {
    return new Setting<>(key, value, doc, parser, secret, valid, rule);
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

  /** What a valid value is, in words ("at least 1", "one of auto, all, none"); null when anything that parses is. */
  public String rule() {
    return rule;
  }

  /** Whether this value satisfies the setting's validator (null, "not set", always does). */
  public boolean isValid(T value) {
    return value == null || valid.test(value);
  }

  T parse(String raw) {
    T value;
    try {
      value = parser.apply(raw);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + " (" + envVar() + ") is invalid: " + e.getMessage() + "; got '"
          + (secret ? "***" : raw) + "'", e);
    }
    if (!valid.test(value)) {
      String got = secret ? "***" : value instanceof Duration d ? d + " (" + d.toMillis() + " ms)"
          : value instanceof String ? "'" + raw + "'" : raw.trim();
      throw new IllegalArgumentException(key + " (" + envVar() + ") must be " + rule + ", got " + got);
    }
    return value;
  }

  @Override
  public String toString() {
    return key;
  }
}
