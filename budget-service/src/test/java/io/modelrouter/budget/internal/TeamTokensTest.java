package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TeamTokensTest {
  private static final String LABEL = "budget.team.tokens (MR_BUDGET_TEAM_TOKENS)";

  @Test
  void parsesPairsTrimmedAndInOrder() {
    // When
    Map<String, String> tokens = TeamTokens.parse(" alpha = t0k-a , beta.team=t0k=b==", "admin", LABEL);

    // Then: a token may hold '=' (base64 padding); only the first one separates
    assertThat(tokens).containsExactly(Map.entry("alpha", "t0k-a"), Map.entry("beta.team", "t0k=b=="));
  }

  @Test
  void blankMeansNoTeamTokens() {
    assertThat(TeamTokens.parse(null, "admin", LABEL)).isEmpty();
    assertThat(TeamTokens.parse("  ", "admin", LABEL)).isEmpty();
  }

  @Test
  void entryWithoutEqualsIsNamedByPositionNotByItsText() {
    // Given: an entry that is probably a bare token
    String raw = "alpha=a1,s3cr3t-token";

    // Then
    assertThatThrownBy(() -> TeamTokens.parse(raw, "admin", LABEL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(LABEL + " is invalid: entry 2 of 2 is not team=token (no '=')")
        .message().doesNotContain("s3cr3t", "a1");
  }

  @Test
  void emptyTokenIsNamedByItsTeam() {
    assertThatThrownBy(() -> TeamTokens.parse("alpha=a1,beta=", "admin", LABEL))
        .hasMessageContaining("team 'beta' has an empty token")
        .message().doesNotContain("a1");
  }

  @Test
  void invalidTeamIdIsRefused() {
    assertThatThrownBy(() -> TeamTokens.parse("al pha=s3cr3t", "admin", LABEL))
        .hasMessageContaining("entry 1 of 1: team 'al pha' is not a team id")
        .message().doesNotContain("s3cr3t");
  }

  @Test
  void teamGivenTwiceIsRefused() {
    assertThatThrownBy(() -> TeamTokens.parse("alpha=s3cr3t1,alpha=s3cr3t2", "admin", LABEL))
        .hasMessageContaining("team 'alpha' appears more than once")
        .message().doesNotContain("s3cr3t");
  }

  @Test
  void teamWithTheAdminTokenIsRefused() {
    assertThatThrownBy(() -> TeamTokens.parse("alpha=adm1n", "adm1n", LABEL))
        .hasMessageContaining("team 'alpha' has the admin token")
        .message().doesNotContain("adm1n");
  }

  @Test
  void twoTeamsSharingATokenAreRefused() {
    assertThatThrownBy(() -> TeamTokens.parse("alpha=s3cr3t,beta=s3cr3t", "admin", LABEL))
        .hasMessageContaining("teams 'alpha' and 'beta' have the same token")
        .message().doesNotContain("s3cr3t");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(() -> TeamTokens.parse(",alpha=,=x9", "admin", LABEL))
        .hasMessageContaining("entry 1 of 3 is empty")
        .hasMessageContaining("team 'alpha' has an empty token")
        .hasMessageContaining("entry 3 of 3 has no team before '='")
        .message().doesNotContain("x9");
  }
}
