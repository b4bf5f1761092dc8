package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FrontierBaselineTest {
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();

  private static UsageBreakdown usage(long input, long output, long cached) {
    return new UsageBreakdown(input, output, cached, 0L, 0L, 1L);
  }

  private static RoutingPolicy withProfiles(Map<String, String> profileToModel) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    Map<String, Profile> profiles = new HashMap<>();
    profileToModel.forEach((name, model) -> profiles.put(name, Profile.newBuilder().setModel(model).build()));
    policy.setProfiles(profiles);
    return policy;
  }

  @Test
  void frontierIsTheDefaultPolicysFrontierProfileForATeamWithoutAPolicy() {
    // When
    FrontierBaseline baseline = FrontierBaseline.of(null, DefaultPolicies.routingPolicy(), CATALOG);

    // Then: the shipped policy's frontier profile is Opus 4.5
    assertThat(baseline.model().getId()).isEqualTo("claude-opus-4-5");
    assertThat(baseline.source()).isEqualTo("the frontier profile of the default routing policy");
  }

  @Test
  void teamsOwnFrontierProfileWinsOverTheDefault() {
    // Given
    RoutingPolicy own = withProfiles(Map.of("frontier", "kimi-k2", "fast", "claude-haiku-4-5"));

    // When
    FrontierBaseline baseline = FrontierBaseline.of(own, DefaultPolicies.routingPolicy(), CATALOG);

    // Then
    assertThat(baseline.model().getId()).isEqualTo("kimi-k2");
    assertThat(baseline.source()).isEqualTo("the frontier profile of the team's routing policy");
  }

  @Test
  void withoutAFrontierProfileTheCatalogsMostExpensiveModelIsTheBaselineTiesToTheSmallestId() {
    // Given: neither policy has a frontier profile; Opus on Anthropic and on Bedrock cost the same
    RoutingPolicy own = withProfiles(Map.of("primary", "claude-sonnet-4-5"));
    RoutingPolicy shared = withProfiles(Map.of("fast", "claude-haiku-4-5"));

    // When
    FrontierBaseline baseline = FrontierBaseline.of(own, shared, CATALOG);

    // Then
    assertThat(baseline.model().getId()).isEqualTo("bedrock-claude-opus-4-5");
    assertThat(baseline.source()).startsWith("the most expensive model in the catalog");
  }

  @Test
  void frontierProfileNamingAModelOutsideTheCatalogFallsThrough() {
    // Given
    RoutingPolicy own = withProfiles(Map.of("frontier", "retired-model"));

    // When
    FrontierBaseline baseline = FrontierBaseline.of(own, DefaultPolicies.routingPolicy(), CATALOG);

    // Then
    assertThat(baseline.model().getId()).isEqualTo("claude-opus-4-5");
  }

  @Test
  void emptyCatalogHasNoBaseline() {
    assertThat(FrontierBaseline.of(null, DefaultPolicies.routingPolicy(), Map.of())).isNull();
  }

  @Test
  void everyModelsTokensArePricedAtTheFrontierModelsPricesCachedInputAtItsCachePrice() {
    // Given: Opus 4.5 at $5 input, $25 output, $0.50 cached input per million tokens
    FrontierBaseline baseline = FrontierBaseline.of(null, DefaultPolicies.routingPolicy(), CATALOG);
    Map<String, UsageBreakdown> byModel = new LinkedHashMap<>();
    byModel.put("claude-haiku-4-5", usage(1_000_000, 200_000, 0));
    byModel.put("claude-sonnet-4-5", usage(500_000, 100_000, 100_000));
    byModel.put("llama-3.1-8b", usage(3, 1, 0));

    // When
    long haiku = baseline.costMicros(byModel.get("claude-haiku-4-5"));
    long sonnet = baseline.costMicros(byModel.get("claude-sonnet-4-5"));
    long llama = baseline.costMicros(byModel.get("llama-3.1-8b"));
    long total = baseline.costMicros(byModel);

    // Then: $5 + $5; 400k x $5 + 100k x $0.50 + 100k x $25 = $4.55; 3 x 5 + 1 x 25 = 40 micro-dollars
    assertThat(haiku).isEqualTo(10_000_000);
    assertThat(sonnet).isEqualTo(4_550_000);
    assertThat(llama).isEqualTo(40);
    assertThat(total).isEqualTo(14_550_040);
  }

  @Test
  void noUsageCostsNothingAtTheFrontier() {
    FrontierBaseline baseline = FrontierBaseline.of(null, DefaultPolicies.routingPolicy(), CATALOG);

    assertThat(baseline.costMicros(Map.of())).isZero();
  }
}
