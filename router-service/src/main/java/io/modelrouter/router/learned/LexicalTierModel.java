package io.modelrouter.router.learned;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The learned strategy without embeddings ({@code "auto": {"strategy": "learned", "model": "lexical"}}): ordinal
 * logistic regression ({@link LogisticTierModel#fitHeads}) over the words of the request, its shape and its task type.
 * Features: {@value #BUCKETS} hashed buckets of lower-cased word unigrams and bigrams, each weighted {@code (1 + log
 * count) × idf} and the vector scaled to length 3; the one-hot task type; {@link LogisticTierModel#shape}; a constant.
 * Fitted on {@code exemplars/train.jsonl} when first used (about 0.2 s); a prediction costs a pass over the text
 * and a few hundred multiplications, so a router with it routes about three quarters as many requests a second as
 * with hybrid (25,557 against 34,272 on two cores, 2026-12-07), where the embedding model routes about a hundred.
 *
 * <p>Chosen by 5-fold cross-validation on the training split ({@code bench/run RoutingModelSelection}, 2026-12-07:
 * L2 {@value #LAMBDA} over {@value #EPOCHS} epochs had the lowest log-loss of the candidates without embeddings,
 * 0.747, and 66.6% right tier at target 0.6, its best at any target that sent no frontier-labelled prompt to
 * fast; the first version, L2 0.01 over 300 epochs, was underfitted: 0.863 and 54.7% at 0.5), and evaluated once on
 * the held-out split ({@code bench/run RoutingQualityBenchmark}): see docs/benchmarks.md. It does
 * not learn from feedback: a team's learned versions extend the embedding model's exemplars only. Immutable and
 * thread-safe.
 */
public final class LexicalTierModel {
  public static final int BUCKETS = 2048;
  public static final double LAMBDA = 0.0003;
  /** Full-batch gradient steps: about 0.2 s of one core on the shipped exemplars. */
  public static final int EPOCHS = 1000;
  /** The n-gram vector's length after scaling: commensurate with the one-hot and shape features. */
  private static final double NGRAM_NORM = 3;

  private static volatile LexicalTierModel shipped;

  private final Map<String, Integer> taskTypes;
  private final double[] idf;
  private final double[][] heads;
  private final String version;

  private LexicalTierModel(Map<String, Integer> taskTypes, double[] idf, double[][] heads, String version) {
    this.taskTypes = taskTypes;
    this.idf = idf;
    this.heads = heads;
    this.version = version;
  }

  /** The model fitted on the shipped training exemplars, once per JVM. */
  public static LexicalTierModel shipped() {
    LexicalTierModel model = shipped;
    if (model == null) {
      synchronized (LexicalTierModel.class) {
        if (shipped == null) {
          List<Exemplar> train = Exemplar.load(Exemplar.TRAIN);
          shipped = fit(train, BUCKETS, LAMBDA, "lexical-" + train.size());
        }
        model = shipped;
      }
    }
    return model;
  }

  /** Fits the two heads on the exemplars: document frequencies over their texts, then gradient descent. */
  public static LexicalTierModel fit(List<Exemplar> exemplars, int buckets, double lambda, String version) {
    if (exemplars.isEmpty()) {
      throw new IllegalArgumentException("needs at least one exemplar");
    }
    Map<String, Integer> types = new TreeMap<>();
    exemplars.forEach(e -> types.putIfAbsent(e.taskType().toLowerCase(Locale.ROOT), 0));
    int index = 0;
    for (Map.Entry<String, Integer> entry : types.entrySet()) {
      entry.setValue(index++);
    }
    int[] documents = new int[buckets];
    for (Exemplar e : exemplars) {
      for (int b : grams(new int[buckets], e.taskType(), e.system(), e.prompt())) {
        documents[b]++;
      }
    }
    double[] idf = new double[buckets];
    for (int b = 0; b < buckets; b++) {
      idf[b] = documents[b] == 0 ? 0 : Math.log((1.0 + exemplars.size()) / (1.0 + documents[b])) + 1;
    }
    LexicalTierModel unfitted = new LexicalTierModel(types, idf, null, version);
    List<double[]> features = new ArrayList<>(exemplars.size());
    for (Exemplar e : exemplars) {
      features.add(unfitted.features(e.taskType(), e.system(), e.prompt()));
    }
    double[][] heads = LogisticTierModel.fitHeads(features, exemplars.stream().map(Exemplar::tier).toList(), lambda,
        EPOCHS);
    return new LexicalTierModel(types, idf, heads, version);
  }

  public String version() {
    return version;
  }

  /**
   * The probabilities that fast, that mid and that frontier are good enough for a request of this task type, with
   * this system prompt (or null) and current ask; the prediction names no neighbours.
   */
  public KnnTierModel.Prediction predict(String taskType, String system, String ask) {
    Sparse words = words(taskType, system, ask);
    double[] shape = LogisticTierModel.shape(ask);
    Integer type = taskType == null ? null : taskTypes.get(taskType.toLowerCase(Locale.ROOT));
    int buckets = idf.length;
    double[] z = new double[2];
    for (int head = 0; head < 2; head++) {
      double[] w = heads[head];
      double sum = w[w.length - 1];
      for (int i = 0; i < words.buckets.length; i++) {
        sum += w[words.buckets[i]] * words.values[i];
      }
      if (type != null) {
        sum += w[buckets + type];
      }
      for (int k = 0; k < shape.length; k++) {
        sum += w[buckets + taskTypes.size() + k] * shape[k];
      }
      z[head] = sum;
    }
    double[] good = LogisticTierModel.goodEnough(z[0], z[1]);
    return KnnTierModel.Prediction.of(good[0], good[1], version);
  }

  /** The weighted, scaled n-gram buckets of a request: indices and values, as many of each. */
  private record Sparse(int[] buckets, double[] values) {}

  private Sparse words(String taskType, String system, String ask) {
    int[] counts = new int[idf.length];
    int[] touched = grams(counts, taskType, system, ask);
    int size = touched.length;
    double[] values = new double[size];
    double norm = 0;
    for (int i = 0; i < size; i++) {
      double w = (1 + Math.log(counts[touched[i]])) * idf[touched[i]];
      values[i] = w;
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) {
      for (int i = 0; i < size; i++) {
        values[i] = NGRAM_NORM * values[i] / norm;
      }
    }
    return new Sparse(touched, values);
  }

  /** {@code [n-gram buckets, one-hot task type, shape, 1]}, dense, for fitting. */
  private double[] features(String taskType, String system, String ask) {
    int buckets = idf.length;
    double[] x = new double[buckets + taskTypes.size() + LogisticTierModel.SHAPE_FEATURES + 1];
    Sparse words = words(taskType, system, ask);
    for (int i = 0; i < words.buckets.length; i++) {
      x[words.buckets[i]] = words.values[i];
    }
    Integer type = taskType == null ? null : taskTypes.get(taskType.toLowerCase(Locale.ROOT));
    if (type != null) {
      x[buckets + type] = 1;
    }
    System.arraycopy(LogisticTierModel.shape(ask), 0, x, buckets + taskTypes.size(),
        LogisticTierModel.SHAPE_FEATURES);
    x[x.length - 1] = 1;
    return x;
  }

  /**
   * Hashed word unigrams and bigrams of a text with their counts: words are runs of letters, digits, other numeric
   * characters and underscores, lower-cased code point by code point ({@link Character#toLowerCase(int)}); a
   * unigram's bucket is {@code floorMod(h × 31 + 7, buckets)} and a bigram's {@code floorMod(h2, buckets)}, where h
   * is the word's {@link String#hashCode} and h2 that of the two words joined by a space.
   */
  public static Map<Integer, Integer> grams(String text, int buckets) {
    int[] counts = new int[buckets];
    Map<Integer, Integer> out = new HashMap<>();
    for (int b : grams(counts, text)) {
      out.put(b, counts[b]);
    }
    return out;
  }

  /**
   * Counts the n-grams of the texts, read one after the other as if joined by a separator (as {@link Exemplar#text}
   * joins a request's task type, system prompt and ask), into {@code counts}; returns the buckets counted, each once.
   * No string is built: a bigram's hash is composed from its words' hashes as {@link String#hashCode} would compute
   * it over "first second".
   */
  static int[] grams(int[] counts, String... texts) {
    int buckets = counts.length;
    int[] touched = new int[16];
    int size = 0;
    boolean inWord = false;
    int hash = 0;
    int power = 1; // 31^(the word's length in chars)
    boolean havePrevious = false;
    int previous = 0;
    for (String text : texts) {
      if (text == null) {
        continue;
      }
      int length = text.length();
      for (int i = 0; i <= length; ) {
        int cp;
        if (i == length) {
          cp = ' ';
          i++;
        } else {
          char c = text.charAt(i);
          if (c < 128) {
            i++;
            int lower = ASCII_WORD[c];
            if (lower != 0) { // the common case: an ASCII letter, digit or underscore
              hash = 31 * hash + lower;
              power *= 31;
              inWord = true;
              continue;
            }
            cp = c;
          } else {
            cp = text.codePointAt(i);
            i += Character.charCount(cp);
          }
        }
        if (isWordChar(cp)) {
          int lower = Character.toLowerCase(cp);
          if (Character.isBmpCodePoint(lower)) {
            hash = 31 * hash + lower;
            power *= 31;
          } else {
            hash = 31 * (31 * hash + Character.highSurrogate(lower)) + Character.lowSurrogate(lower);
            power *= 31 * 31;
          }
          inWord = true;
          continue;
        }
        if (!inWord) {
          continue;
        }
        // a word ends: its unigram, and the bigram with the word before it
        int[] ends = havePrevious ? new int[] {Math.floorMod(hash * 31 + 7, buckets),
            Math.floorMod((previous * 31 + ' ') * power + hash, buckets)}
            : new int[] {Math.floorMod(hash * 31 + 7, buckets)};
        for (int bucket : ends) {
          if (counts[bucket]++ == 0) {
            if (size == touched.length) {
              touched = java.util.Arrays.copyOf(touched, size * 2);
            }
            touched[size++] = bucket;
          }
        }
        previous = hash;
        havePrevious = true;
        hash = 0;
        power = 1;
        inWord = false;
      }
    }
    return java.util.Arrays.copyOf(touched, size);
  }

  /** For each ASCII character: its lower case if it belongs to a word (letter, digit, underscore), else 0. */
  private static final char[] ASCII_WORD = new char[128];

  static {
    for (char c = 0; c < 128; c++) {
      ASCII_WORD[c] = c == '_' || Character.isLetterOrDigit(c) ? Character.toLowerCase(c) : 0;
    }
  }

  private static boolean isWordChar(int cp) {
    if (cp == '_' || Character.isLetterOrDigit(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.LETTER_NUMBER || type == Character.OTHER_NUMBER;
  }
}
