package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LexicalTierModelTest {

  @Test
  void wordsAndPairsOfWordsByHand() {
    // "Fix the fix!": words fix, the, fix (lower-cased, split on anything but letters, digits and _)
    int buckets = 1 << 20;
    Map<Integer, Integer> grams = LexicalTierModel.grams("Fix the fix!", buckets);
    int fix = Math.floorMod("fix".hashCode() * 31 + 7, buckets);
    int the = Math.floorMod("the".hashCode() * 31 + 7, buckets);
    int fixThe = Math.floorMod("fix the".hashCode(), buckets);
    int theFix = Math.floorMod("the fix".hashCode(), buckets);
    assertThat(grams).containsOnly(Map.entry(fix, 2), Map.entry(the, 1), Map.entry(fixThe, 1),
        Map.entry(theFix, 1));
    assertThat(LexicalTierModel.grams("", 16)).isEmpty();
    assertThat(LexicalTierModel.grams(null, 16)).isEmpty();
  }

  @Test
  void learnsWhichWordsMakeARequestHard() {
    // one task type, prompts of the same shape: only the words tell a frontier request from a fast one
    List<Exemplar> exemplars = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      exemplars.add(new Exemplar("hard-" + i, "chat", null, "find the deadlock in worker " + i, Tier.FRONTIER));
      exemplars.add(new Exemplar("easy-" + i, "chat", null, "rename the variable in worker " + i, Tier.FAST));
    }
    LexicalTierModel model = LexicalTierModel.fit(exemplars, 256, 0.01, "lexical-test");

    KnnTierModel.Prediction hard = model.predict("chat", null, "find the deadlock in worker 99");
    KnnTierModel.Prediction easy = model.predict("chat", null, "rename the variable in worker 99");
    assertThat(hard.goodEnough().get(Tier.MID)).as("not even mid for a deadlock, as labelled").isLessThan(0.3);
    assertThat(easy.goodEnough().get(Tier.FAST)).as("fast for a rename").isGreaterThan(0.7);
    assertThat(hard.cheapest(0.5)).isEqualTo(Tier.FRONTIER);
    assertThat(easy.cheapest(0.5)).isEqualTo(Tier.FAST);
    assertThat(hard.goodEnough().get(Tier.MID)).isGreaterThanOrEqualTo(hard.goodEnough().get(Tier.FAST));
    assertThat(hard.goodEnough().get(Tier.FRONTIER)).isEqualTo(1.0);
    assertThat(hard.neighbours()).isEmpty();
    assertThat(hard.version()).isEqualTo("lexical-test");
  }

  @Test
  void theShippedModelIsFittedOnTheTrainingSplit() {
    LexicalTierModel shipped = LexicalTierModel.shipped();
    assertThat(shipped.version()).isEqualTo("lexical-" + Exemplar.load(Exemplar.TRAIN).size());
    assertThat(LexicalTierModel.shipped()).isSameAs(shipped);
  }
}
