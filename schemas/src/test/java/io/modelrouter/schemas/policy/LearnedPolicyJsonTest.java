package io.modelrouter.schemas.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.RoutingPolicy;
import org.junit.jupiter.api.Test;

class LearnedPolicyJsonTest {

  private static ObjectNode shipped() {
    return PolicyJson.toJson(DefaultPolicies.routingPolicy());
  }

  @Test
  void aLearnedPolicyKeepsItsQualityTargetThroughJson() {
    ObjectNode json = shipped();
    ((ObjectNode) json.get("auto")).put("strategy", "learned").put("qualityTarget", 0.9);
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", json, DefaultPolicies.catalogById());
    assertThat(policy.getAuto().getStrategy()).isEqualTo(AutoStrategy.LEARNED);
    assertThat(policy.getAuto().getQualityTarget()).isEqualTo(0.9);
    assertThat(PolicyJson.toJson(policy).get("auto").get("qualityTarget").asDouble()).isEqualTo(0.9);
  }

  @Test
  void withoutATargetItIsPointEight() {
    ObjectNode json = shipped();
    ((ObjectNode) json.get("auto")).put("strategy", "learned").remove("qualityTarget");
    assertThat(PolicyJson.parseRoutingPolicy("team-a", json, DefaultPolicies.catalogById()).getAuto()
        .getQualityTarget()).isEqualTo(0.8);
  }

  @Test
  void aTargetOutsideZeroToOneOrAMissingTierProfileIsRefusedNamingThePath() {
    ObjectNode tooHigh = shipped();
    ((ObjectNode) tooHigh.get("auto")).put("strategy", "learned").put("qualityTarget", 1.5);
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", tooHigh, DefaultPolicies.catalogById()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("$.auto.qualityTarget");
    ObjectNode noFrontier = shipped();
    ((ObjectNode) noFrontier.get("auto")).put("strategy", "learned");
    ((ObjectNode) noFrontier.get("profiles")).remove("frontier");
    noFrontier.set("routing", noFrontier.objectNode().put("chat", "fast"));
    ((ObjectNode) noFrontier.get("auto")).putArray("bands");
    ((ObjectNode) noFrontier.get("auto")).putObject("promote");
    ((ObjectNode) noFrontier.get("auto")).put("promoteTo", "primary").put("demoteFrom", "primary");
    ((ObjectNode) noFrontier.get("tiers").get("free")).putArray("profiles").add("fast");
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", noFrontier, DefaultPolicies.catalogById()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("$.auto.strategy: learned routing chooses among the profiles fast, primary, frontier");
  }

  @Test
  void theLexicalModelIsChosenByNameAndAnythingElseIsRefusedNamingThePath() {
    ObjectNode json = shipped();
    ((ObjectNode) json.get("auto")).put("strategy", "learned").put("model", "lexical");
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", json, DefaultPolicies.catalogById());
    assertThat(policy.getAuto().getModel()).isEqualTo("lexical");
    assertThat(PolicyJson.toJson(policy).get("auto").get("model").asText()).isEqualTo("lexical");

    ObjectNode without = shipped();
    ((ObjectNode) without.get("auto")).put("strategy", "learned").remove("model");
    assertThat(PolicyJson.parseRoutingPolicy("team-a", without, DefaultPolicies.catalogById()).getAuto().getModel())
        .isEqualTo("embedding");

    ObjectNode unknown = shipped();
    ((ObjectNode) unknown.get("auto")).put("strategy", "learned").put("model", "gpt");
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", unknown, DefaultPolicies.catalogById()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("$.auto.model");
  }

  @Test
  void theLearningSettingsAndTheShadowSurviveJsonAndHaveTheDocumentedDefaults() {
    ObjectNode json = shipped();
    ((ObjectNode) json.get("auto")).put("strategy", "learned").put("restrictQualityTarget", 0.4).put("explore", 0.1)
        .put("sessionSticky", true).putArray("fixed").add("validation");
    json.putObject("shadow").put("profile", "frontier").put("share", 0.05);
    RoutingPolicy policy = PolicyJson.parseRoutingPolicy("team-a", json, DefaultPolicies.catalogById());
    assertThat(policy.getAuto().getRestrictQualityTarget()).isEqualTo(0.4);
    assertThat(policy.getAuto().getExplore()).isEqualTo(0.1);
    assertThat(policy.getAuto().getSessionSticky()).isTrue();
    assertThat(policy.getAuto().getFixed()).containsExactly("validation");
    assertThat(policy.getShadow().getProfile()).isEqualTo("frontier");
    assertThat(policy.getShadow().getShare()).isEqualTo(0.05);
    RoutingPolicy again = PolicyJson.parseRoutingPolicy("team-a", PolicyJson.toJson(policy),
        DefaultPolicies.catalogById());
    assertThat(again.getAuto()).isEqualTo(policy.getAuto());
    assertThat(again.getShadow()).isEqualTo(policy.getShadow());

    RoutingPolicy defaults = PolicyJson.parseRoutingPolicy("team-a", shipped(), DefaultPolicies.catalogById());
    assertThat(defaults.getAuto().getRestrictQualityTarget()).isEqualTo(0.5);
    assertThat(defaults.getAuto().getExplore()).isEqualTo(0.0);
    assertThat(defaults.getAuto().getSessionSticky()).isFalse();
    assertThat(defaults.getAuto().getFixed()).isEmpty();
    assertThat(defaults.getShadow()).isNull();
  }

  @Test
  void aShadowOfAnUnknownProfileOrAnExplorationAboveHalfIsRefusedNamingThePath() {
    ObjectNode unknown = shipped();
    unknown.putObject("shadow").put("profile", "gpt-9").put("share", 0.1);
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", unknown, DefaultPolicies.catalogById()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("$.shadow.profile");
    ObjectNode greedy = shipped();
    ((ObjectNode) greedy.get("auto")).put("explore", 0.9);
    assertThatThrownBy(() -> PolicyJson.parseRoutingPolicy("team-a", greedy, DefaultPolicies.catalogById()))
        .isInstanceOf(PolicyException.class).hasMessageContaining("$.auto.explore");
  }
}
