package io.modelrouter.router.internal;

/**
 * Reduces a decision's human-readable reason ("routing table: implementation → primary; budget RESTRICT: primary →
 * fast") to a label with few values, fit for a metric tag: the kind of the last step that chose or changed the
 * profile. Steps that only annotate (a NOTIFY, "never demoted", a capped maxTokens) do not count.
 *
 * <p>Labels: {@code pin}, {@code table}, {@code default} (task type not in the table), {@code complexity} (a
 * complexity band), {@code promoted}, {@code demoted}, {@code tier}, {@code restrict}, {@code context} (moved to a
 * larger context window), {@code other}.
 */
public final class ReasonKind {
  private ReasonKind() {}

  public static String of(String reason) {
    if (reason == null || reason.isEmpty()) {
      return "other";
    }
    String kind = "other";
    for (String step : reason.split("; ")) {
      String k = step(step);
      if (k != null) {
        kind = k;
      }
    }
    return kind;
  }

  private static String step(String step) {
    if (step.startsWith("pinned ")) {
      return "pin";
    }
    if (step.startsWith("routing table: ")) {
      return "table";
    }
    if (step.startsWith("task type ") && step.contains("not in the routing table")) {
      return "default";
    }
    if (step.startsWith("complexity ")) {
      if (step.contains(": promoted ")) {
        return "promoted";
      }
      if (step.contains(": demoted ")) {
        return "demoted";
      }
      if (step.contains("never demoted")) {
        return null;
      }
      return "complexity";
    }
    if (step.startsWith("tier ")) {
      return "tier";
    }
    if (step.startsWith("budget RESTRICT")) {
      return "restrict";
    }
    if (step.startsWith("prompt ~")) {
      return "context";
    }
    return null;
  }
}
