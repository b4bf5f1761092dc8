package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The kNN vote on a tiny exemplar set with hand-made 2-d vectors, every probability worked out by hand. */
class KnnTierModelTest {
  /** Unit vectors at these angles (degrees), one per exemplar text. */
  private static final Map<String, Double> ANGLE = Map.of(
      "chat: a", 0.0, "chat: b", 10.0, "chat: c", 90.0, "chat: d", 180.0);

  private static final PromptEmbedder EMBEDDER = text -> {
    double radians = Math.toRadians(ANGLE.get(text));
    return new float[] {(float) Math.cos(radians), (float) Math.sin(radians)};
  };

  private static final List<Exemplar> SET = List.of(
      new Exemplar("a", "chat", null, "a", Tier.FAST),
      new Exemplar("b", "chat", null, "b", Tier.MID),
      new Exemplar("c", "chat", null, "c", Tier.FRONTIER),
      new Exemplar("d", "chat", null, "d", Tier.FRONTIER));

  @Test
  void probabilitiesComeFromTheNearestLabelsWeightedBySimilarity() {
    // k = 2, temperature 0.1; a query at 0 degrees: a (similarity 1, weight 1) and b (cos 10° = 0.98481, weight
    // exp(-0.15192) = 0.85906). P(fast) = 1 / 1.85906 = 0.53791; P(mid) = 1; P(frontier) = 1
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 2, 0.1, "test-1");
    KnnTierModel.Prediction prediction = model.predict(new float[] {1, 0});
    assertThat(prediction.goodEnough().get(Tier.FAST)).isCloseTo(0.53791, within(1e-4));
    assertThat(prediction.goodEnough().get(Tier.MID)).isCloseTo(1.0, within(1e-9));
    assertThat(prediction.goodEnough().get(Tier.FRONTIER)).isEqualTo(1.0);
    assertThat(prediction.neighbours()).extracting(n -> n.exemplar().id()).containsExactly("a", "b");
    assertThat(prediction.version()).isEqualTo("test-1");
  }

  @Test
  void theCheapestTierReachingTheQualityTargetIsChosen() {
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 2, 0.1, "test-1");
    KnnTierModel.Prediction prediction = model.predict(new float[] {1, 0});
    assertThat(prediction.cheapest(0.5)).isEqualTo(Tier.FAST);
    assertThat(prediction.cheapest(0.6)).isEqualTo(Tier.MID);
  }

  @Test
  void aRequestNearHardExemplarsNeedsTheTopTier() {
    // A query at 135 degrees, k = 2: c (cos 45° = 0.70711) and d (cos 45° = 0.70711), both frontier:
    // P(fast) = P(mid) = 0
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 2, 0.1, "test-1");
    float c = (float) Math.cos(Math.toRadians(135));
    float s = (float) Math.sin(Math.toRadians(135));
    KnnTierModel.Prediction prediction = model.predict(new float[] {c, s});
    assertThat(prediction.goodEnough().get(Tier.FAST)).isZero();
    assertThat(prediction.goodEnough().get(Tier.MID)).isZero();
    assertThat(prediction.cheapest(0.5)).isEqualTo(Tier.FRONTIER);
  }
}
