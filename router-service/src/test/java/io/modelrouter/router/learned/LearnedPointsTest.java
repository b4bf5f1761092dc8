package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Learned embeddings travel as signed bytes: what that costs in cosine similarity. */
class LearnedPointsTest {
  @Test
  void aQuantizedVectorKeepsItsSimilaritiesWithinAHundredth() {
    Random random = new Random(42);
    double worst = 0;
    double total = 0;
    for (int trial = 0; trial < 200; trial++) {
      float[] a = unit(random);
      float[] b = near(a, random);
      double exact = dot(a, b);
      double quantized = dot(LearnedPoints.dequantize(LearnedPoints.quantize(a)), b);
      worst = Math.max(worst, Math.abs(exact - quantized));
      total += Math.abs(exact - quantized);
    }
    // measured with this seed: mean about 0.0015, worst about 0.005
    assertThat(total / 200).isLessThan(0.003);
    assertThat(worst).isLessThan(0.01);
  }

  @Test
  void componentsAreScaledBy127AndDecodeToAUnitVector() {
    float[] v = {0.6f, -0.8f, 0f};
    byte[] bytes = LearnedPoints.quantize(v).array();
    assertThat(bytes).containsExactly(76, -102, 0); // 0.6 × 127 = 76.2, -0.8 × 127 = -101.6
    float[] back = LearnedPoints.dequantize(LearnedPoints.quantize(v));
    assertThat(dot(back, back)).isCloseTo(1.0, within(1e-6));
  }

  private static float[] unit(Random random) {
    float[] v = new float[384];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return MiniLmEmbedder.normalized(v);
  }

  /** A unit vector at a cosine of about 0.7 to 0.95 from {@code a}, as related prompts are. */
  private static float[] near(float[] a, Random random) {
    float[] noise = unit(random);
    double mix = 0.3 + random.nextDouble() * 0.6;
    float[] v = new float[a.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (a[i] + mix * noise[i]);
    }
    return MiniLmEmbedder.normalized(v);
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
