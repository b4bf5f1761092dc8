package io.modelrouter.router.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * The steps of one decision, in order. {@link #text()} renders the reason string that goes into the decision (steps
 * joined by {@code "; "}); {@link #kind()} is the kind of the last step that chose or changed the profile, or
 * {@code null} when no step did. Not thread-safe; one per decision.
 */
public final class RoutingSteps {
  static final String SEPARATOR = "; ";

  private final List<RoutingStep> steps = new ArrayList<>(4);

  /** Records a step. */
  public RoutingSteps add(RoutingStep.Kind kind, String text) {
    steps.add(new RoutingStep(kind, text));
    return this;
  }

  /** Records a step that annotates the decision without changing the choice. */
  public RoutingSteps note(String text) {
    return add(RoutingStep.Kind.NOTE, text);
  }

  public List<RoutingStep> steps() {
    return List.copyOf(steps);
  }

  /** The kind of the last step that chose or changed the profile; null when there is none. */
  public RoutingStep.Kind kind() {
    for (int i = steps.size() - 1; i >= 0; i--) {
      RoutingStep.Kind kind = steps.get(i).kind();
      if (kind.chooses()) {
        return kind;
      }
    }
    return null;
  }

  /** The human-readable reason: every step's text, in order, joined by {@code "; "}. */
  public String text() {
    if (steps.size() == 1) {
      return steps.get(0).text();
    }
    StringBuilder text = new StringBuilder(96);
    for (RoutingStep step : steps) {
      if (!text.isEmpty()) {
        text.append(SEPARATOR);
      }
      text.append(step.text());
    }
    return text.toString();
  }

  @Override
  public String toString() {
    return text();
  }
}
