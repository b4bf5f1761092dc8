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
    assertThat(prediction.neighbours()).extracting(KnnTierModel.Neighbour::id).containsExactly("a", "b");
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

  private static float[] at(double degrees) {
    double radians = Math.toRadians(degrees);
    return new float[] {(float) Math.cos(radians), (float) Math.sin(radians)};
  }

  @Test
  void aRequestAnsweredWellOnMidSaysNothingAboutFast() {
    // x at 5 degrees, labelled fast..mid (good enough on mid). k = 2, temperature 0.1, query at 0: a (weight 1,
    // fast) and x (cos 5° = 0.996195, weight exp(-0.03805) = 0.96267). Fast: a votes yes, x abstains: P = 1.
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 2, 0.1, "test-1")
        .with(List.of(new KnnTierModel.Point("x", Tier.FAST, Tier.MID, at(5))), "team@1");
    KnnTierModel.Prediction prediction = model.predict(at(0));
    assertThat(prediction.neighbours()).extracting(KnnTierModel.Neighbour::id).containsExactly("a", "x");
    assertThat(prediction.goodEnough().get(Tier.FAST)).isCloseTo(1.0, within(1e-9));
    assertThat(prediction.goodEnough().get(Tier.MID)).isCloseTo(1.0, within(1e-9));
    assertThat(prediction.version()).isEqualTo("team@1");
    assertThat(prediction.neighbours().get(1).point().label()).isEqualTo("fast..mid");
  }

  @Test
  void aRequestAnsweredBadlyOnFastVotesAgainstFastOnly() {
    // y at 5 degrees, labelled mid..frontier (fast was not good enough). Query at 0, k = 2: fast gets a's yes (1)
    // and y's no (0.96267): P = 1 / 1.96267 = 0.50951. Mid: a yes, y abstains: P = 1.
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 2, 0.1, "test-1")
        .with(List.of(new KnnTierModel.Point("y", Tier.MID, Tier.FRONTIER, at(5))), "team@1");
    KnnTierModel.Prediction prediction = model.predict(at(0));
    assertThat(prediction.goodEnough().get(Tier.FAST)).isCloseTo(0.50951, within(1e-4));
    assertThat(prediction.goodEnough().get(Tier.MID)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void aTierNoNeighbourVotesOnTakesTheProbabilityOfTheTierBelow() {
    // z at -3 degrees, labelled fast..mid; the query at -3 degrees with k = 1 sees only z: fast gets no vote (P = 0,
    // nothing says it is good enough), mid gets z's yes (P = 1).
    KnnTierModel model = KnnTierModel.fit(SET, EMBEDDER, 1, 0.1, "test-1")
        .with(List.of(new KnnTierModel.Point("z", Tier.FAST, Tier.MID, at(-3))), "team@1");
    KnnTierModel.Prediction prediction = model.predict(at(-3));
    assertThat(prediction.neighbours()).extracting(KnnTierModel.Neighbour::id).containsExactly("z");
    assertThat(prediction.goodEnough().get(Tier.FAST)).isZero();
    assertThat(prediction.goodEnough().get(Tier.MID)).isEqualTo(1.0);
    assertThat(prediction.cheapest(0.8)).isEqualTo(Tier.MID);
  }
}
