package io.modelrouter.cli;

import java.util.regex.Pattern;

/** Path segments: a team id as budget-service accepts one, refused here before any call. */
final class Paths {
  private static final Pattern TEAM = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private Paths() {}

  static String segment(String team) {
    if (team == null || !TEAM.matcher(team).matches()) {
      throw new CliException("invalid team id '" + team + "': 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    return team;
  }
}
