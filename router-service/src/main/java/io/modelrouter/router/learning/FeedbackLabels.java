package io.modelrouter.router.learning;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.router.learned.Tier;

/**
 * What one judgement says about the tier a request needed, as an interval of tiers (see
 * {@link io.modelrouter.router.learned.KnnTierModel}). Pure.
 *
 * <ul>
 *   <li>A judge that names the profile the request needed ({@code neededProfile} fast, primary or frontier) gives an
 *       exact label.
 *   <li>Otherwise the score speaks about the tier the request was answered on: 0.5 or more says that tier was good
 *       enough (the cheapest one is at most it); less says it was not (at least the next one). A bad answer on the
 *       top tier says nothing cheaper would do.
 *   <li>{@link FeedbackSource#IMPLICIT} feedback that names no profile (a failed or fallback result) is about a
 *       provider's availability, not about the request's difficulty: it is not learned from.
 * </ul>
 */
public final class FeedbackLabels {
  /** A score at or above this says the answer was good enough. */
  public static final double GOOD_ENOUGH = 0.5;

  private FeedbackLabels() {}

  /** An interval of tiers, or why nothing is learned. */
  public record Label(Tier atLeast, Tier atMost, String skipped) {
    static Label of(Tier atLeast, Tier atMost) {
      return new Label(atLeast, atMost, null);
    }

    static Label skip(String why) {
      return new Label(null, null, why);
    }

    public boolean learned() {
      return skipped == null;
    }
  }

  /**
   * @param routedProfile the profile the request was routed to
   */
  public static Label of(FeedbackEvent feedback, String routedProfile) {
    if (feedback.getNeededProfile() != null) {
      Tier needed = Tier.ofProfile(feedback.getNeededProfile());
      if (needed == null) {
        return Label.skip("neededProfile " + feedback.getNeededProfile() + " is not one of fast, primary, frontier");
      }
      return Label.of(needed, needed);
    }
    if (feedback.getSource() == FeedbackSource.IMPLICIT) {
      return Label.skip("implicit feedback without a needed profile is about availability, not difficulty");
    }
    Tier routed = Tier.ofProfile(routedProfile);
    if (routed == null) {
      return Label.skip("the request was routed to " + routedProfile + ", which is not one of fast, primary, frontier");
    }
    if (feedback.getScore() >= GOOD_ENOUGH) {
      return routed == Tier.FRONTIER ? Label.skip("a good answer on frontier says nothing of the cheaper tiers")
          : Label.of(Tier.FAST, routed);
    }
    return routed == Tier.FRONTIER ? Label.of(Tier.FRONTIER, Tier.FRONTIER)
        : Label.of(Tier.values()[routed.ordinal() + 1], Tier.FRONTIER);
  }
}
