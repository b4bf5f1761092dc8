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

  /**
   * The cost of a call with prompt caching: cache reads at the cache-read price, 5-minute and 1-hour cache writes at
   * their write prices (a model without write prices bills writes at its input price, a model without a 1-hour
   * price at its 5-minute one), the rest of the input at the input price.
   *
   * @param inputTokens every input token billed: uncached, cache reads and cache writes
   */
  public static long costMicros(ModelSpec model, long inputTokens, long outputTokens, long cacheReads,
      long cacheWrites, long cacheWrites1h) {
    return (numerator(model, inputTokens, outputTokens, cacheReads, cacheWrites, cacheWrites1h) + MILLION / 2)
        / MILLION;
  }

  /**
   * The cost of a call made through the provider's batch API: as {@link #costMicros(ModelSpec, long, long, long,
   * long, long)} at the model's batch price ({@code batchPriceMilli} per mille of every price), rounded half up once.
   *
   * @throws IllegalArgumentException if the model has no batch price
   */
  public static long batchCostMicros(ModelSpec model, long inputTokens, long outputTokens, long cacheReads,
      long cacheWrites, long cacheWrites1h) {
    if (model.getBatchPriceMilli() <= 0) {
      throw new IllegalArgumentException("model " + model.getId() + " has no batch price");
    }
    long scaled = Math.multiplyExact(numerator(model, inputTokens, outputTokens, cacheReads, cacheWrites,
        cacheWrites1h), (long) model.getBatchPriceMilli());
    return (scaled + 500L * MILLION) / (1000L * MILLION);
  }

  private static long numerator(ModelSpec model, long inputTokens, long outputTokens, long cacheReads,
      long cacheWrites, long cacheWrites1h) {
    long input = Math.max(inputTokens, 0);
    long reads = Math.min(Math.max(cacheReads, 0), input);
    long writes = Math.min(Math.max(cacheWrites, 0), input - reads);
    long writes1h = Math.min(Math.max(cacheWrites1h, 0), input - reads - writes);
    long uncached = input - reads - writes - writes1h;
    return Math.multiplyExact(uncached, model.getInputPricePerMTokMicros())
        + Math.multiplyExact(Math.max(outputTokens, 0), model.getOutputPricePerMTokMicros())
        + Math.multiplyExact(reads, model.getCachedInputPricePerMTokMicros())
        + Math.multiplyExact(writes, writePrice(model))
        + Math.multiplyExact(writes1h, write1hPrice(model));
  }

  /** What caching saved on a call: its cost with every input token at the input price, less its cost. */
  public static long cacheSavedMicros(ModelSpec model, long inputTokens, long outputTokens, long cacheReads,
      long cacheWrites, long cacheWrites1h) {
    if (cacheReads <= 0 && cacheWrites <= 0 && cacheWrites1h <= 0) {
      return 0;
    }
    return costMicros(model, inputTokens, outputTokens, 0, 0, 0)
        - costMicros(model, inputTokens, outputTokens, cacheReads, cacheWrites, cacheWrites1h);
  }

  static long writePrice(ModelSpec model) {
    return model.getCacheWritePricePerMTokMicros() > 0 ? model.getCacheWritePricePerMTokMicros()
        : model.getInputPricePerMTokMicros();
  }

  static long write1hPrice(ModelSpec model) {
    return model.getCacheWrite1hPricePerMTokMicros() > 0 ? model.getCacheWrite1hPricePerMTokMicros()
        : writePrice(model);
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
