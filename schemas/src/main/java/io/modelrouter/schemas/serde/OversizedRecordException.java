package io.modelrouter.schemas.serde;

import java.util.Locale;

/**
 * A record larger than its consumer's stated limit: refused before it is decoded, so that one oversized record cannot
 * take a consumer's memory or time. Not retryable: the same bytes are always too large.
 */
public final class OversizedRecordException extends SchemaSerdeException {
  public OversizedRecordException(String message, String topic) {
    super(message, topic, -1, false, null);
  }

  /**
   * Throws when {@code value} is longer than {@code limit} bytes; {@code setting} names the setting that states the
   * limit, so the DLQ header says how to raise it.
   */
  public static void check(byte[] value, int limit, String setting, String topic) {
    if (value != null && value.length > limit) {
      throw new OversizedRecordException(String.format(Locale.ROOT,
          "the record is %,d bytes, more than this consumer's limit of %,d bytes (%s)", value.length, limit, setting),
          topic);
    }
  }
}
