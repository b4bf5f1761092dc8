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
  void theStreamingHashesAreThoseOfTheWordsAndPairsJoinedAcrossTextsWhateverTheScript() {
    // A reference built the slow way: the texts joined by a separator, split into lower-cased words, each bucket
    // from String.hashCode of the word or of "first second"
    java.util.Random random = new java.util.Random(7);
    String alphabet = "aZ9_ é字İ\n-?\uD801\uDC00\uD801\uDC28Σ.";
    for (int trial = 0; trial < 500; trial++) {
      String[] texts = new String[1 + random.nextInt(3)];
      for (int t = 0; t < texts.length; t++) {
        StringBuilder text = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
          int at = random.nextInt(alphabet.length());
          char c = alphabet.charAt(at);
          // a surrogate pair stays whole
          if (Character.isHighSurrogate(c)) {
            text.append(c).append(alphabet.charAt(at + 1));
          } else if (!Character.isLowSurrogate(c)) {
            text.append(c);
          }
        }
        texts[t] = text.toString();
      }
      int buckets = 97;
      int[] counts = new int[buckets];
      int[] touched = LexicalTierModel.grams(counts, texts);
      Map<Integer, Integer> streamed = new java.util.HashMap<>();
      for (int b : touched) {
        streamed.put(b, counts[b]);
      }
      assertThat(streamed).as(String.join(" | ", texts)).isEqualTo(reference(String.join("\n", texts), buckets));
      assertThat(touched).doesNotHaveDuplicates();
    }
  }

  private static Map<Integer, Integer> reference(String text, int buckets) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    text.codePoints().forEach(cp -> {
      int type = Character.getType(cp);
      if (cp == '_' || Character.isLetterOrDigit(cp) || type == Character.LETTER_NUMBER
          || type == Character.OTHER_NUMBER) {
        word.appendCodePoint(Character.toLowerCase(cp));
      } else if (!word.isEmpty()) {
        words.add(word.toString());
        word.setLength(0);
      }
    });
    if (!word.isEmpty()) {
      words.add(word.toString());
    }
    Map<Integer, Integer> out = new java.util.HashMap<>();
    for (int i = 0; i < words.size(); i++) {
      out.merge(Math.floorMod(words.get(i).hashCode() * 31 + 7, buckets), 1, Integer::sum);
      if (i > 0) {
        out.merge(Math.floorMod((words.get(i - 1) + " " + words.get(i)).hashCode(), buckets), 1, Integer::sum);
      }
    }
    return out;
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

  @Test
  void aTextsVectorIsUnitLengthAndSurvivesItsBytes() {
    LexicalTierModel model = LexicalTierModel.shipped();
    LexicalTierModel.Vector v = model.vector("chat: find the deadlock in worker 7");
    double norm = 0;
    for (float w : v.weights()) {
      norm += w * w;
    }
    assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(v.buckets()).isSorted().doesNotHaveDuplicates();
    // 7 words and 6 pairs ("chat find" among them): 13 n-grams, fewer only if two share a bucket
    assertThat(v.buckets().length).isBetween(11, 13);

    java.nio.ByteBuffer bytes = LexicalTierModel.encode(v);
    assertThat(bytes.remaining()).isEqualTo(3 * v.buckets().length);
    LexicalTierModel.Vector back = LexicalTierModel.decode(bytes);
    assertThat(back.buckets()).containsExactly(v.buckets());
    for (int i = 0; i < v.weights().length; i++) {
      assertThat(back.weights()[i]).isCloseTo(v.weights()[i], org.assertj.core.data.Offset.offset(0.01f));
    }
    assertThat(LexicalTierModel.decode(java.nio.ByteBuffer.wrap(new byte[] {1, 2}))).isEqualTo(
        LexicalTierModel.Vector.EMPTY);
    assertThat(LexicalTierModel.decode(java.nio.ByteBuffer.allocate(0)).buckets()).isEmpty();
  }

  @Test
  void aTeamsExemplarOfTheSameTextVotesAsMuchAsTheModel() {
    LexicalTierModel model = LexicalTierModel.shipped();
    String text = "interactiveChat: rename the variable in worker 7";
    KnnTierModel.Prediction alone = model.predict("interactiveChat", null, "rename the variable in worker 7");
    LexicalTierModel.Team team = new LexicalTierModel.Team("team-a@1",
        List.of(new KnnTierModel.Point("fb:r1", Tier.FRONTIER, Tier.FRONTIER, new float[0], 1)),
        List.of(model.vector(text)));

    KnnTierModel.Prediction taught = model.predict("interactiveChat", null, "rename the variable in worker 7", team,
        text);

    // one neighbour of similarity 1 (weight exp(0) = 1) votes "not fast, not mid"; the model votes p with weight 1:
    // p(fast) = p / (1 + 1), and the same for mid
    assertThat(taught.neighbours()).hasSize(1);
    assertThat(taught.neighbours().getFirst().similarity()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(taught.goodEnough().get(Tier.FAST)).isCloseTo(alone.goodEnough().get(Tier.FAST) / 2,
        org.assertj.core.data.Offset.offset(1e-5));
    assertThat(taught.goodEnough().get(Tier.MID)).isCloseTo(alone.goodEnough().get(Tier.MID) / 2,
        org.assertj.core.data.Offset.offset(1e-5));
    assertThat(taught.version()).isEqualTo("team-a@1");

    // a team version without exemplars in this model's space: the model's own probabilities, under the team's version
    KnnTierModel.Prediction empty = model.predict("interactiveChat", null, "rename the variable in worker 7",
        new LexicalTierModel.Team("team-a@2", List.of(), List.of()), text);
    assertThat(empty.goodEnough()).isEqualTo(alone.goodEnough());
    assertThat(empty.version()).isEqualTo("team-a@2");
  }
}
