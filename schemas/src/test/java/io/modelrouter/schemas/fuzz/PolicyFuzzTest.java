package io.modelrouter.schemas.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.fuzz.PolicyDocuments.Kind;
import io.modelrouter.schemas.policy.PolicyException;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated hostile policies, budgets and catalog entries (see {@link HostileJson}): each is either accepted or
 * refused with a {@link PolicyException} whose every problem names a JSON path; nothing else is ever thrown. A fixed
 * seed and a few hundred tries, so that {@code ./mvnw verify} stays fast and a failure can be replayed.
 */
class PolicyFuzzTest {
  @Provide
  Arbitrary<String> routingPolicies() {
    return HostileJson.mutationsOf(Kind.ROUTING_POLICY.sample());
  }

  @Provide
  Arbitrary<String> budgets() {
    return HostileJson.mutationsOf(Kind.BUDGET.sample());
  }

  @Provide
  Arbitrary<String> models() {
    return HostileJson.mutationsOf(Kind.MODEL.sample());
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileRoutingPolicyIsAcceptedOrRefusedNamingPaths(@ForAll("routingPolicies") String text) {
    assertThat(PolicyDocuments.check(Kind.ROUTING_POLICY, text).problem()).isNull();
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileBudgetIsAcceptedOrRefusedNamingPaths(@ForAll("budgets") String text) {
    assertThat(PolicyDocuments.check(Kind.BUDGET, text).problem()).isNull();
  }

  @Property(tries = 400, seed = "20261206")
  void aHostileCatalogEntryIsAcceptedOrRefusedNamingPaths(@ForAll("models") String text) {
    assertThat(PolicyDocuments.check(Kind.MODEL, text).problem()).isNull();
  }
}
