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
 * the held-out split ({@code bench/run RoutingQualityBenchmark}): see docs/benchmarks.md. A team's learned exemplars
 * move it through {@link #predict(String, String, String, Team, String)}: a kNN vote over their n-gram vectors, with
 * the model's probabilities as a prior. Immutable and thread-safe.
 */
public final class LexicalTierModel {
  public static final int BUCKETS = 2048;
  /** The shipped model's version is this and the number of exemplars it was fitted on. */
  public static final String VERSION_PREFIX = "lexical-";
  public static final double LAMBDA = 0.0003;
  /** Full-batch gradient steps: about 0.2 s of one core on the shipped exemplars. */
  public static final int EPOCHS = 1000;
  /** The n-gram vector's length after scaling: commensurate with the one-hot and shape features. */
  private static final double NGRAM_NORM = 3;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LexicalTierModel.class);
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
          shipped = fit(train, BUCKETS, LAMBDA, VERSION_PREFIX + train.size());
        }
        model = shipped;
      }
    }
    return model;
  }

  /**
   * Fits the shipped model on a daemon thread of its own (a no-op once fitted), logging how long it took; a failure
   * is logged, and the first use tries again.
   */
  public static Thread fitInBackground() {
    return Thread.ofPlatform().daemon().name("lexical-model-fit").start(() -> {
      try {
        long start = System.nanoTime();
        LexicalTierModel model = shipped();
        LOG.info("lexical model {} ready in {} ms", model.version(), (System.nanoTime() - start) / 1_000_000);
      } catch (RuntimeException e) {
        LOG.error("the lexical model could not be fitted; the first request that needs it tries again: {}",
            e.toString(), e);
      }
    });
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

  /** Neighbours among a team's learned exemplars that vote (as the embedding model's k). */
  public static final int TEAM_K = KnnTierModel.DEFAULT_K;
  /**
   * How fast a learned exemplar's vote falls with its distance: {@code exp((similarity - 1) / 0.1)}. The same text
   * weighs 1, as much as the model itself; similarity 0.9 weighs 0.37, 0.7 weighs 0.05. Twice the embedding model's
   * 0.05, because word n-grams of two requests alike in meaning overlap less than their sentence embeddings do (not
   * tuned: the learning curve in docs/benchmarks.md is measured with it).
   */
  public static final double TEAM_TEMPERATURE = 0.1;

  /** A text's unit n-gram vector: the buckets it touches, ascending, and their weights (squares summing to 1). */
  public record Vector(int[] buckets, float[] weights) {
    static final Vector EMPTY = new Vector(new int[0], new float[0]);
  }

  /**
   * The unit n-gram vector of a judged text (as the learner keeps it: task type, system prompt and ask joined, cut
   * as it is embedded), with this model's document frequencies.
   */
  public Vector vector(String text) {
    Sparse words = words(null, null, text);
    Integer[] order = new Integer[words.buckets.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> words.buckets[i]));
    int[] buckets = new int[order.length];
    float[] weights = new float[order.length];
    for (int i = 0; i < order.length; i++) {
      buckets[i] = words.buckets[order[i]];
      weights[i] = (float) (words.values[order[i]] / NGRAM_NORM);
    }
    return new Vector(buckets, weights);
  }

  /** A vector as {@code LearnedExemplar.lexical} carries it: per bucket 2 bytes of bucket, 1 of weight × 255. */
  public static java.nio.ByteBuffer encode(Vector vector) {
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(3 * vector.buckets().length);
    for (int i = 0; i < vector.buckets().length; i++) {
      out.putShort((short) vector.buckets()[i]);
      out.put((byte) Math.max(0, Math.min(255, Math.round(vector.weights()[i] * 255f))));
    }
    return out.flip();
  }

  /** The vector of {@link #encode}'s bytes, renormalized (so similarities stay cosines); empty when malformed. */
  public static Vector decode(java.nio.ByteBuffer bytes) {
    if (bytes == null || bytes.remaining() == 0 || bytes.remaining() % 3 != 0) {
      return Vector.EMPTY;
    }
    java.nio.ByteBuffer in = bytes.duplicate();
    int n = in.remaining() / 3;
    int[] buckets = new int[n];
    float[] weights = new float[n];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      buckets[i] = Short.toUnsignedInt(in.getShort());
      weights[i] = Byte.toUnsignedInt(in.get()) / 255f;
      norm += weights[i] * weights[i];
    }
    if (norm == 0) {
      return Vector.EMPTY;
    }
    float scale = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < n; i++) {
      weights[i] *= scale;
    }
    return new Vector(buckets, weights);
  }

  /**
   * A team's learned exemplars in this model's space: its version's exemplars that carry an n-gram vector (a learner
   * older than the field writes none), each a point of the vote.
   */
  public record Team(String version, List<KnnTierModel.Point> points, List<Vector> vectors) {
    public static Team of(io.modelrouter.avro.RouterModel model) {
      List<KnnTierModel.Point> points = new ArrayList<>();
      List<Vector> vectors = new ArrayList<>();
      for (io.modelrouter.avro.LearnedExemplar e : model.getExemplars()) {
        Vector vector = decode(e.getLexical());
        if (vector.buckets().length == 0 || e.getAtLeast().ordinal() > e.getAtMost().ordinal()) {
          continue;
        }
        points.add(new KnnTierModel.Point(e.getId(), LearnedPoints.tier(e.getAtLeast()),
            LearnedPoints.tier(e.getAtMost()), new float[0],
            Math.max(1, Math.min(LearnedPoints.MAX_COUNT, e.getCount()))));
        vectors.add(vector);
      }
      return new Team(model.getTeamId() + "@" + model.getVersion(), List.copyOf(points), List.copyOf(vectors));
    }
  }

  /**
   * With a team's learned exemplars: the {@value #TEAM_K} nearest to the judged text (cosine of n-gram vectors) vote
   * as in the embedding model's kNN, and this model's probabilities join the vote as one more voter of weight 1. The
   * prediction names the team's version and the neighbours.
   *
   * @param judgedText the request's text as the learner keeps it ({@code LearnedRouter.judgedText})
   */
  public KnnTierModel.Prediction predict(String taskType, String system, String ask, Team team, String judgedText) {
    KnnTierModel.Prediction own = predict(taskType, system, ask);
    if (team.points().isEmpty()) {
      return new KnnTierModel.Prediction(own.goodEnough(), List.of(), team.version());
    }
    Vector query = vector(judgedText);
    float[] dense = new float[idf.length];
    for (int i = 0; i < query.buckets().length; i++) {
      dense[query.buckets()[i]] = query.weights()[i];
    }
    List<KnnTierModel.Neighbour> neighbours = KnnTierModel.nearest(team.points().size(), TEAM_K, p -> {
      Vector v = team.vectors().get(p);
      double similarity = 0;
      for (int i = 0; i < v.buckets().length; i++) {
        int bucket = v.buckets()[i];
        if (bucket < dense.length) {
          similarity += v.weights()[i] * dense[bucket];
        }
      }
      return similarity;
    }, team.points()::get, TEAM_TEMPERATURE);
    double[] prior = {own.goodEnough().get(Tier.FAST), own.goodEnough().get(Tier.MID), 1.0};
    return new KnnTierModel.Prediction(KnnTierModel.vote(neighbours, prior, 1.0), List.copyOf(neighbours),
        team.version());
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
