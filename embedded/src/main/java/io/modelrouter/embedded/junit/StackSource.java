package io.modelrouter.embedded.junit;

import java.util.Locale;

/**
 * Where the integration tests' broker and schema registry come from: the in-process ones of this module (the
 * default, what {@code ./mvnw verify} uses everywhere), or the images users deploy, {@code apache/kafka} and
 * {@code confluentinc/cp-schema-registry}, started with Testcontainers ({@code ./mvnw verify -Dstack=containers},
 * which needs a Docker engine).
 */
public enum StackSource {
  EMBEDDED,
  CONTAINERS;

  /** The system property that selects the source ({@code -Dstack=containers}). */
  public static final String PROPERTY = "stack";
  /** The environment variable read when the property is not set. */
  public static final String ENV = "MR_TEST_STACK";

  /** The source the property (else the environment variable) names; {@link #EMBEDDED} when neither is set. */
  public static StackSource selected() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      value = System.getenv(ENV);
    }
    return parse(value);
  }

  /** {@code embedded} or {@code containers}, any case; blank or null is embedded. */
  public static StackSource parse(String value) {
    if (value == null || value.isBlank()) {
      return EMBEDDED;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "embedded" -> EMBEDDED;
      case "containers" -> CONTAINERS;
      default -> throw new IllegalArgumentException("-D" + PROPERTY + " (or " + ENV + ") must be embedded or "
          + "containers, got '" + value.trim() + "'");
    };
  }
}
