package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class GatekeeperTest {
  private static final String ADMIN = "admin-5ecret";
  private static final String ALPHA = "alpha-5ecret";
  private static final String BETA = "beta-5ecret";

  private final Gatekeeper gatekeeper = new Gatekeeper(ADMIN, Map.of("alpha", ALPHA, "beta", BETA));

  @Test
  void adminTokenMayChangeTheModelCatalog() {
    // When
    Gatekeeper.Decision decision = gatekeeper.decide("Bearer " + ADMIN, Permission.writeShared("the model catalog"));

    // Then
    assertThat(decision.status()).isEqualTo(200);
    assertThat(decision.principal().isAdmin()).isTrue();
  }

  @Test
  void adminTokenMayChangeAnyTeamsBudget() {
    assertThat(gatekeeper.decide("Bearer " + ADMIN, Permission.writeTeam("beta", "the budget")).status())
        .isEqualTo(200);
  }

  @Test
  void teamTokenMayReadAndChangeItsOwnTeam() {
    // When
    Gatekeeper.Decision read = gatekeeper.decide("Bearer " + ALPHA, Permission.readTeam("alpha", "the usage"));
    Gatekeeper.Decision write = gatekeeper.decide("Bearer " + ALPHA, Permission.writeTeam("alpha", "the budget"));

    // Then
    assertThat(read.status()).isEqualTo(200);
    assertThat(write.status()).isEqualTo(200);
    assertThat(write.principal()).isEqualTo(Principal.team("alpha"));
  }

  @Test
  void teamTokenMayNotReadAnotherTeamsUsage() {
    // When
    Gatekeeper.Decision decision = gatekeeper.decide("Bearer " + ALPHA, Permission.readTeam("beta", "the usage"));

    // Then
    assertThat(decision.status()).isEqualTo(403);
    assertThat(decision.error())
        .isEqualTo("the team token of 'alpha' may not read the usage of team 'beta': a team token reaches only its"
            + " own team")
        .doesNotContain(ALPHA, BETA, ADMIN);
  }

  @Test
  void teamTokenMayReadTheCatalogButNotChangeIt() {
    // When
    Gatekeeper.Decision read = gatekeeper.decide("Bearer " + BETA, Permission.readShared("the model catalog"));
    Gatekeeper.Decision write = gatekeeper.decide("Bearer " + BETA, Permission.writeShared("the model catalog"));

    // Then
    assertThat(read.status()).isEqualTo(200);
    assertThat(write.status()).isEqualTo(403);
    assertThat(write.error()).isEqualTo("the team token of 'beta' may not change the model catalog: only the admin"
        + " token may").doesNotContain(BETA);
  }

  @Test
  void missingTokenIsUnauthenticated() {
    // When
    Gatekeeper.Decision none = gatekeeper.decide(null, Permission.readShared("the model catalog"));
    Gatekeeper.Decision empty = gatekeeper.decide("Bearer   ", Permission.readShared("the model catalog"));

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
      Gatekeeper.Decision decision = gatekeeper.decide(header, Permission.readTeam("alpha", "the usage"));

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
