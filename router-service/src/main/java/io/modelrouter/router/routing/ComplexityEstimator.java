package io.modelrouter.router.routing;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import java.util.Arrays;
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
 *   <tr><td>distinct reasoning keywords (architecture, design, trade-off, root cause, edge case, concurrency, prove ...)</td><td>0.10</td><td>0</td><td>4</td></tr>
 * </table>
 *
 * <p>Keywords are matched on lower-cased ASCII words (and two-word phrases) by 64-bit hash, so scanning allocates
 * nothing per word.
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

  private static final String[] INTEGRATION_WORDS = {"api", "apis", "endpoint", "endpoints", "rest", "graphql", "grpc",
      "webhook", "webhooks", "migration", "migrations", "migrate", "schema", "schemas", "database", "databases", "sql",
      "security", "auth", "authentication", "authorization", "oauth", "jwt", "encryption", "payment", "payments",
      "billing", "kafka", "queue", "queues", "integration", "integrations", "external", "sdk", "third party"};
  private static final String[] REASONING_WORDS = {"architecture", "architectural", "design", "tradeoff", "tradeoffs",
      "trade off", "trade offs", "why", "prove", "proof", "analyze", "analyse", "analysis", "investigate", "root cause",
      "edge case", "edge cases", "concurrency", "concurrent", "race condition", "deadlock", "optimize", "optimise",
      "refactor", "strategy", "evaluate", "compare", "validate", "audit", "invariant", "invariants", "novel"};
  private static final String[] SOURCE_EXTENSIONS = {"java", "kt", "scala", "py", "ts", "tsx", "js", "jsx", "go", "rs",
      "rb", "c", "h", "cc", "cpp", "hpp", "cs", "swift", "sql", "yaml", "yml", "json", "toml", "xml", "proto", "avsc",
      "tf", "sh", "gradle", "md", "html", "css", "vue", "php"};

  private static final long[] INTEGRATION_HASHES = hashes(INTEGRATION_WORDS);
  private static final long[] REASONING_HASHES = hashes(REASONING_WORDS);
  private static final long[] EXTENSION_HASHES = hashes(SOURCE_EXTENSIONS);
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  /** A score and the features it came from. */
  public record Score(double value, double prior, double size, double output, double files, double code,
      double integrations, double reasoning) {

    public String describe() {
      return String.format(Locale.ROOT, "%.2f (prior %.2f, size %.2f, output %.2f, files %.2f, code %.2f, "
          + "integrations %.2f, reasoning %.2f)", value, prior, size, output, files, code, integrations, reasoning);
    }
  }

  /**
   * @param inputTokens the request's estimated input tokens
   * @param maxTokens the output cap the request asked for, 0 when it named none
   */
  public Score score(InferenceRequest request, int inputTokens, int maxTokens) {
    double prior = prior(request.getTaskType());
    double size = logScale(inputTokens, 200, 20_000);
    double output = logScale(maxTokens, 512, 16_384);
    Scan scan = new Scan();
    if (request.getSystemPrompt() != null) {
      scan.text(request.getSystemPrompt());
    }
    for (Message message : request.getMessages()) {
      if (message != null && message.getContent() != null) {
        scan.text(message.getContent());
      }
    }
    double files = Math.min(1.0, scan.distinctFiles() / 6.0);
    double code = Math.min(1.0, (scan.fences / 2) / 3.0);
    double integrations = Math.min(1.0, Long.bitCount(scan.integrationMask) / 4.0);
    double reasoning = Math.min(1.0, Long.bitCount(scan.reasoningMask) / 4.0);
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

  /** One pass over text: words and two-word phrases for keywords, whitespace-separated tokens for file paths. */
  private static final class Scan {
    long integrationMask;
    long reasoningMask;
    int fences;
    private long[] files = new long[8];
    private int fileCount;

    void text(String text) {
      int n = text.length();
      long word = FNV_OFFSET;
      int wordLength = 0;
      long previousWord = 0;
      boolean previousWordValid = false;
      int backticks = 0;
      int tokenStart = -1;
      for (int i = 0; i <= n; i++) {
        char c = i < n ? text.charAt(i) : ' ';
        // fenced code blocks: runs of three backticks
        if (c == '`') {
          backticks++;
          if (backticks == 3) {
            fences++;
          }
        } else {
          backticks = 0;
        }
        // words (ASCII letters and digits), lower-cased, hashed as they go
        char lower = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        boolean wordChar = (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9');
        if (wordChar) {
          word = (word ^ lower) * FNV_PRIME;
          wordLength++;
        } else if (wordLength > 0) {
          match(word);
          if (previousWordValid) {
            match(phrase(previousWord, word));
          }
          previousWord = word;
          previousWordValid = c == ' ' || c == '-' || c == '\n' || c == '\t';
          word = FNV_OFFSET;
          wordLength = 0;
        } else if (c != ' ' && c != '-') {
          previousWordValid = false;
        }
        // whitespace-separated tokens, checked for file paths
        boolean space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '`' || c == '(' || c == ')'
            || c == ',' || c == '"' || c == '\'';
        if (!space && tokenStart < 0) {
          tokenStart = i;
        } else if (space && tokenStart >= 0) {
          path(text, tokenStart, i);
          tokenStart = -1;
        }
      }
    }

    private void match(long hash) {
      int integration = Arrays.binarySearch(INTEGRATION_HASHES, hash);
      if (integration >= 0) {
        integrationMask |= 1L << (integration % 64);
      }
      int reasoning = Arrays.binarySearch(REASONING_HASHES, hash);
      if (reasoning >= 0) {
        reasoningMask |= 1L << (reasoning % 64);
      }
    }

    /** A path has a '/' between word characters, or ends in a known source extension. */
    private void path(String text, int start, int end) {
      while (end > start && ".,:;!?".indexOf(text.charAt(end - 1)) >= 0) {
        end--;
      }
      if (end - start < 3) {
        return;
      }
      boolean slash = false;
      int lastDot = -1;
      for (int i = start; i < end; i++) {
        char c = text.charAt(i);
        if (c == '/' && i > start && i < end - 1) {
          slash = true;
        } else if (c == '.') {
          lastDot = i;
        }
      }
      boolean extension = false;
      if (lastDot > start && lastDot < end - 1) {
        long hash = FNV_OFFSET;
        for (int i = lastDot + 1; i < end; i++) {
          char c = text.charAt(i);
          hash = (hash ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * FNV_PRIME;
        }
        extension = Arrays.binarySearch(EXTENSION_HASHES, hash) >= 0;
      }
      boolean url = end - start > 4 && text.startsWith("http", start);
      if ((slash || extension) && !url) {
        long hash = FNV_OFFSET;
        for (int i = start; i < end; i++) {
          hash = (hash ^ text.charAt(i)) * FNV_PRIME;
        }
        for (int i = 0; i < fileCount; i++) {
          if (files[i] == hash) {
            return;
          }
        }
        if (fileCount == files.length) {
          files = Arrays.copyOf(files, fileCount * 2);
        }
        files[fileCount++] = hash;
      }
    }

    int distinctFiles() {
      return fileCount;
    }
  }

  private static long phrase(long first, long second) {
    return (first * 31 + 0x20) ^ (second * FNV_PRIME);
  }

  private static long[] hashes(String[] words) {
    long[] out = new long[words.length];
    for (int i = 0; i < words.length; i++) {
      String[] parts = words[i].split(" ");
      long h = hashWord(parts[0]);
      for (int p = 1; p < parts.length; p++) {
        h = phrase(h, hashWord(parts[p]));
      }
      out[i] = h;
    }
    Arrays.sort(out);
    return out;
  }

  private static long hashWord(String word) {
    long h = FNV_OFFSET;
    for (int i = 0; i < word.length(); i++) {
      h = (h ^ word.charAt(i)) * FNV_PRIME;
    }
    return h;
  }
}
