package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class GatekeeperTest {
  private static final String ADMIN = "admin-5ecret";
  private static final String ALPHA = "alpha-5ecret";
  private static final String BETA = "beta-5ecret";

  private final Gatekeeper gatekeeper = new Gatekeeper(ADMIN, Map.of("alpha", ALPHA, "beta", BETA));

  private static final Permission CATALOG_WRITE = Permission.writeShared("models.write", "the model catalog");
  private static final Permission CATALOG_READ = Permission.readShared("models.read", "the model catalog");
  // Self-service granted to alpha only
  private static final Predicate<String> GRANTED = "alpha"::equals;

  private static Permission budgetWrite(String team) {
    return Permission.selfService("budget.write", team, "the budget");
  }

  @Test
  void adminTokenMayChangeTheModelCatalog() {
    // When
    Gatekeeper.Decision decision = gatekeeper.decide("Bearer " + ADMIN, CATALOG_WRITE, GRANTED);

    // Then
    assertThat(decision.status()).isEqualTo(200);
    assertThat(decision.principal().isAdmin()).isTrue();
  }

  @Test
  void adminTokenMayDoWhatOnlyTheAdminMayForAnyTeamWithoutSelfService() {
    assertThat(gatekeeper.decide("Bearer " + ADMIN, budgetWrite("beta"), team -> false).status()).isEqualTo(200);
    assertThat(gatekeeper.decide("Bearer " + ADMIN,
        Permission.adminTeam("policy.write", "beta", "the routing policy"), team -> false).status()).isEqualTo(200);
  }

  @Test
  void teamTokenMayReadItsOwnTeamAndSendFeedback() {
    // When
    Gatekeeper.Decision read = gatekeeper.decide("Bearer " + BETA, Permission.readTeam("usage.read", "beta",
        "the usage"), GRANTED);
    Gatekeeper.Decision feedback = gatekeeper.decide("Bearer " + BETA, Permission.writeTeam("feedback.write",
        "beta", "feedback"), GRANTED);

    // Then
    assertThat(read.status()).isEqualTo(200);
    assertThat(feedback.status()).isEqualTo(200);
    assertThat(feedback.principal()).isEqualTo(Principal.team("beta"));
  }

  @Test
  void teamTokenMayChangeItsOwnLimitsOnlyWithSelfService() {
    // When
    Gatekeeper.Decision granted = gatekeeper.decide("Bearer " + ALPHA, budgetWrite("alpha"), GRANTED);
    Gatekeeper.Decision notGranted = gatekeeper.decide("Bearer " + BETA, budgetWrite("beta"), GRANTED);

    // Then
    assertThat(granted.status()).isEqualTo(200);
    assertThat(notGranted.status()).isEqualTo(403);
    assertThat(notGranted.error()).isEqualTo("the team token of 'beta' may not change the budget of team 'beta'"
        + " (permission budget.write): only the admin token may, unless the admin grants team 'beta' self-service"
        + " (\"selfService\": true in its budget)").doesNotContain(BETA);
  }

  @Test
  void selfServiceNeverReachesAnotherTeam() {
    // When: alpha has self-service, beta's budget is not alpha's
    Gatekeeper.Decision decision = gatekeeper.decide("Bearer " + ALPHA, budgetWrite("beta"), team -> true);

    // Then
    assertThat(decision.status()).isEqualTo(403);
    assertThat(decision.error()).endsWith("(permission budget.write): a team token reaches only its own team");
  }

  @Test
  void teamTokenMayNeverChangeWhatOnlyTheAdminMay() {
    // When: even with self-service
    Gatekeeper.Decision policy = gatekeeper.decide("Bearer " + ALPHA,
        Permission.adminTeam("policy.write", "alpha", "the routing policy"), GRANTED);

    // Then
    assertThat(policy.status()).isEqualTo(403);
    assertThat(policy.error()).isEqualTo("the team token of 'alpha' may not change the routing policy of team"
        + " 'alpha' (permission policy.write): only the admin token may");
  }

  @Test
  void teamTokenMayNotReadAnotherTeamsUsage() {
    // When
    Gatekeeper.Decision decision = gatekeeper.decide("Bearer " + ALPHA, Permission.readTeam("usage.read", "beta",
        "the usage"), GRANTED);

    // Then
    assertThat(decision.status()).isEqualTo(403);
    assertThat(decision.error())
        .isEqualTo("the team token of 'alpha' may not read the usage of team 'beta' (permission usage.read): a team"
            + " token reaches only its own team")
        .doesNotContain(ALPHA, BETA, ADMIN);
  }

  @Test
  void teamTokenMayReadTheCatalogButNotChangeIt() {
    // When
    Gatekeeper.Decision read = gatekeeper.decide("Bearer " + BETA, CATALOG_READ, GRANTED);
    Gatekeeper.Decision write = gatekeeper.decide("Bearer " + BETA, CATALOG_WRITE, GRANTED);

    // Then
    assertThat(read.status()).isEqualTo(200);
    assertThat(write.status()).isEqualTo(403);
    assertThat(write.error()).isEqualTo("the team token of 'beta' may not change the model catalog (permission"
        + " models.write): only the admin token may").doesNotContain(BETA);
  }

  @Test
  void missingTokenIsUnauthenticated() {
    // When
    Gatekeeper.Decision none = gatekeeper.decide(null, CATALOG_READ, GRANTED);
    Gatekeeper.Decision empty = gatekeeper.decide("Bearer   ", CATALOG_READ, GRANTED);

    // Then
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.error()).contains("Authorization: Bearer <token>");
    assertThat(empty.status()).isEqualTo(401);
  }

  @Test
  void wrongTokenIsUnauthenticatedWhateverItResembles() {
    for (String header : new String[] {"Bearer wrong", "Bearer " + ALPHA + "x", "Bearer " + ALPHA.substring(1),
        "Basic " + ADMIN, ADMIN}) {
      // When
      Gatekeeper.Decision decision = gatekeeper.decide(header,
          Permission.readTeam("usage.read", "alpha", "the usage"), GRANTED);

      // Then
      assertThat(decision.status()).as(header).isEqualTo(401);
      assertThat(decision.principal()).isNull();
      assertThat(decision.error()).doesNotContain(ALPHA, ADMIN);
    }
  }

  @Test
  void bearerSchemeIsCaseInsensitive() {
    assertThat(gatekeeper.authenticate("bearer " + BETA)).isEqualTo(Principal.team("beta"));
    assertThat(gatekeeper.authenticate("BEARER " + ADMIN)).isEqualTo(Principal.ADMIN);
  }

  @Test
  void principalDescribesItselfWithoutItsToken() {
    assertThat(gatekeeper.authenticate("Bearer " + ALPHA).describe()).isEqualTo("team token of alpha");
    assertThat(gatekeeper.authenticate("Bearer " + ADMIN).describe()).isEqualTo("admin");
  }
}
