package io.modelrouter.schemas;

import io.modelrouter.avro.ModelSpec;

/**
 * Cost and credits of tokens on a model, the one definition every service uses. Prices are micro-dollars per
 * million tokens; cost is micro-dollars, rounded half up once per call (never per token).
 */
public final class Pricing {
  private static final long MILLION = 1_000_000L;

  private Pricing() {}

  /**
   * @param inputTokens every input token the provider billed, cached ones included
   * @param cachedInputTokens the part of the input read from the provider's prompt cache (billed at the cache price)
   */
  public static long costMicros(ModelSpec model, long inputTokens, long outputTokens, long cachedInputTokens) {
    long cached = Math.min(Math.max(cachedInputTokens, 0), Math.max(inputTokens, 0));
    long uncached = Math.max(inputTokens, 0) - cached;
    long numerator = Math.multiplyExact(uncached, model.getInputPricePerMTokMicros())
        + Math.multiplyExact(Math.max(outputTokens, 0), model.getOutputPricePerMTokMicros())
        + Math.multiplyExact(cached, model.getCachedInputPricePerMTokMicros());
    return (numerator + MILLION / 2) / MILLION;
  }

  /** Millionths of a credit: 1 credit is 1,000 tokens at multiplier 1.0 (Kiro's credit multipliers scale it). */
  public static long creditsMicros(ModelSpec model, long inputTokens, long outputTokens) {
    long tokens = Math.max(inputTokens, 0) + Math.max(outputTokens, 0);
    return Math.multiplyExact(tokens, (long) model.getCreditMultiplierMilli());
  }

  /** Dollars for display, e.g. {@code $0.4312}. */
  public static String dollars(long micros) {
    return String.format(java.util.Locale.ROOT, "$%,.4f", micros / 1_000_000.0);
  }
}
