package io.modelrouter.budget.internal;

/**
 * Who a request's token belongs to: the admin, or one team. Never holds the token itself.
 *
 * @param team null for the admin
 */
public record Principal(String team) {
  public static final Principal ADMIN = new Principal(null);

  public static Principal team(String team) {
    return new Principal(team);
  }

  public boolean isAdmin() {
    return team == null;
  }

  /** For messages and audit reasons: {@code admin} or {@code team token of alpha}. */
  public String describe() {
    return isAdmin() ? "admin" : "team token of " + team;
  }

  /** For the history of changes ({@code AdminChange.by}): {@code admin} or {@code team:alpha}. */
  public String id() {
    return isAdmin() ? "admin" : "team:" + team;
  }

  /** True when this principal may see team {@code teamId}'s own data. */
  public boolean reaches(String teamId) {
    return isAdmin() || team.equals(teamId);
  }
}
