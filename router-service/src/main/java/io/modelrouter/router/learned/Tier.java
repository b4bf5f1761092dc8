package io.modelrouter.router.learned;

import java.util.Locale;

/**
 * The capability a request needs, cheapest first: what exemplars are labelled with and what the learned model
 * predicts. Each tier is served by a profile of the routing policy (the shipped one: fast, primary, frontier).
 */
public enum Tier {
  FAST("fast"),
  MID("primary"),
  FRONTIER("frontier");

  private final String profile;

  Tier(String profile) {
    this.profile = profile;
  }

  /** The shipped policy's profile for this tier. */
  public String profile() {
    return profile;
  }

  /** {@code fast}, {@code mid} or {@code frontier}, as exemplars write it. */
  public static Tier parse(String label) {
    return switch (label == null ? "" : label.trim().toLowerCase(Locale.ROOT)) {
      case "fast" -> FAST;
      case "mid" -> MID;
      case "frontier" -> FRONTIER;
      default -> throw new IllegalArgumentException("a tier is fast, mid or frontier, got '" + label + "'");
    };
  }

  /** The tier of a shipped profile name (fast, primary, frontier), or null for another profile. */
  public static Tier ofProfile(String profile) {
    for (Tier tier : values()) {
      if (tier.profile.equals(profile)) {
        return tier;
      }
    }
    return null;
  }
}
