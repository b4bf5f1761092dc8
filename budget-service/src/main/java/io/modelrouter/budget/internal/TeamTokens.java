package io.modelrouter.budget.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses {@code team=token,team=token}. Every error names the team (or the entry's position when there is no team
 * to name), never the token: the setting is a secret and its errors end up in logs.
 */
public final class TeamTokens {
  /** Team ids in paths and settings: what Kafka keys and metric tags can carry without escaping. */
  public static final Pattern TEAM_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private TeamTokens() {}

  /**
   * @param raw the setting's value; null or blank means no team tokens
   * @param adminToken a team token may not equal it (the caller would be both admin and a team)
   * @param label the setting and its env var, for messages
   * @return team id to token, in the order given, unmodifiable
   */
  public static Map<String, String> parse(String raw, String adminToken, String label) {
    if (raw == null || raw.isBlank()) {
      return Map.of();
    }
    Map<String, String> tokens = new LinkedHashMap<>();
    Map<String, String> teamOfToken = new HashMap<>();
    List<String> problems = new ArrayList<>();
    String[] entries = raw.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      String position = "entry " + (i + 1) + " of " + entries.length;
      if (entry.isEmpty()) {
        problems.add(position + " is empty");
        continue;
      }
      int equals = entry.indexOf('=');
      if (equals < 0) {
        problems.add(position + " is not team=token (no '=')");
        continue;
      }
      String team = entry.substring(0, equals).trim();
      String token = entry.substring(equals + 1).trim();
      if (team.isEmpty()) {
        problems.add(position + " has no team before '='");
        continue;
      }
      if (!TEAM_ID.matcher(team).matches()) {
        problems.add(position + ": team '" + printable(team) + "' is not a team id (1 to 64 of A-Z a-z 0-9 . _ -)");
        continue;
      }
      if (token.isEmpty()) {
        problems.add("team '" + team + "' has an empty token");
        continue;
      }
      if (tokens.containsKey(team)) {
        problems.add("team '" + team + "' appears more than once");
        continue;
      }
      if (token.equals(adminToken)) {
        problems.add("team '" + team + "' has the admin token; give it a token of its own");
        continue;
      }
      String other = teamOfToken.putIfAbsent(token, team);
      if (other != null) {
        problems.add("teams '" + other + "' and '" + team + "' have the same token; a token must name one team");
        continue;
      }
      tokens.put(team, token);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(label + " is invalid: " + String.join("; ", problems)
          + " (expected comma-separated team=token pairs)");
    }
    return Collections.unmodifiableMap(tokens);
  }

  /** A team id for a message: bounded and without control characters, since it came from configuration. */
  private static String printable(String team) {
    String cut = team.length() > 64 ? team.substring(0, 64) + "..." : team;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
