package io.modelrouter.schemas.prompt;

/**
 * Estimates how many tokens a text is, in one pass over its characters ({@link PromptScan}, which the router
 * shares with the complexity score), so that the router can afford it on every request. It counts what drives a BPE tokenizer's output (words, the excess length of long
 * words, digit groups, symbols, indentation runs, newlines, non-ASCII characters) and weighs each with a
 * coefficient fitted against OpenAI's {@code o200k_base} tokenizer (via jtokkit) on prose, Markdown, source code,
 * JSON and non-ASCII text. {@code TokenEstimatorAccuracyTest} measures it against the tokenizer; docs/router.md
 * and docs/benchmarks.md report the figures. Providers report the real usage; this estimate is for routing, context-window checks and budget
 * reservations only.
 */
public final class TokenEstimator {
  /**
   * Weights fitted by least squares (relative error) on 2,000 chunks of 100 to 3,100 characters, in the order of
   * {@link #features}; held-out error 5.5% mean, 11.4% at p90, against 12.8% mean for characters/4.
   */
  static final double[] WEIGHTS = {1.0193, 0.1793, 1.8309, 0.5065, 0.2013, 1.0224, 0.5907};

  /** Tokens a chat message costs beyond its text (role markers, separators). */
  public static final int PER_MESSAGE_OVERHEAD = 4;

  static final int WORDS = 0;
  static final int LONG_WORD_EXCESS = 1;
  static final int DIGIT_GROUPS = 2;
  static final int SYMBOLS = 3;
  static final int NEWLINES = 4;
  static final int INDENT_RUNS = 5;
  static final int NON_ASCII = 6;

  /** Estimated tokens of the text (at least 1 for non-empty text). */
  public int estimate(CharSequence text) {
    return new PromptScan().scan(text);
  }

  /** The weighted sum of the features {@link PromptScan} counted, at least 1. */
  static int tokens(double[] features) {
    double sum = 0;
    for (int i = 0; i < WEIGHTS.length; i++) {
      sum += WEIGHTS[i] * features[i];
    }
    return Math.max(1, (int) Math.round(sum));
  }

  /** The counted features of a text, for calibration. */
  static double[] features(CharSequence text) {
    PromptScan scan = new PromptScan();
    scan.scan(text);
    return scan.tokenFeatures.clone();
  }
}
