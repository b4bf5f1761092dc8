package io.modelrouter.worker.provider;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/** Reads the wait a provider asks for: {@code retry-after-ms}, or {@code Retry-After} in seconds or as an HTTP date. */
public final class RetryAfter {
  private static final Duration MAX = Duration.ofMinutes(10);

  private RetryAfter() {}

  public static Optional<Duration> parse(String retryAfterMs, String retryAfter) {
    try {
      if (retryAfterMs != null && !retryAfterMs.isBlank()) {
        return bounded(Duration.ofMillis((long) Double.parseDouble(retryAfterMs.trim())));
      }
      if (retryAfter != null && !retryAfter.isBlank()) {
        String value = retryAfter.trim();
        if (value.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
          return bounded(Duration.ofMillis((long) (Double.parseDouble(value) * 1000)));
        }
        ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
        return bounded(Duration.between(ZonedDateTime.now(at.getZone()), at));
      }
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static Optional<Duration> bounded(Duration wait) {
    if (wait.isNegative()) {
      return Optional.of(Duration.ZERO);
    }
    return Optional.of(wait.compareTo(MAX) > 0 ? MAX : wait);
  }
}
