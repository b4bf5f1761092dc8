package io.modelrouter.schemas.prompt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Measures the token estimator against a real BPE tokenizer (o200k_base, via jtokkit) on a frozen corpus it was not
 * fitted on ({@code src/test/resources/token-corpus/held-out}: support chats, a code review with a diff, Python,
 * TypeScript, SQL, a runbook with YAML, JSON and shell, logs with a stack trace, an essay, and support messages in
 * twelve languages), in chunks of 100 to 1,600 characters, and holds it to the accuracy docs/router.md claims. The weights were fitted on this project's code and the samples committed with them, so
 * neither is measured here: an estimate is only as good as it is on text it has not seen.
 */
class TokenEstimatorAccuracyTest {
  private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

  /**
   * The bounds docs/router.md and docs/benchmarks.md state (measured: 7.8% mean error, p90 17.3%, against 10.1% for
   * characters/4; the test fails above 8% and 17.5%): the estimate's mean relative error, its 90th percentile, and
   * that it beats characters/4. Change these only with the documents' figures.
   */
  private static final double DOCUMENTED_MEAN_ERROR = 0.08;
  private static final double DOCUMENTED_P90_ERROR = 0.175;

  private static final Path HELD_OUT = Path.of("src/test/resources/token-corpus/held-out");
  /** The held-out files, in the order they are read (the chunking depends on it). */
  private static final List<String> HELD_OUT_FILES = List.of("OrderHistory.tsx", "code-review.md",
      "deploy-runbook.md", "essay-maintenance.txt", "etl_orders.py", "incident-log.txt", "multilingual-support.txt",
      "retention.sql", "support-chat.txt");

  private final TokenEstimator estimator = new TokenEstimator();

  @Test
  void meetsTheDocumentedAccuracyOnTextItWasNotFittedOn() throws IOException {
    List<String> chunks = chunks(heldOut());
    double heuristicError = 0;
    double charsError = 0;
    List<Double> errors = new ArrayList<>();
    for (String chunk : chunks) {
      int actual = O200K.countTokensOrdinary(chunk);
      double error = Math.abs(estimator.estimate(chunk) - actual) / (double) actual;
      errors.add(error);
      heuristicError += error;
      charsError += Math.abs(chunk.length() / 4.0 - actual) / actual;
    }
    double mean = heuristicError / chunks.size();
    double charsMean = charsError / chunks.size();
    errors.sort(Double::compare);
    double p90 = errors.get((int) (errors.size() * 0.9));
    System.out.printf(Locale.ROOT, "token estimate vs o200k_base on %d held-out chunks: mean error %.1f%%, p90 %.1f%%;"
        + " characters/4: mean error %.1f%%%n", chunks.size(), 100 * mean, 100 * p90, 100 * charsMean);

    assertThat(chunks).as("held-out chunks measured").hasSizeGreaterThanOrEqualTo(40);
    assertSoftly(softly -> {
      softly.assertThat(mean).as("mean relative error on held-out text (documented: %.1f%%)",
          100 * DOCUMENTED_MEAN_ERROR).isLessThanOrEqualTo(DOCUMENTED_MEAN_ERROR);
      softly.assertThat(p90).as("p90 relative error on held-out text (documented: %.1f%%)",
          100 * DOCUMENTED_P90_ERROR).isLessThanOrEqualTo(DOCUMENTED_P90_ERROR);
      softly.assertThat(mean).as("mean relative error against that of characters/4").isLessThan(charsMean);
    });
  }

  @Test
  void emptyTextIsZeroTokensAndAnyTextAtLeastOne() {
    assertThat(estimator.estimate("")).isZero();
    assertThat(estimator.estimate(null)).isZero();
    assertThat(estimator.estimate("a")).isEqualTo(1);
  }

  /** The held-out texts; the directory must hold exactly these (and its README), or the figures are not the ones. */
  private static List<String> heldOut() throws IOException {
    try (Stream<Path> files = Files.list(HELD_OUT)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(name -> !name.equals("README.md")))
          .as("files of %s: a file added, removed or renamed changes the measured figures; update HELD_OUT_FILES "
              + "and the documented figures together", HELD_OUT)
          .containsExactlyInAnyOrderElementsOf(HELD_OUT_FILES);
    }
    List<String> texts = new ArrayList<>();
    for (String name : HELD_OUT_FILES) {
      texts.add(Files.readString(HELD_OUT.resolve(name), StandardCharsets.UTF_8));
    }
    return texts;
  }

  private static List<String> chunks(List<String> texts) {
    Random random = new Random(7);
    List<String> out = new ArrayList<>();
    for (String text : texts) {
      int position = 0;
      while (position < text.length() - 100) {
        int end = Math.min(text.length(), position + 100 + random.nextInt(1_500));
        out.add(text.substring(position, end));
        position = end;
      }
    }
    return out;
  }
}
