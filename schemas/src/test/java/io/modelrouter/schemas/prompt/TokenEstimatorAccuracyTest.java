package io.modelrouter.schemas.prompt;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Measures the token estimator against a real BPE tokenizer (o200k_base, via jtokkit) on text of several kinds:
 * this module's own Java sources and tests, the shipped JSON policies, and the prose and non-ASCII samples under
 * {@code src/test/resources/token-corpus}, in chunks of 100 to 1,600 characters.
 */
class TokenEstimatorAccuracyTest {
  private static final Encoding O200K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
  private final TokenEstimator estimator = new TokenEstimator();

  @Test
  void estimatesWithinTenPercentOnAverageAndBeatsCharactersOverFour() throws IOException {
    List<String> chunks = chunks(corpus());
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
    System.out.printf(Locale.ROOT, "token estimate vs o200k_base on %d chunks: mean error %.1f%%, p90 %.1f%%; "
        + "characters/4: mean error %.1f%%%n", chunks.size(), 100 * mean, 100 * p90, 100 * charsMean);
    assertThat(chunks).hasSizeGreaterThan(100);
    assertThat(mean).isLessThan(0.10);
    assertThat(p90).isLessThan(0.20);
    assertThat(mean).isLessThan(charsMean);
  }

  @Test
  void emptyTextIsZeroTokensAndAnyTextAtLeastOne() {
    assertThat(estimator.estimate("")).isZero();
    assertThat(estimator.estimate(null)).isZero();
    assertThat(estimator.estimate("a")).isEqualTo(1);
  }

  private static List<String> corpus() throws IOException {
    List<String> texts = new ArrayList<>();
    for (String root : List.of("src/main/java", "src/test/java")) {
      try (Stream<Path> sources = Files.walk(Path.of(root))) {
        for (Path p : sources.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
          texts.add(Files.readString(p));
        }
      }
    }
    try (Stream<Path> samples = Files.list(Path.of("src/test/resources/token-corpus"))) {
      for (Path p : samples.sorted().toList()) {
        texts.add(Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    for (String json : List.of("default-catalog.json", "default-routing-policy.json", "routing-policy.schema.json")) {
      try (var in = TokenEstimatorAccuracyTest.class.getResourceAsStream("/policy/" + json)) {
        texts.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
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
