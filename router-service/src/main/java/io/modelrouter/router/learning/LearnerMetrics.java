package io.modelrouter.router.learning;

/** What the learner counts; never changes what it learns. */
public interface LearnerMetrics {
  LearnerMetrics NONE = new LearnerMetrics() {
    @Override
    public void feedback(String outcome) {}

    @Override
    public void published(String team, long version, int exemplars) {}
  };

  /** One feedback event: learned, skipped (nothing to learn), unmatched (no decision held), dead_letter. */
  void feedback(String outcome);

  /** A team's new model version. */
  void published(String team, long version, int exemplars);
}
