package io.modelrouter.router.learned;

import io.modelrouter.avro.LearnedExemplar;
import io.modelrouter.avro.LearnedTier;
import io.modelrouter.avro.RouterModel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * How learned exemplars travel on {@code llm.router.models}: each embedding as 384 signed bytes (every component of
 * the unit vector times 127, rounded), a quarter of its size as floats, so that a team's 500 exemplars fit in one
 * record well under a megabyte. Cosine similarities computed from the decoded vectors differ from the originals'
 * by about 0.002 on average and under 0.01 at worst (measured in {@code LearnedPointsTest}), small against the
 * gaps the kNN vote depends on (a 0.01 change in similarity changes a neighbour's weight by about 20%).
 */
public final class LearnedPoints {
  /** Judgements one learned exemplar merges at most (its weight in the vote). */
  public static final int MAX_COUNT = 20;
  private LearnedPoints() {}

  public static ByteBuffer quantize(float[] unit) {
    byte[] out = new byte[unit.length];
    for (int i = 0; i < unit.length; i++) {
      out[i] = (byte) Math.max(-127, Math.min(127, Math.round(unit[i] * 127f)));
    }
    return ByteBuffer.wrap(out);
  }

  /** The unit vector of quantized components (renormalized, so similarities stay cosines). */
  public static float[] dequantize(ByteBuffer bytes) {
    ByteBuffer view = bytes.duplicate();
    float[] out = new float[view.remaining()];
    for (int i = 0; i < out.length; i++) {
      out[i] = view.get() / 127f;
    }
    return MiniLmEmbedder.normalized(out);
  }

  public static Tier tier(LearnedTier tier) {
    return Tier.values()[tier.ordinal()];
  }

  public static LearnedTier learned(Tier tier) {
    return LearnedTier.values()[tier.ordinal()];
  }

  /** The model's exemplars as kNN points; an exemplar whose embedding is not 384 bytes is left out. */
  public static List<KnnTierModel.Point> of(RouterModel model, int dimensions) {
    List<KnnTierModel.Point> points = new ArrayList<>(model.getExemplars().size());
    for (LearnedExemplar e : model.getExemplars()) {
      if (e.getEmbedding() == null || e.getEmbedding().remaining() != dimensions
          || e.getAtLeast().ordinal() > e.getAtMost().ordinal()) {
        continue;
      }
      points.add(new KnnTierModel.Point(e.getId(), tier(e.getAtLeast()), tier(e.getAtMost()),
          dequantize(e.getEmbedding()), Math.max(1, Math.min(MAX_COUNT, e.getCount()))));
    }
    return points;
  }
}
