package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.policy.DefaultPolicies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Session stickiness through the router topology and its session store: with the shipped (hybrid) policy and
 * {@code sessionSticky}, a complex chat is promoted fast → primary (see RouterDecisionTopologyTest), and a trivial
 * chat goes to fast by the table, except within the session that is on primary.
 */
class SessionStickinessTopologyTest {
  private RouterDriver router;

  @BeforeEach
  void start() {
    router = new RouterDriver("router-sessions");
    RoutingPolicy policy = DefaultPolicies.hybridRoutingPolicy();
    policy.setTeamId("team-a");
    policy.setVersion(2);
    policy.getAuto().setSessionSticky(true);
    router.policies.pipeInput("team-a", router.topics.routingPolicies().serializeValue(policy));
  }

  @AfterEach
  void stop() {
    router.close();
  }

  private RoutingDecision route(String session, String prompt, String id) {
    router.send(request("interactiveChat", prompt).setRequestId(id).setSessionId(session).build());
    return router.routed.readValue().getDecision();
  }

  @Test
  void aSessionIsNeverDemotedButIsPromotedAndRestrictStillApplies() {
    assertThat(route("s-1", Requests.complexChat(), "r-1").getProfile()).isEqualTo("primary");

    // The same session's trivial chat stays on primary; another session's goes to fast
    RoutingDecision stays = route("s-1", "thanks, that works", "r-2");
    assertThat(stays.getProfile()).isEqualTo("primary");
    assertThat(stays.getReason()).endsWith("session s-1 stays on primary (never demoted within a session): fast → "
        + "primary");
    assertThat(route("s-2", "thanks, that works", "r-3").getProfile()).isEqualTo("fast");

    // s-2 is promoted when it asks something hard, and stays there
    RoutingDecision promoted = route("s-2", Requests.complexChat(), "r-4");
    assertThat(promoted.getProfile()).isEqualTo("primary");
    assertThat(promoted.getReason()).endsWith("session s-2 promoted fast → primary");
    assertThat(route("s-2", "ok", "r-5").getProfile()).isEqualTo("primary");

    // A budget in RESTRICT wins over the session, and does not make the session stick to fast afterwards
    router.budgetState(BudgetState.RESTRICT, "80% of the daily budget");
    assertThat(route("s-1", "thanks again", "r-6").getProfile()).isEqualTo("fast");
    router.budgetState(BudgetState.NORMAL, "reset");
    assertThat(route("s-1", "one more thanks", "r-7").getProfile()).isEqualTo("primary");

    // A pinned request neither uses nor changes the session
    router.send(request("interactiveChat", "thanks").setRequestId("r-8").setSessionId("s-3").setModel("frontier")
        .setTier("power")
        .build());
    assertThat(router.routed.readValue().getDecision().getProfile()).isEqualTo("frontier");
    assertThat(route("s-3", "thanks", "r-9").getProfile()).isEqualTo("fast");
  }
}
