package io.modelrouter.router.learned;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ordinal logistic regression over sentence embeddings and the task type: two logistic heads, the probability that a
 * request needs more than fast and that it needs more than mid, on the features {@code [10 × embedding, one-hot task
 * type, 1]}. Trained in Java by full-batch gradient descent with L2 regularization (deterministic: no sampling), in
 * about a second on the shipped exemplars. Immutable and thread-safe.
 *
 * <p>Why it exists beside the kNN vote: on the held-out split it sends 124 of 153 prompts to the tier they need at a
 * quality target of 0.5, against 102 for the kNN vote alone (RoutingQualityBenchmark, 2026-12-06). The L2 weight
 * {@link #DEFAULT_LAMBDA} was chosen by 5-fold cross-validated log-loss on the training split only (0.001: 1.18,
 * 0.003: 1.12, 0.01: 0.98, 0.03: 0.84, 0.1: 0.80); the test split was not used to choose it.
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
    LogisticTierModel shape = new LogisticTierModel(types, dimensions, new double[2][dimensions + types.size() + 1]);
    List<double[]> features = new ArrayList<>(exemplars.size());
    for (int i = 0; i < exemplars.size(); i++) {
      features.add(shape.features(vectors.get(i), exemplars.get(i).taskType()));
    }
    int width = shape.weights[0].length;
    double[][] w = new double[2][width];
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int head = 0; head < 2; head++) {
        double[] gradient = new double[width];
        for (int i = 0; i < features.size(); i++) {
          double[] x = features.get(i);
          double p = sigmoid(dot(w[head], x));
          double label = exemplars.get(i).tier().ordinal() > head ? 1 : 0;
          for (int j = 0; j < width; j++) {
            gradient[j] += (p - label) * x[j];
          }
        }
        for (int j = 0; j < width; j++) {
          w[head][j] -= LEARNING_RATE * (gradient[j] / features.size() + lambda * w[head][j]);
        }
      }
    }
    return new LogisticTierModel(types, dimensions, w);
  }

  /**
   * The probability that fast, and that mid, is good enough for a request with this embedding and task type (an
   * unknown task type has no one-hot feature); mid's is never below fast's.
   */
  public double[] goodEnough(float[] vector, String taskType) {
    double[] x = features(vector, taskType);
    double fast = 1 - sigmoid(dot(weights[0], x));
    double mid = Math.max(fast, 1 - sigmoid(dot(weights[1], x)));
    return new double[] {fast, mid};
  }

  private double[] features(float[] vector, String taskType) {
    if (vector.length != dimensions) {
      throw new IllegalArgumentException("vectors of " + vector.length + " dimensions, the model has " + dimensions);
    }
    double[] x = new double[dimensions + taskTypes.size() + 1];
    for (int i = 0; i < dimensions; i++) {
      x[i] = vector[i] * SCALE;
    }
    Integer type = taskType == null ? null : taskTypes.get(taskType.toLowerCase(Locale.ROOT));
    if (type != null) {
      x[dimensions + type] = 1;
    }
    x[x.length - 1] = 1;
    return x;
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
