package io.modelrouter.bench;

import io.modelrouter.router.learned.Exemplar;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.learned.KnnTierModel;
import io.modelrouter.router.learned.LogisticTierModel;
import io.modelrouter.router.learned.MiniLmEmbedder;
import io.modelrouter.router.learned.Tier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Chooses between candidate learned models by cross-validation on the <b>training split only</b>: the exemplars of
 * {@code exemplars/train.jsonl} are dealt into folds (by label, in id order, so every fold holds every label), each
 * candidate is fitted on all folds but one and judged on the one left out, and the right-tier share and log-loss are
 * summed over the folds. The held-out test split is never read here; RoutingQualityBenchmark evaluates the chosen
 * candidate on it once (docs/exemplars.md, "The held-out split").
 *
 * <p>{@code bench/run RoutingModelSelection [--folds 5] [--only <part of a candidate's name>]}
 */
public final class RoutingModelSelection {
  /** A candidate model: its name, and how it turns a training fold into a predictor of the held-out fold. */
  record Candidate(String name, Fitter fit) {}

  /** Fits on the training exemplars (vectors in the same order, embedded with the candidate's text view). */
  interface Fitter {
    Function<Integer, KnnTierModel.Prediction> fit(List<Exemplar> train, List<float[]> trainVectors,
        List<Exemplar> held, List<float[]> heldVectors);
  }

  /** The held-out exemplar {@code i}'s prediction by a kNN model (with or without a prior). */
  private static Function<Integer, KnnTierModel.Prediction> predictor(KnnTierModel model, List<Exemplar> held,
      List<float[]> heldVectors) {
    return i -> model.predict(heldVectors.get(i), held.get(i).taskType(), held.get(i).prompt());
  }

  /** How an exemplar's text is cut before embedding. */
  enum View {
    /** The first 600 characters (what MiniLmEmbedder does by itself). */
    HEAD,
    /** The first 300 and the last 300 characters of a longer text. */
    HEAD_TAIL;

    String apply(String text) {
      int max = MiniLmEmbedder.MAX_CHARS;
      if (this == HEAD || text.length() <= max) {
        return text;
      }
      return text.substring(0, max / 2) + "\n…\n" + text.substring(text.length() - max / 2);
    }
  }

  /** The quality targets each candidate's right-tier share and under-routing are reported at. */
  private static final double[] TARGETS = {0.5, 0.55, 0.6, 0.65, 0.7};

  public static void main(String[] args) {
    BenchArgs options = new BenchArgs(args, Map.of("folds", "5", "only", ""));
    int folds = options.integer("folds");
    List<Exemplar> train = new ArrayList<>(Exemplar.load(Exemplar.TRAIN));
    train.sort(Comparator.comparing(Exemplar::id));
    int[] fold = new int[train.size()];
    Map<Tier, Integer> seen = new HashMap<>();
    for (int i = 0; i < train.size(); i++) {
      int position = seen.merge(train.get(i).tier(), 1, Integer::sum) - 1;
      fold[i] = position % folds;
    }
    MiniLmEmbedder embedder = new MiniLmEmbedder();
    Map<View, List<float[]>> vectors = new HashMap<>();
    for (View view : View.values()) {
      List<float[]> list = new ArrayList<>();
      for (Exemplar e : train) {
        list.add(embedder.embed(view.apply(e.text())));
      }
      vectors.put(view, list);
    }
    System.out.printf(Locale.ROOT, "RoutingModelSelection: %d training exemplars, %d folds (test split not read)%n",
        train.size(), folds);
    List<Map.Entry<View, Candidate>> candidates = new ArrayList<>();
    candidates.add(Map.entry(View.HEAD, knnOnly(KnnTierModel.DEFAULT_K, KnnTierModel.DEFAULT_TEMPERATURE)));
    for (double lambda : new double[] {0.03, 0.1, 0.3}) {
      candidates.add(Map.entry(View.HEAD, logistic(lambda)));
    }
    candidates.add(Map.entry(View.HEAD_TAIL, logistic(LogisticTierModel.DEFAULT_LAMBDA)));
    candidates.add(Map.entry(View.HEAD, knnWithPrior(KnnTierModel.DEFAULT_K, KnnTierModel.DEFAULT_TEMPERATURE,
        LogisticTierModel.DEFAULT_LAMBDA, 1)));
    for (double lambda : new double[] {0.03, 0.1, 0.3}) {
      candidates.add(Map.entry(View.HEAD, lexical(0, lambda, false)));
    }
    candidates.add(Map.entry(View.HEAD, lexical(2048, 0.1, true)));
    for (double lambda : new double[] {0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03}) {
      candidates.add(Map.entry(View.HEAD, lexical(2048, lambda, true, false)));
    }
    for (double weight : new double[] {0.3, 0.5}) {
      candidates.add(Map.entry(View.HEAD, ensemble(weight, false)));
    }
    for (double weight : new double[] {0.3, 0.5, 0.7}) {
      candidates.add(Map.entry(View.HEAD, ensemble(weight, true)));
    }
    for (int epochs : new int[] {300, 1000, 3000}) {
      for (double lambda : new double[] {0.01, 0.03, 0.1}) {
        candidates.add(Map.entry(View.HEAD, lexical(0, lambda, true, true, epochs)));
      }
    }
    for (int epochs : new int[] {1000, 2000}) {
      for (double lambda : new double[] {0.0003, 0.001, 0.003}) {
        candidates.add(Map.entry(View.HEAD, lexical(2048, lambda, true, false, epochs)));
      }
    }
    for (int buckets : new int[] {1024, 4096, 8192}) {
      candidates.add(Map.entry(View.HEAD, lexical(buckets, 0.0003, true, false, 1000)));
    }
    for (int epochs : new int[] {1000, 2000}) {
      candidates.add(Map.entry(View.HEAD, lexical(2048, 0.0003, true, false, epochs, true, false)));
    }
    for (int epochs : new int[] {1000, 2000}) {
      for (double lambda : new double[] {0.0003, 0.001, 0.003}) {
        candidates.add(Map.entry(View.HEAD, lexical(4096, lambda, true, false, epochs, false, true)));
      }
    }
    candidates.add(Map.entry(View.HEAD, lexical(8192, 0.0003, true, false, 1000, false, true)));
    double[] margins = {0.15, 0.2, 0.25};
    int[][] cheap = new int[margins.length][1];
    for (int m = 0; m < margins.length; m++) {
      candidates.add(Map.entry(View.HEAD, cascade(margins[m], cheap[m])));
    }
    String only = options.string("only");
    for (Map.Entry<View, Candidate> entry : candidates) {
      View view = entry.getKey();
      Candidate candidate = entry.getValue();
      if (!candidate.name().contains(only)) {
        continue;
      }
      List<float[]> all = vectors.get(view);
      int right = 0;
      int frontierToFast = 0;
      int rightAt8 = 0;
      int under8 = 0;
      int[] rightAt = new int[TARGETS.length];
      int[] underAt = new int[TARGETS.length];
      int[] frontierToFastAt = new int[TARGETS.length];
      double logLoss = 0;
      for (int f = 0; f < folds; f++) {
        List<Exemplar> fitOn = new ArrayList<>();
        List<float[]> fitVectors = new ArrayList<>();
        List<Exemplar> held = new ArrayList<>();
        List<float[]> heldVectors = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
          (fold[i] == f ? held : fitOn).add(train.get(i));
          (fold[i] == f ? heldVectors : fitVectors).add(all.get(i));
        }
        Function<Integer, KnnTierModel.Prediction> predictor = candidate.fit().fit(fitOn, fitVectors, held, heldVectors);
        for (int i = 0; i < held.size(); i++) {
          KnnTierModel.Prediction prediction = predictor.apply(i);
          Tier label = held.get(i).tier();
          Tier chosen = prediction.cheapest(0.5);
          right += chosen == label ? 1 : 0;
          frontierToFast += label == Tier.FRONTIER && chosen == Tier.FAST ? 1 : 0;
          Tier at8 = prediction.cheapest(0.8);
          rightAt8 += at8 == label ? 1 : 0;
          under8 += at8.ordinal() < label.ordinal() ? 1 : 0;
          for (int t = 0; t < TARGETS.length; t++) {
            Tier chosenAt = prediction.cheapest(TARGETS[t]);
            rightAt[t] += chosenAt == label ? 1 : 0;
            underAt[t] += chosenAt.ordinal() < label.ordinal() ? 1 : 0;
            frontierToFastAt[t] += label == Tier.FRONTIER && chosenAt == Tier.FAST ? 1 : 0;
          }
          logLoss += logLoss(prediction, label);
        }
      }
      System.out.printf(Locale.ROOT, "%-9s %-56s right@0.5 %5.1f%% (frontier->fast %2d) | right@0.8 %5.1f%% "
              + "(under %2d) | log-loss %.3f%n", view, candidate.name(), 100.0 * right / train.size(),
          frontierToFast, 100.0 * rightAt8 / train.size(), under8, logLoss / train.size());
      StringBuilder curve = new StringBuilder();
      for (int t = 0; t < TARGETS.length; t++) {
        curve.append(String.format(Locale.ROOT, " @%.2f %5.1f%% (under %4.1f%%, %d)", TARGETS[t],
            100.0 * rightAt[t] / train.size(), 100.0 * underAt[t] / train.size(), frontierToFastAt[t]));
      }
      System.out.println("          right tier by target:" + curve);
    }
    for (int m = 0; m < margins.length; m++) {
      if (String.format(Locale.ROOT, "cascade margin %.2f", margins[m]).contains(only)) {
        System.out.printf(Locale.ROOT, "cascade margin %.2f: %d of %d decided without embeddings%n", margins[m],
            cheap[m][0], train.size());
      }
    }
  }

  /** The ordinal log-loss of the label: -log P(label is the cheapest good-enough tier). */
  static double logLoss(KnnTierModel.Prediction prediction, Tier label) {
    double fast = prediction.goodEnough().get(Tier.FAST);
    double mid = prediction.goodEnough().get(Tier.MID);
    double p = switch (label) {
      case FAST -> fast;
      case MID -> mid - fast;
      case FRONTIER -> 1 - mid;
    };
    return -Math.log(Math.max(1e-6, p));
  }

  static Candidate logistic(double lambda) {
    // a kNN model whose vote the prior outweighs a million times: the logistic model alone
    Candidate alone = knnWithPrior(1, KnnTierModel.DEFAULT_TEMPERATURE, lambda, 1e6);
    return new Candidate(String.format(Locale.ROOT, "LogisticTierModel lambda %.2f", lambda), alone.fit());
  }

  static Candidate knnOnly(int k, double temperature) {
    return new Candidate(String.format(Locale.ROOT, "kNN k %d T %.2f", k, temperature),
        (train, trainVectors, held, heldVectors) -> predictor(KnnTierModel.fit(train, trainVectors, k, temperature,
            "knn"), held, heldVectors));
  }

  /** An ordinal logistic model over the embedding, the task type, hashed word n-grams and the text's shape. */
  static Candidate lexical(int buckets, double lambda, boolean shape) {
    return lexical(buckets, lambda, shape, true);
  }

  /** Cheap-first: the model without embeddings where it is sure (both heads at least margin from 0.5). */
  static Candidate cascade(double margin, int[] cheapCount) {
    Candidate cheap = lexical(2048, 0.03, true, false);
    Candidate full = lexical(2048, 0.1, true, true);
    return new Candidate(String.format(Locale.ROOT, "cascade margin %.2f", margin),
        (train, trainVectors, held, heldVectors) -> {
          Function<Integer, KnnTierModel.Prediction> c = cheap.fit().fit(train, trainVectors, held, heldVectors);
          Function<Integer, KnnTierModel.Prediction> f = full.fit().fit(train, trainVectors, held, heldVectors);
          return i -> {
            KnnTierModel.Prediction p = c.apply(i);
            if (Math.abs(p.goodEnough().get(Tier.FAST) - 0.5) >= margin
                && Math.abs(p.goodEnough().get(Tier.MID) - 0.5) >= margin) {
              cheapCount[0]++;
              return p;
            }
            return f.apply(i);
          };
        });
  }

  static Candidate lexical(int buckets, double lambda, boolean shape, boolean embedding) {
    return lexical(buckets, lambda, shape, embedding, LogisticTierModel.DEFAULT_EPOCHS);
  }

  static Candidate lexical(int buckets, double lambda, boolean shape, boolean embedding, int epochs) {
    return lexical(buckets, lambda, shape, embedding, epochs, false, false);
  }

  /**
   * With {@code complexity}: also the keyword complexity score and its features (the router computes them anyway);
   * with {@code chars}: also the text's character 4-grams, in the same buckets as the word n-grams.
   */
  static Candidate lexical(int buckets, double lambda, boolean shape, boolean embedding, int epochs,
      boolean complexity, boolean chars) {
    String name = String.format(Locale.ROOT, "logistic: %s%s%s%s, lambda %.4f%s%s", embedding ? "embedding"
        : "no embedding", buckets > 0 ? ", " + buckets + " n-grams" : "", shape ? ", shape" : ", no shape",
        complexity ? ", complexity" : "", lambda,
        epochs == LogisticTierModel.DEFAULT_EPOCHS ? "" : ", " + epochs + " epochs", chars ? ", char 4-grams" : "");
    int extra = complexity ? 7 : 0;
    return new Candidate(name, (train, trainVectors, held, heldVectors) -> {
      Map<String, Integer> types = new java.util.TreeMap<>();
      for (Exemplar e : train) {
        types.putIfAbsent(e.taskType(), types.size());
      }
      Map<Integer, Double> idf = new HashMap<>();
      if (buckets > 0) {
        Map<Integer, Integer> df = new HashMap<>();
        for (Exemplar e : train) {
          for (int b : gramsOf(e.text(), buckets, chars).keySet()) {
            df.merge(b, 1, Integer::sum);
          }
        }
        df.forEach((b, n) -> idf.put(b, Math.log((1.0 + train.size()) / (1.0 + n)) + 1));
      }
      java.util.function.BiFunction<Exemplar, float[], double[]> features = (e, v) -> {
        int width = v.length + types.size() + buckets + (shape ? LogisticTierModel.SHAPE_FEATURES : 0) + extra + 1;
        double[] x = new double[width];
        for (int i = 0; embedding && i < v.length; i++) {
          x[i] = v[i] * 10;
        }
        Integer t = types.get(e.taskType());
        if (t != null) {
          x[v.length + t] = 1;
        }
        int at = v.length + types.size();
        if (buckets > 0) {
          Map<Integer, Integer> g = gramsOf(e.text(), buckets, chars);
          double norm = 0;
          for (Map.Entry<Integer, Integer> en : g.entrySet()) {
            double w = (1 + Math.log(en.getValue())) * idf.getOrDefault(en.getKey(), 0.0);
            x[at + en.getKey()] = w;
            norm += w * w;
          }
          norm = Math.sqrt(norm);
          if (norm > 0) {
            for (int b : g.keySet()) {
              x[at + b] = 3 * x[at + b] / norm;
            }
          }
          at += buckets;
        }
        if (shape) {
          double[] measured = LogisticTierModel.shape(e.prompt());
          System.arraycopy(measured, 0, x, at, measured.length);
          at += measured.length;
        }
        if (complexity) {
          ComplexityEstimator.Score score = complexityOf(e);
          double[] c = {score.value(), score.size(), score.output(), score.files(), score.code(),
              score.integrations(), score.reasoning()};
          System.arraycopy(c, 0, x, at, c.length);
        }
        x[width - 1] = 1;
        return x;
      };
      List<double[]> xs = new ArrayList<>();
      for (int i = 0; i < train.size(); i++) {
        xs.add(features.apply(train.get(i), trainVectors.get(i)));
      }
      double[][] w = LogisticTierModel.fitHeads(xs, train.stream().map(Exemplar::tier).toList(), lambda, epochs);
      return i -> {
        double[] good = LogisticTierModel.goodEnough(w, features.apply(held.get(i), heldVectors.get(i)));
        return KnnTierModel.Prediction.of(good[0], good[1], "lexical");
      };
    });
  }

  /**
   * The shipped embedding model (kNN vote with the logistic prior) and the lexical model, their probabilities
   * averaged with the lexical model's at {@code weight}; with {@code chars}, the lexical model with character
   * 4-grams too (4,096 buckets, 2,000 steps: its best log-loss alone).
   */
  static Candidate ensemble(double weight, boolean chars) {
    Candidate embedding = knnWithPrior(KnnTierModel.DEFAULT_K, KnnTierModel.DEFAULT_TEMPERATURE,
        LogisticTierModel.DEFAULT_LAMBDA, 1);
    Candidate lexical = chars
        ? lexical(4096, io.modelrouter.router.learned.LexicalTierModel.LAMBDA, true, false, 2000, false, true)
        : lexical(2048, io.modelrouter.router.learned.LexicalTierModel.LAMBDA, true, false,
            io.modelrouter.router.learned.LexicalTierModel.EPOCHS);
    return new Candidate(String.format(Locale.ROOT, "ensemble: embedding model + lexical model%s at %.1f",
        chars ? " with char 4-grams" : "", weight),
        (train, trainVectors, held, heldVectors) -> {
          Function<Integer, KnnTierModel.Prediction> e = embedding.fit().fit(train, trainVectors, held, heldVectors);
          Function<Integer, KnnTierModel.Prediction> l = lexical.fit().fit(train, trainVectors, held, heldVectors);
          return i -> {
            KnnTierModel.Prediction a = e.apply(i);
            KnnTierModel.Prediction b = l.apply(i);
            return KnnTierModel.Prediction.of(
                (1 - weight) * a.goodEnough().get(Tier.FAST) + weight * b.goodEnough().get(Tier.FAST),
                (1 - weight) * a.goodEnough().get(Tier.MID) + weight * b.goodEnough().get(Tier.MID), "ensemble");
          };
        });
  }

  private static final ComplexityEstimator COMPLEXITY = new ComplexityEstimator();

  /** Word n-grams, and with {@code chars} also the lower-cased text's character 4-grams, hashed into the buckets. */
  static Map<Integer, Integer> gramsOf(String text, int buckets, boolean chars) {
    Map<Integer, Integer> g = new HashMap<>(grams(text, buckets));
    if (chars) {
      String lower = text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
      for (int i = 0; i + 4 <= lower.length(); i++) {
        g.merge(Math.floorMod(lower.substring(i, i + 4).hashCode() * 0x9E3779B1, buckets), 1, Integer::sum);
      }
    }
    return g;
  }

  /** The keyword complexity score of an exemplar as the router computes it (no maxTokens). */
  static ComplexityEstimator.Score complexityOf(Exemplar e) {
    io.modelrouter.schemas.prompt.PromptScan scan = new io.modelrouter.schemas.prompt.PromptScan();
    int tokens = scan.scan(e.system()) + scan.scan(e.prompt());
    return COMPLEXITY.score(RoutingQualityBenchmark.request(e, "auto"), tokens, 0);
  }

  /** Hashed word unigrams and bigrams of a text (the lexical model's). */
  static Map<Integer, Integer> grams(String text, int buckets) {
    return io.modelrouter.router.learned.LexicalTierModel.grams(text, buckets);
  }

  static Candidate knnWithPrior(int k, double temperature, double lambda, double weight) {
    return new Candidate(String.format(Locale.ROOT, "kNN k %d T %.2f + logistic %.2f weight %.1f", k, temperature,
        lambda, weight), (train, trainVectors, held, heldVectors) -> predictor(KnnTierModel.fit(train, trainVectors,
            k, temperature, "knn").withPrior(LogisticTierModel.fit(train, trainVectors, lambda,
                LogisticTierModel.DEFAULT_EPOCHS), weight, "cv"), held, heldVectors));
  }
}
