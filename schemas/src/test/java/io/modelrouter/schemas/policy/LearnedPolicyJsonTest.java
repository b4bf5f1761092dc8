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
}
