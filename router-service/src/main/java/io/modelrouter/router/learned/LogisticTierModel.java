package io.modelrouter.router.learned;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ordinal logistic regression over sentence embeddings, the task type and the prompt's shape: two logistic heads,
 * the probability that a request needs more than fast and that it needs more than mid, on the features {@code [10 ×
 * embedding, one-hot task type, shape, 1]} ({@link #shape}). Trained in Java by full-batch gradient descent with L2
 * regularization (deterministic: no sampling), in about a second on the shipped exemplars. Immutable and
 * thread-safe.
 *
 * <p>Chosen by 5-fold cross-validation on the training split only ({@code bench/run RoutingModelSelection},
 * 2026-12-07, 437 exemplars; the test split is not read there): right tier at target 0.5 / log-loss, kNN vote alone
 * 65.7% / 1.017, this model without the shape 70.3% / 0.789, with it 70.5% / 0.715; L2 weight 0.03 / 0.1 / 0.3:
 * log-loss 0.747 / 0.715 / 0.793, hence {@link #DEFAULT_LAMBDA}. Hashed word n-grams on top measured 71.2% / 0.707,
 * not enough to carry a vocabulary in the model.
 */
public final class LogisticTierModel {
  public static final double DEFAULT_LAMBDA = 0.1;
  public static final int DEFAULT_EPOCHS = 300;
  private static final double LEARNING_RATE = 0.5;
  private static final double SCALE = 10;

  private final Map<String, Integer> taskTypes;
  private final int dimensions;
  private final double[][] weights;

  private LogisticTierModel(Map<String, Integer> taskTypes, int dimensions, double[][] weights) {
    this.taskTypes = taskTypes;
    this.dimensions = dimensions;
    this.weights = weights;
  }

  /** Fits the two heads on the exemplars and their embeddings (same order). */
  public static LogisticTierModel fit(List<Exemplar> exemplars, List<float[]> vectors, double lambda, int epochs) {
    if (exemplars.isEmpty() || exemplars.size() != vectors.size()) {
      throw new IllegalArgumentException("needs one vector per exemplar, and at least one exemplar");
    }
    Map<String, Integer> types = new TreeMap<>();
    for (Exemplar e : exemplars) {
      types.putIfAbsent(e.taskType().toLowerCase(Locale.ROOT), 0);
    }
    int index = 0;
    for (Map.Entry<String, Integer> entry : types.entrySet()) {
      entry.setValue(index++);
    }
    int dimensions = vectors.getFirst().length;
    LogisticTierModel empty = new LogisticTierModel(types, dimensions,
        new double[2][dimensions + types.size() + SHAPE_FEATURES + 1]);
    List<double[]> features = new ArrayList<>(exemplars.size());
    for (int i = 0; i < exemplars.size(); i++) {
      Exemplar exemplar = exemplars.get(i);
      features.add(empty.features(vectors.get(i), exemplar.taskType(), exemplar.prompt()));
    }
    List<Tier> labels = exemplars.stream().map(Exemplar::tier).toList();
    double[][] w = fitHeads(features, labels, lambda, epochs);
    return new LogisticTierModel(types, dimensions, w);
  }

  /**
   * The two heads' weights over any features (one row per exemplar, the same width, the constant 1 included):
   * full-batch gradient descent on the logistic loss of "needs more than fast" and "needs more than mid", L2
   * weight {@code lambda}.
   */
  public static double[][] fitHeads(List<double[]> features, List<Tier> labels, double lambda, int epochs) {
    int width = features.getFirst().length;
    // each row's non-zero features, in order: the lexical model's rows are mostly zeros (a few dozen of 2,048
    // n-gram buckets), and skipping them sums the same terms in the same order, so the weights are the same
    int[][] at = new int[features.size()][];
    double[][] value = new double[features.size()][];
    for (int i = 0; i < features.size(); i++) {
      double[] x = features.get(i);
      int n = 0;
      for (double v : x) {
        n += v != 0 ? 1 : 0;
      }
      at[i] = new int[n];
      value[i] = new double[n];
      for (int j = 0, k = 0; j < x.length; j++) {
        if (x[j] != 0) {
          at[i][k] = j;
          value[i][k++] = x[j];
        }
      }
    }
    double[][] w = new double[2][width];
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int head = 0; head < 2; head++) {
        double[] gradient = new double[width];
        double[] weights = w[head];
        for (int i = 0; i < at.length; i++) {
          int[] index = at[i];
          double[] x = value[i];
          double z = 0;
          for (int k = 0; k < index.length; k++) {
            z += weights[index[k]] * x[k];
          }
          double error = sigmoid(z) - (labels.get(i).ordinal() > head ? 1 : 0);
          for (int k = 0; k < index.length; k++) {
            gradient[index[k]] += error * x[k];
          }
        }
        for (int j = 0; j < width; j++) {
          w[head][j] -= LEARNING_RATE * (gradient[j] / features.size() + lambda * w[head][j]);
        }
      }
    }
    return w;
  }

  /** The probability that fast, and that mid, is good enough, from the heads' weights and a request's features. */
  public static double[] goodEnough(double[][] heads, double[] x) {
    return goodEnough(dot(heads[0], x), dot(heads[1], x));
  }

  /** The same from the two heads' sums: "needs more than fast" and "needs more than mid"; mid's never below fast's. */
  static double[] goodEnough(double moreThanFast, double moreThanMid) {
    double fast = 1 - sigmoid(moreThanFast);
    double mid = Math.max(fast, 1 - sigmoid(moreThanMid));
    return new double[] {fast, mid};
  }

  /**
   * The probability that fast, and that mid, is good enough for a request with this embedding, task type (an
   * unknown task type has no one-hot feature) and prompt (its shape, see {@link #shape}; null reads as empty); mid's
   * is never below fast's.
   */
  public double[] goodEnough(float[] vector, String taskType, String prompt) {
    return goodEnough(weights, features(vector, taskType, prompt));
  }

  private double[] features(float[] vector, String taskType, String prompt) {
    if (vector.length != dimensions) {
      throw new IllegalArgumentException("vectors of " + vector.length + " dimensions, the model has " + dimensions);
    }
    double[] x = new double[dimensions + taskTypes.size() + SHAPE_FEATURES + 1];
    for (int i = 0; i < dimensions; i++) {
      x[i] = vector[i] * SCALE;
    }
    Integer type = taskType == null ? null : taskTypes.get(taskType.toLowerCase(Locale.ROOT));
    if (type != null) {
      x[dimensions + type] = 1;
    }
    System.arraycopy(shape(prompt), 0, x, dimensions + taskTypes.size(), SHAPE_FEATURES);
    x[x.length - 1] = 1;
    return x;
  }

  /** How many numbers {@link #shape} gives. */
  public static final int SHAPE_FEATURES = 5;

  /**
   * What the embedding of a prompt's first 600 characters does not see, each scaled to about [0, 2]: its length and
   * line count (logarithmic), the share of characters that are not letters (code, logs, tables), the share that are
   * not ASCII (another script) and the number of question marks (logarithmic).
   */
  public static double[] shape(String prompt) {
    String text = prompt == null ? "" : prompt;
    int lines = 0;
    int letters = 0;
    int ascii = 0;
    int questions = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 128) {
        ascii++;
        int folded = c | 0x20;
        letters += folded >= 'a' && folded <= 'z' ? 1 : 0;
        lines += c == '\n' ? 1 : 0;
        questions += c == '?' ? 1 : 0;
      } else {
        letters += Character.isLetter(c) ? 1 : 0;
      }
    }
    double length = text.length();
    return new double[] {Math.log1p(length) / 4, Math.log1p(lines) / 2, length == 0 ? 0 : 1 - letters / length,
        length == 0 ? 0 : 1 - ascii / length, Math.log1p(questions)};
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static double dot(double[] w, double[] x) {
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      sum += w[i] * x[i];
    }
    return sum;
  }
}
