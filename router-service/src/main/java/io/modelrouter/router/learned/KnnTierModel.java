package io.modelrouter.router.learned;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * k-nearest-neighbours over labelled points: for a request, the probability that each tier is good enough, from
 * the labels of the most similar points (cosine similarity of unit vectors), each weighted by
 * {@code exp((similarity - 1) / temperature)} so that a close neighbour counts far more than a distant one.
 *
 * <p>A label is an interval of tiers: the cheapest tier that serves the request is somewhere from {@code atLeast} to
 * {@code atMost}. A shipped exemplar is exact ({@code atLeast == atMost}); what feedback teaches is often not: a
 * request answered well on primary says primary is good enough, not whether fast would have been ({@code fast..
 * primary}); one answered badly on fast says fast is not ({@code primary..frontier}). A point votes "good enough"
 * for tier t when {@code atMost <= t}, "not good enough" when {@code atLeast > t}, and abstains otherwise; the
 * probability of t is its weighted share of yes among the votes cast. A tier no neighbour votes on takes the
 * probability of the tier below it (0 for the cheapest), and probabilities never fall as the tier rises (a tier
 * good enough for a request makes every dearer one good enough too). The top tier's is 1. Immutable, thread-safe.
 */
public final class KnnTierModel {
  /** Neighbours consulted by default. */
  public static final int DEFAULT_K = 9;
  /** Weight falloff by default: a neighbour 0.1 less similar than another counts about 7 times less. */
  public static final double DEFAULT_TEMPERATURE = 0.05;

  /** A labelled vector: an exemplar, or what a team's feedback taught. */
  public record Point(String id, Tier atLeast, Tier atMost, float[] vector, int count) {
    public Point(String id, Tier atLeast, Tier atMost, float[] vector) {
      this(id, atLeast, atMost, vector, 1);
    }

    public Point {
      if (count < 1) {
        throw new IllegalArgumentException(id + ": count must be at least 1, got " + count);
      }
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(vector, "vector");
      if (atLeast.ordinal() > atMost.ordinal()) {
        throw new IllegalArgumentException(id + ": atLeast " + atLeast + " is above atMost " + atMost);
      }
    }

    /** {@code fast}, {@code mid}, {@code frontier} for an exact label, else {@code fast..mid} and the like. */
    public String label() {
      String low = atLeast.name().toLowerCase(Locale.ROOT);
      return atLeast == atMost ? low : low + ".." + atMost.name().toLowerCase(Locale.ROOT);
    }
  }

  private final Point[] points;
  private final int k;
  private final double temperature;
  private final String version;
  private final LogisticTierModel prior;
  private final double priorWeight;

  private KnnTierModel(Point[] points, int k, double temperature, String version) {
    this(points, k, temperature, version, null, 0);
  }

  private KnnTierModel(Point[] points, int k, double temperature, String version, LogisticTierModel prior,
      double priorWeight) {
    if (points.length == 0) {
      throw new IllegalArgumentException("a kNN model needs at least one exemplar");
    }
    if (k < 1 || !(temperature > 0)) {
      throw new IllegalArgumentException("k must be at least 1 and the temperature positive, got " + k + " and "
          + temperature);
    }
    this.points = points;
    this.k = k;
    this.temperature = temperature;
    this.version = Objects.requireNonNull(version);
    this.prior = prior;
    this.priorWeight = priorWeight;
  }

  /** Embeds every exemplar once; each is an exact label. */
  public static KnnTierModel fit(List<Exemplar> exemplars, PromptEmbedder embedder, int k, double temperature,
      String version) {
    List<float[]> vectors = new ArrayList<>(exemplars.size());
    for (Exemplar e : exemplars) {
      vectors.add(embedder.embed(e.text()));
    }
    return fit(exemplars, vectors, k, temperature, version);
  }

  /** Over exemplars already embedded ({@code vectors} in the same order); each is an exact label. */
  public static KnnTierModel fit(List<Exemplar> exemplars, List<float[]> vectors, int k, double temperature,
      String version) {
    Point[] points = new Point[exemplars.size()];
    for (int i = 0; i < points.length; i++) {
      Exemplar e = exemplars.get(i);
      points[i] = new Point(e.id(), e.tier(), e.tier(), vectors.get(i));
    }
    return new KnnTierModel(points, k, temperature, version);
  }

  /** This model's points and {@code learned} ones together, under another version; embeds nothing. */
  public KnnTierModel with(List<Point> learned, String version) {
    Point[] all = Arrays.copyOf(points, points.length + learned.size());
    for (int i = 0; i < learned.size(); i++) {
      all[points.length + i] = learned.get(i);
    }
    return new KnnTierModel(all, k, temperature, version, prior, priorWeight);
  }

