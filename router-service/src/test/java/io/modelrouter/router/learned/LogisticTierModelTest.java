package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogisticTierModelTest {

  @Test
  void theShapeOfAPromptByHand() {
    // "ab?\n": 4 characters, 1 line break, 2 letters, all ASCII, 1 question mark
    assertThat(LogisticTierModel.shape("ab?\n")).containsExactly(new double[] {
        Math.log(5) / 4, Math.log(2) / 2, 0.5, 0.0, Math.log(2)}, within(1e-12));
    // "é?": 2 characters, one of them not ASCII
    assertThat(LogisticTierModel.shape("é?")[3]).isCloseTo(0.5, within(1e-12));
    assertThat(LogisticTierModel.shape(null)).containsExactly(0.0, 0.0, 0.0, 0.0, 0.0);
  }

  @Test
  void theShapeCountsEveryCharacterAsTheCharacterClassesSay() {
    // every UTF-16 unit, each alone and after "ab": the counts the shape is made of, from Character's own classes
    for (int c = 0; c <= Character.MAX_VALUE; c++) {
      String text = "ab" + (char) c;
      double length = 3;
      int letters = 2 + (Character.isLetter((char) c) ? 1 : 0);
      int ascii = 2 + (c < 128 ? 1 : 0);
      double[] expected = {Math.log1p(length) / 4, Math.log1p(c == '\n' ? 1 : 0) / 2, 1 - letters / length,
          1 - ascii / length, Math.log1p(c == '?' ? 1 : 0)};
      assertThat(LogisticTierModel.shape(text)).as("U+%04X", c).containsExactly(expected, within(1e-12));
    }
  }

  @Test
  void learnsFromTheShapeWhereTheEmbeddingsSayNothing() {
    // every exemplar has the same embedding and task type: only the prompt's shape tells them apart
    List<Exemplar> exemplars = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    String code = "for (int i = 0; i < n; i++) {\n  sum += a[i] * b[i];\n}\n".repeat(12);
    for (int i = 0; i < 20; i++) {
      exemplars.add(new Exemplar("short-" + i, "chat", null, "what port " + i, Tier.FAST));
      exemplars.add(new Exemplar("long-" + i, "chat", null, code + "// " + i, Tier.FRONTIER));
      vectors.add(new float[] {0.6f, 0.8f});
      vectors.add(new float[] {0.6f, 0.8f});
    }
    LogisticTierModel model = LogisticTierModel.fit(exemplars, vectors, 0.01, 300);

    double[] shortPrompt = model.goodEnough(new float[] {0.6f, 0.8f}, "chat", "what port 99");
    double[] longPrompt = model.goodEnough(new float[] {0.6f, 0.8f}, "chat", code);
    assertThat(shortPrompt[0]).as("fast is good enough for a short question").isGreaterThan(0.8);
    assertThat(longPrompt[1]).as("not even mid is for the long paste, as labelled").isLessThan(0.2);
    assertThat(longPrompt[1]).as("mid is never below fast").isGreaterThanOrEqualTo(longPrompt[0]);
  }
}
