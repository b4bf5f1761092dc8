package io.modelrouter.budget.internal;

import java.util.Objects;

/**
 * What an endpoint needs: reading or changing one team's data, or something shared (the model catalog, the
 * default policy). The description completes "may not ..." in a 403 message.
 *
 * @param team the team whose data it is; null for shared data
 * @param write true for a change
 * @param what e.g. {@code the usage of team 'beta'} or {@code the model catalog}
 */
public record Permission(String team, boolean write, String what) {
  public Permission {
    Objects.requireNonNull(what, "what");
  }

  public static Permission readTeam(String team, String what) {
    return new Permission(Objects.requireNonNull(team), false, what + " of team '" + team + "'");
  }

  public static Permission writeTeam(String team, String what) {
    return new Permission(Objects.requireNonNull(team), true, what + " of team '" + team + "'");
  }

  /** Shared data every token may read (the catalog, the default policy, the list of teams it can see). */
  public static Permission readShared(String what) {
    return new Permission(null, false, what);
  }

  /** Shared data only the admin may change. */
  public static Permission writeShared(String what) {
    return new Permission(null, true, what);
  }

  public String verb() {
    return write ? "change" : "read";
  }
}
