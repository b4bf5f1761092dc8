package io.modelrouter.budget.internal;

import java.util.Objects;

/**
 * What an endpoint needs, by name ({@code budget.write}), and who holds it. Three roles: the platform admin holds
 * every permission; a team token reads its own team's data, reads shared data and submits feedback; and changes its
 * own limits or lifts its own pause only when the admin granted its team self-service ({@code selfService} in the
 * team's budget). Budgets' deletion, routing policies, the catalog, the default policy and learned-model pins are
 * the admin's alone. A 403 names the permission.
 *
 * @param name e.g. {@code budget.write}; also the {@code action} of the change it allows on
 *     {@code llm.admin.changes}
 * @param team the team whose data it is; null for shared data
 * @param holder who holds it besides the admin
 * @param write true for a change
 * @param what e.g. {@code the budget of team 'beta'} or {@code the model catalog}; completes "may not ..."
 */
public record Permission(String name, String team, Holder holder, boolean write, String what) {
  /** Who holds a permission, besides the admin (who holds all). */
  public enum Holder {
    /** Every token: shared data to read. */
    ANY,
    /** The team's own token. */
    TEAM,
    /** The team's own token, when the admin granted the team self-service. */
    SELF_SERVICE,
    /** Nobody but the admin. */
    ADMIN
  }

  public Permission {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    Objects.requireNonNull(what, "what");
    if (team == null && (holder == Holder.TEAM || holder == Holder.SELF_SERVICE)) {
      throw new IllegalArgumentException(name + ": a team's permission needs the team");
    }
  }

  /** Reading one team's data: the admin and the team's own token. */
  public static Permission readTeam(String name, String team, String what) {
    return new Permission(name, Objects.requireNonNull(team), Holder.TEAM, false, what + " of team '" + team + "'");
  }

  /** Adding to one team's data (feedback): the admin and the team's own token. */
  public static Permission writeTeam(String name, String team, String what) {
    return new Permission(name, Objects.requireNonNull(team), Holder.TEAM, true, what + " of team '" + team + "'");
  }

  /** Changing one team's limits or state: the admin, and the team's own token if the team has self-service. */
  public static Permission selfService(String name, String team, String what) {
    return new Permission(name, Objects.requireNonNull(team), Holder.SELF_SERVICE, true,
        what + " of team '" + team + "'");
  }

  /** Changing one team's data that only the admin may change. */
  public static Permission adminTeam(String name, String team, String what) {
    return new Permission(name, Objects.requireNonNull(team), Holder.ADMIN, true, what + " of team '" + team + "'");
  }

  /** Shared data every token may read (the catalog, the default policy, the list of teams it can see). */
  public static Permission readShared(String name, String what) {
    return new Permission(name, null, Holder.ANY, false, what);
  }

  /** Shared data only the admin may change. */
  public static Permission writeShared(String name, String what) {
    return new Permission(name, null, Holder.ADMIN, true, what);
  }

  public String verb() {
    return write ? "change" : "read";
  }
}
