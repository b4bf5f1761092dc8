package io.modelrouter.budget.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Who may do what. Authentication compares the presented bearer token with every configured token in constant
 * time ({@link MessageDigest#isEqual}, whose running time depends only on the presented token's length) and does
 * not stop at the first match, so timing tells nothing about which tokens exist. Authorization follows
 * {@link Permission}'s roles: the admin may do everything; a team token reads its own team's data and shared data
 * and submits feedback, and changes its own limits or lifts its own pause only with self-service. Messages never
 * contain a token; a 403 names the permission.
 */
public final class Gatekeeper {
  private static final String BEARER = "bearer ";

  /** The outcome: 200 (allowed, with the principal), 401 or 403 with a sentence saying why. */
  public record Decision(int status, Principal principal, String error) {
    public boolean allowed() {
      return status == 200;
    }
  }

  private record Credential(byte[] token, Principal principal) {}

  private final List<Credential> credentials;

  public Gatekeeper(String adminToken, Map<String, String> teamTokens) {
    List<Credential> all = new ArrayList<>();
    all.add(new Credential(adminToken.getBytes(StandardCharsets.UTF_8), Principal.ADMIN));
    teamTokens.forEach((team, token) ->
        all.add(new Credential(token.getBytes(StandardCharsets.UTF_8), Principal.team(team))));
    this.credentials = List.copyOf(all);
  }

  /** The principal of an {@code Authorization} header value, or null when it is missing or names no token. */
  public Principal authenticate(String authorization) {
    String token = bearerToken(authorization);
    if (token == null) {
      return null;
    }
    byte[] presented = token.getBytes(StandardCharsets.UTF_8);
    Principal match = null;
    for (Credential credential : credentials) {
      boolean equal = MessageDigest.isEqual(presented, credential.token());
      if (equal && match == null) {
        match = credential.principal();
      }
    }
    return match;
  }

  /** Authentication and authorization in one step. */
  public Decision decide(String authorization, Permission permission, Predicate<String> selfService) {
    Decision authenticated = authenticateHeader(authorization);
    return authenticated.allowed() ? authorize(authenticated.principal(), permission, selfService) : authenticated;
  }

  /** 401 when the header is missing, malformed or names no token; else 200 with the principal. */
  public Decision authenticateHeader(String authorization) {
    if (bearerToken(authorization) == null) {
      return new Decision(401, null, "authentication required: send the header 'Authorization: Bearer <token>'");
    }
    Principal principal = authenticate(authorization);
    if (principal == null) {
      return new Decision(401, null, "the bearer token is not valid");
    }
    return new Decision(200, principal, null);
  }

  /**
   * Authorization alone, for an already authenticated principal.
   *
   * @param selfService whether the admin granted a team self-service
   */
  public static Decision authorize(Principal principal, Permission permission, Predicate<String> selfService) {
    if (principal.isAdmin() || permission.holder() == Permission.Holder.ANY) {
      return new Decision(200, principal, null);
    }
    String refused = "the team token of '" + principal.team() + "' may not " + permission.verb() + " "
        + permission.what() + " (permission " + permission.name() + ")";
    if (permission.team() != null && !principal.team().equals(permission.team())) {
      return new Decision(403, principal, refused + ": a team token reaches only its own team");
    }
    return switch (permission.holder()) {
      case TEAM -> new Decision(200, principal, null);
      case SELF_SERVICE -> selfService.test(principal.team()) ? new Decision(200, principal, null)
          : new Decision(403, principal, refused + ": only the admin token may, unless the admin grants team '"
              + principal.team() + "' self-service (\"selfService\": true in its budget)");
      default -> new Decision(403, principal, refused + ": only the admin token may");
    };
  }

  private static String bearerToken(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return null;
    }
    String token = authorization.substring(BEARER.length()).trim();
    return token.isEmpty() ? null : token;
  }
}
