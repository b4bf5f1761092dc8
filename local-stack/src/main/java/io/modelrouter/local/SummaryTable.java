package io.modelrouter.local;

import io.modelrouter.avro.ResultStatus;
import io.modelrouter.schemas.Pricing;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The console summary's text: a header, the results by status, a table of routes, the cost against the all-frontier
 * baseline and a table of teams, in fixed-width columns without control codes, so that it reads the same in any
 * terminal and in a log file.
 */
final class SummaryTable {
  static final int MAX_ROUTES = 10;
  static final int MAX_TEAMS = 12;
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);

  private SummaryTable() {}

  /** Pure: the same snapshot, instant and zone give the same text. */
  static String render(ConsoleSummary.Snapshot s, Instant now, ZoneId zone) {
    StringBuilder b = new StringBuilder(1024);
    b.append(String.format(Locale.ROOT, "%n== model-router · %s · %s since start · %,d results ==%n",
        TIME.withZone(zone).format(now), duration(Duration.between(s.since(), now)), s.results()));
    b.append("status   ");
    for (ResultStatus status : ResultStatus.values()) {
      b.append(String.format(Locale.ROOT, "  %s %,d", status.name(), s.count(status)));
    }
    b.append(System.lineSeparator());

    b.append(String.format(Locale.ROOT, "%-10s %-26s %9s %12s%n", "profile", "model", "requests", "cost"));
    s.routes().stream().limit(MAX_ROUTES).forEach(r -> b.append(String.format(Locale.ROOT,
        "%-10s %-26s %,9d %12s%n", cut(r.profile(), 10), cut(r.model(), 26), r.requests(),
        Pricing.dollars(r.costMicros()))));
    if (s.routes().size() > MAX_ROUTES) {
      b.append(String.format(Locale.ROOT, "... and %d more routes%n", s.routes().size() - MAX_ROUTES));
    }

    b.append(String.format(Locale.ROOT, "cost      %s spent", Pricing.dollars(s.costMicros())));
    if (s.frontierModel() != null) {
      b.append(String.format(Locale.ROOT, " · %s all on %s", Pricing.dollars(s.frontierCostMicros()),
          s.frontierModel()));
    }
    OptionalDouble saved = s.savedPercent();
    if (saved.isEmpty()) {
      b.append(" · routing saved: n/a yet");
    } else if (saved.getAsDouble() >= 0) {
      b.append(String.format(Locale.ROOT, " · routing saved %.1f%%", saved.getAsDouble()));
    } else {
      b.append(String.format(Locale.ROOT, " · routing cost %.1f%% more", -saved.getAsDouble()));
    }
    b.append(System.lineSeparator());

    b.append(String.format(Locale.ROOT, "%-18s %-8s %9s %12s%n", "team", "budget", "requests", "cost"));
    s.teams().stream().limit(MAX_TEAMS).forEach(t -> b.append(String.format(Locale.ROOT,
        "%-18s %-8s %,9d %12s  %s", cut(t.team(), 18), t.state().name(), t.requests(),
        Pricing.dollars(t.costMicros()), t.detail()).stripTrailing()).append(System.lineSeparator()));
    if (s.teams().size() > MAX_TEAMS) {
      b.append(String.format(Locale.ROOT, "... and %d more teams%n", s.teams().size() - MAX_TEAMS));
    }
    if (s.unreadable() > 0) {
      b.append(String.format(Locale.ROOT, "skipped %,d unreadable records (see the log)%n", s.unreadable()));
    }
    return b.toString();
  }

  static String duration(Duration d) {
    long seconds = Math.max(0, d.toSeconds());
    if (seconds < 60) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }

  private static String cut(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "~";
  }

}
