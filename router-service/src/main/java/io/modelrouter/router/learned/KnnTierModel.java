package io.modelrouter.router.learned;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * k-nearest-neighbours over labelled exemplars: for a request, the probability that each tier is good enough, from
 * the labels of the most similar exemplars (cosine similarity of unit vectors), each weighted by
 * {@code exp((similarity - 1) / temperature)} so that a close neighbour counts far more than a distant one. A tier
 * is good enough for an exemplar labelled with it or a cheaper one, so the probabilities rise with the tier and the
 * top tier's is 1. Immutable and thread-safe.
 */
public final class KnnTierModel {
  /** Neighbours consulted by default. */
  public static final int DEFAULT_K = 9;
  /** Weight falloff by default: a neighbour 0.1 less similar than another counts about 7 times less. */
  public static final double DEFAULT_TEMPERATURE = 0.05;

  private final List<Exemplar> exemplars;
  private final float[][] vectors;
  private final int k;
  private final double temperature;
  private final String version;

  private KnnTierModel(List<Exemplar> exemplars, float[][] vectors, int k, double temperature, String version) {
    this.exemplars = exemplars;
    this.vectors = vectors;
    this.k = k;
    this.temperature = temperature;
    this.version = version;
  }

  /** Embeds every exemplar once. */
  public static KnnTierModel fit(List<Exemplar> exemplars, PromptEmbedder embedder, int k, double temperature,
      String version) {
    if (exemplars.isEmpty()) {
      throw new IllegalArgumentException("a kNN model needs at least one exemplar");
    }
    if (k < 1 || !(temperature > 0)) {
      throw new IllegalArgumentException("k must be at least 1 and the temperature positive, got " + k + " and "
          + temperature);
    }
    float[][] vectors = new float[exemplars.size()][];
    for (int i = 0; i < vectors.length; i++) {
      vectors[i] = embedder.embed(exemplars.get(i).text());
    }
    return new KnnTierModel(List.copyOf(exemplars), vectors, k, temperature, Objects.requireNonNull(version));
  }

  /** One neighbour: the exemplar, its similarity and its weight in the vote. */
  public record Neighbour(Exemplar exemplar, double similarity, double weight) {}

  /**
   * What the model says of one request: for each tier the probability that it is good enough, and the neighbours
   * it voted with, nearest first.
   */
  public record Prediction(Map<Tier, Double> goodEnough, List<Neighbour> neighbours, String version) {
    /** The cheapest tier whose probability reaches {@code qualityTarget} (the top tier always does). */
    public Tier cheapest(double qualityTarget) {
      for (Tier tier : Tier.values()) {
        if (goodEnough.get(tier) >= qualityTarget) {
          return tier;
        }
      }
      return Tier.FRONTIER;
    }
  }

  public Prediction predict(float[] query) {
    int n = vectors.length;
    Integer[] order = new Integer[n];
    double[] similarity = new double[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
      similarity[i] = dot(query, vectors[i]);
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> -similarity[i]));
    List<Neighbour> neighbours = new ArrayList<>(Math.min(k, n));
    double[] byTier = new double[Tier.values().length];
    double total = 0;
    for (int r = 0; r < Math.min(k, n); r++) {
      int i = order[r];
      double weight = Math.exp((similarity[i] - 1) / temperature);
      neighbours.add(new Neighbour(exemplars.get(i), similarity[i], weight));
      byTier[exemplars.get(i).tier().ordinal()] += weight;
      total += weight;
    }
    Map<Tier, Double> goodEnough = new EnumMap<>(Tier.class);
    double cumulative = 0;
    for (Tier tier : Tier.values()) {
      cumulative += byTier[tier.ordinal()];
      goodEnough.put(tier, tier == Tier.FRONTIER ? 1.0 : cumulative / total);
    }
    return new Prediction(goodEnough, List.copyOf(neighbours), version);
  }

  public int size() {
    return exemplars.size();
  }

  public String version() {
    return version;
  }

  private static double dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " dimensions");
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }
}
