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
    // Every request is counted, so the steps are walked in place rather than split (no regex, no arrays).
    String kind = "other";
    int start = 0;
    while (start <= reason.length()) {
      int end = reason.indexOf("; ", start);
      if (end < 0) {
        end = reason.length();
      }
      String k = step(reason, start, end);
      if (k != null) {
        kind = k;
      }
      start = end + 2;
    }
    return kind;
  }

  /** The kind of the step {@code reason[start, end)}, or null for a step that only annotates. */
  private static String step(String reason, int start, int end) {
    if (reason.startsWith("pinned ", start)) {
      return "pin";
    }
    if (reason.startsWith("routing table: ", start)) {
      return "table";
    }
    if (reason.startsWith("task type ", start) && contains(reason, start, end, "not in the routing table")) {
      return "default";
    }
    if (reason.startsWith("complexity ", start)) {
      if (contains(reason, start, end, ": promoted ")) {
        return "promoted";
      }
      if (contains(reason, start, end, ": demoted ")) {
        return "demoted";
      }
      if (contains(reason, start, end, "never demoted")) {
        return null;
      }
      return "complexity";
    }
    if (reason.startsWith("tier ", start)) {
      return "tier";
    }
    if (reason.startsWith("budget RESTRICT", start)) {
      return "restrict";
    }
    if (reason.startsWith("prompt ~", start)) {
      return "context";
    }
    return null;
  }

  private static boolean contains(String reason, int start, int end, String part) {
    int at = reason.indexOf(part, start);
    return at >= 0 && at + part.length() <= end;
  }
}
