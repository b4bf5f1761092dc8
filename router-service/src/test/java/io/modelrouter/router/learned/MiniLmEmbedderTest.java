package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The embedding model loads from the classpath (no network) and places texts that mean alike close together. */
class MiniLmEmbedderTest {
  private static final MiniLmEmbedder EMBEDDER = new MiniLmEmbedder();

  private static double similarity(String a, String b) {
    float[] x = EMBEDDER.embed(a);
    float[] y = EMBEDDER.embed(b);
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      sum += x[i] * y[i];
    }
    return sum;
  }

  @Test
  void vectorsAreUnitLength384Dimensions() {
    float[] vector = EMBEDDER.embed("implementation: add a getter for the order id");
    assertThat(vector).hasSize(384);
    double norm = 0;
    for (float v : vector) {
      norm += v * v;
    }
    assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void paraphrasesAreCloserThanUnrelatedRequests() {
    double paraphrase = similarity("Design active-active replication across three regions with conflict resolution",
        "How should we replicate writes between regions so that concurrent updates converge?");
    double unrelated = similarity("Design active-active replication across three regions with conflict resolution",
        "Bump the version in package.json to 2.3.1");
    assertThat(paraphrase).isGreaterThan(unrelated + 0.2);
  }

  @Test
  void longTextsAreCutBeforeEmbedding() {
    String head = "Explain this stack trace from the payment service. ";
    float[] cut = EMBEDDER.embed(head + "x ".repeat(5_000));
    float[] same = EMBEDDER.embed((head + "x ".repeat(5_000)).substring(0, MiniLmEmbedder.MAX_CHARS));
    assertThat(cut).containsExactly(same);
  }
}
