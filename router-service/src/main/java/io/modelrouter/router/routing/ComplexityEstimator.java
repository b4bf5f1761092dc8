package io.modelrouter.router.routing;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.schemas.prompt.PromptScan;
import java.util.Locale;
import java.util.Map;

/**
 * Scores how hard a request is, in [0, 1], from seed 003's complexity heuristics. Deterministic: the same request
 * always gets the same score. Each feature is in [0, 1]; the score is their weighted sum:
 *
 * <table>
 *   <tr><th>feature</th><th>weight</th><th>0 at</th><th>1 at</th></tr>
 *   <tr><td>task type prior (research 0.9 ... hook actions 0.1; unknown 0.5)</td><td>0.30</td><td></td><td></td></tr>
 *   <tr><td>prompt size (estimated input tokens, log scale)</td><td>0.15</td><td>200</td><td>20,000</td></tr>
 *   <tr><td>requested output size (the request's maxTokens, log scale; 0 when it gives none)</td><td>0.10</td><td>512</td><td>16,384</td></tr>
 *   <tr><td>distinct files or modules mentioned (paths, source file names)</td><td>0.15</td><td>0</td><td>6</td></tr>
 *   <tr><td>fenced code blocks</td><td>0.10</td><td>0</td><td>3</td></tr>
 *   <tr><td>distinct integration points (API, endpoint, migration, schema, database, auth, security, payment, queue ...)</td><td>0.10</td><td>0</td><td>4</td></tr>
 *   <tr><td>distinct reasoning keywords (architecture, design, trade-off, root cause, edge case, concurrency, prove ...; not "why")</td><td>0.10</td><td>0</td><td>4</td></tr>
 * </table>
 *
 * <p>Features come from {@link PromptScan}: keywords ({@code Keywords}) are matched on lower-cased ASCII words and
 * two-word phrases (joined by spaces, a hyphen or a line break) by 64-bit hash. "Distinct" counts concepts: the
 * variants of a keyword (api / apis, migrate / migration, optimise / optimize, edge case / edge cases) count once.
 */
public final class ComplexityEstimator {
  static final double W_PRIOR = 0.30;
  static final double W_SIZE = 0.15;
  static final double W_OUTPUT = 0.10;
  static final double W_FILES = 0.15;
  static final double W_CODE = 0.10;
  static final double W_INTEGRATIONS = 0.10;
  static final double W_REASONING = 0.10;

  /** Priors of the task types of seed 000 and seed 003's development loop. */
  static final Map<String, Double> PRIORS = Map.ofEntries(
      Map.entry("research", 0.90), Map.entry("planning", 0.85), Map.entry("validation", 0.80),
      Map.entry("deepaudit", 0.85), Map.entry("specgeneration", 0.80), Map.entry("taskexecution", 0.60),
      Map.entry("buildplan", 0.55), Map.entry("implementation", 0.55), Map.entry("codereview", 0.50),
      Map.entry("review", 0.50), Map.entry("remediation", 0.45), Map.entry("e2etesting", 0.40),
      Map.entry("codeexplanation", 0.30), Map.entry("documentationupdate", 0.20), Map.entry("interactivechat", 0.20),
      Map.entry("chat", 0.20), Map.entry("hookactions", 0.10), Map.entry("hooks", 0.10));
  static final double UNKNOWN_PRIOR = 0.50;

  /** A score and the features it came from. */
  public record Score(double value, double prior, double size, double output, double files, double code,
      double integrations, double reasoning) {

    public String describe() {
      return String.format(Locale.ROOT, "%.2f (prior %.2f, size %.2f, output %.2f, files %.2f, code %.2f, "
          + "integrations %.2f, reasoning %.2f)", value, prior, size, output, files, code, integrations, reasoning);
    }
  }

  /**
   * Scores a request by scanning its text (tests and tools; the router scans once for tokens and score together).
   *
   * @param inputTokens the request's estimated input tokens
   * @param maxTokens the output cap the request asked for, 0 when it named none
   */
  public Score score(InferenceRequest request, int inputTokens, int maxTokens) {
    PromptScan scan = new PromptScan();
    if (request.getSystemPrompt() != null) {
      scan.scan(request.getSystemPrompt());
    }
    for (Message message : request.getMessages()) {
      if (message != null) {
        scan.scan(message.getContent());
      }
    }
    return score(request.getTaskType(), scan, inputTokens, maxTokens);
  }

  Score score(String taskType, PromptScan scan, int inputTokens, int maxTokens) {
    double prior = prior(taskType);
    double size = logScale(inputTokens, 200, 20_000);
    double output = logScale(maxTokens, 512, 16_384);
    double files = Math.min(1.0, scan.distinctFiles() / 6.0);
    double code = Math.min(1.0, (scan.fences() / 2) / 3.0);
    double integrations = Math.min(1.0, Long.bitCount(scan.integrationMask()) / 4.0);
    double reasoning = Math.min(1.0, Long.bitCount(scan.reasoningMask()) / 4.0);
    double value = W_PRIOR * prior + W_SIZE * size + W_OUTPUT * output + W_FILES * files + W_CODE * code
        + W_INTEGRATIONS * integrations + W_REASONING * reasoning;
    return new Score(clamp(value), prior, size, output, files, code, integrations, reasoning);
  }

  static double prior(String taskType) {
    if (taskType == null) {
      return UNKNOWN_PRIOR;
    }
    return PRIORS.getOrDefault(taskType.toLowerCase(Locale.ROOT), UNKNOWN_PRIOR);
  }

  static double logScale(double value, double zeroAt, double oneAt) {
    if (value <= zeroAt) {
      return 0;
    }
    return clamp(Math.log(value / zeroAt) / Math.log(oneAt / zeroAt));
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }
}