  /**
   * This model with a prior: the logistic model's probabilities join the vote as one more voter of weight
   * {@code weight} (a neighbour of similarity 1 weighs 1), so close neighbours (a team's learned exemplars of the
   * same kind of request) overrule it and distant ones barely move it.
   */
  public KnnTierModel withPrior(LogisticTierModel logistic, double weight, String version) {
    return new KnnTierModel(points, k, temperature, version, Objects.requireNonNull(logistic), weight);
  }

  /** One neighbour: the point, its similarity and its weight in the vote. */
  public record Neighbour(Point point, double similarity, double weight) {
    public String id() {
      return point.id();
    }
  }

  /**
   * What the model says of one request: for each tier the probability that it is good enough, and the neighbours
   * it voted with, nearest first.
   */
  public record Prediction(Map<Tier, Double> goodEnough, List<Neighbour> neighbours, String version) {
    /** A model's prediction without neighbours: fast's and mid's probabilities, frontier always good enough. */
    public static Prediction of(double fast, double mid, String version) {
      Map<Tier, Double> p = new java.util.EnumMap<>(Tier.class);
      p.put(Tier.FAST, fast);
      p.put(Tier.MID, mid);
      p.put(Tier.FRONTIER, 1.0);
      return new Prediction(p, List.of(), version);
    }

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
    return predict(query, null, null);
  }

  /** With the request's task type and prompt, which only the prior reads. */
  public Prediction predict(float[] query, String taskType, String prompt) {
    List<Neighbour> neighbours = nearest(points.length, k, i -> dot(query, points[i].vector()), i -> points[i],
        temperature);
    double[] p = prior == null ? null : prior.goodEnough(query, taskType, prompt);
    return new Prediction(vote(neighbours, p, priorWeight), List.copyOf(neighbours), version);
  }

  /**
   * The {@code k} most similar of {@code n} points, most similar first, by a partial selection (k is small and n a
   * few hundred to a few thousand), each weighted {@code count × exp((similarity - 1) / temperature)}: a point that
   * merges n judgements of the same text votes n times.
   */
  static List<Neighbour> nearest(int n, int k, java.util.function.IntToDoubleFunction similarity,
      java.util.function.IntFunction<Point> point, double temperature) {
    int take = Math.min(k, n);
    int[] best = new int[take];
    double[] bestSimilarity = new double[take];
    Arrays.fill(bestSimilarity, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < n; i++) {
      double s = similarity.applyAsDouble(i);
      if (s > bestSimilarity[take - 1]) {
        int at = take - 1;
        while (at > 0 && s > bestSimilarity[at - 1]) {
          bestSimilarity[at] = bestSimilarity[at - 1];
          best[at] = best[at - 1];
          at--;
        }
        bestSimilarity[at] = s;
        best[at] = i;
      }
    }
    List<Neighbour> neighbours = new ArrayList<>(take);
    for (int r = 0; r < take; r++) {
      Point p = point.apply(best[r]);
      neighbours.add(new Neighbour(p, bestSimilarity[r], p.count() * Math.exp((bestSimilarity[r] - 1) / temperature)));
    }
    return neighbours;
  }

  /**
   * The neighbours' weighted vote, with a prior's probabilities (fast, mid, frontier; or null) as one more voter of
   * weight {@code priorWeight}: for each tier the share of yes, never falling as the tier rises, frontier's 1.
   */
  static Map<Tier, Double> vote(List<Neighbour> neighbours, double[] prior, double priorWeight) {
    Tier[] tiers = Tier.values();
    double[] yes = new double[tiers.length];
    double[] no = new double[tiers.length];
    for (Neighbour neighbour : neighbours) {
      Point point = neighbour.point();
      double weight = neighbour.weight();
      for (Tier tier : tiers) {
        if (point.atMost().ordinal() <= tier.ordinal()) {
          yes[tier.ordinal()] += weight;
        } else if (point.atLeast().ordinal() > tier.ordinal()) {
          no[tier.ordinal()] += weight;
        }
      }
    }
    if (prior != null) {
      for (int t = 0; t < prior.length; t++) {
        yes[t] += priorWeight * prior[t];
        no[t] += priorWeight * (1 - prior[t]);
      }
    }
    Map<Tier, Double> goodEnough = new EnumMap<>(Tier.class);
    double below = 0;
    for (Tier tier : tiers) {
      double votes = yes[tier.ordinal()] + no[tier.ordinal()];
      double p = tier == Tier.FRONTIER ? 1.0 : Math.max(below, votes > 0 ? yes[tier.ordinal()] / votes : below);
      goodEnough.put(tier, p);
      below = p;
    }
    return goodEnough;
  }

  public int size() {
    return points.length;
  }

  public String version() {
    return version;
  }

  /** The length of the vectors. */
  public int dimensions() {
    return points[0].vector().length;
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
