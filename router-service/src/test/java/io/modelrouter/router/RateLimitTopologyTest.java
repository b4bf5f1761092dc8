package io.modelrouter.router;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.RateLimits;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-team rate limits: a request over its team's limit waits in the router's state and is routed when it may. */
class RateLimitTopologyTest {
  private RouterDriver router;

  @BeforeEach
  void start() {
    router = new RouterDriver("rate-limits");
  }

  @AfterEach
  void stop() {
    router.close();
  }

  /** The default policy with these limits: every team gets them, each its own. */
  private void limits(Long requestsPerMinute, Long tokensPerMinute, double burstSeconds, int maxQueued) {
    RoutingPolicy policy = DefaultPolicies.routingPolicy();
    policy.setVersion(2);
    policy.setRateLimits(new RateLimits(requestsPerMinute, tokensPerMinute, burstSeconds, maxQueued));
    router.policies.pipeInput("*", router.topics.routingPolicies().serializeValue(policy));
  }

  private static InferenceRequest ask(String id, String team) {
    return request("interactiveChat", "What does this stack trace mean? (" + id + ")").setRequestId(id)
        .setTeamId(team).build();
  }

  private List<RoutedRequest> routed() {
    return new ArrayList<>(router.routed.readValuesToList());
  }

  private void advance(long millis) {
    router.driver.advanceWallClockTime(Duration.ofMillis(millis));
  }

  @Test
  void requestsOverTheLimitWaitInOrderAndAreRoutedAtTheLimitsRate() {
    // Given 60 requests a minute: one a second, one at once
    limits(60L, null, 1.0, 100);

    // When three requests arrive together
    router.send(ask("r-1", "team-a"));
    router.send(ask("r-2", "team-a"));
    router.send(ask("r-3", "team-a"));

    // Then the first is routed at once, the others wait: nothing is failed
    List<RoutedRequest> now = routed();
    assertThat(now).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1");
    assertThat(now.get(0).getDecision().getRateLimitWaitMs()).isZero();
    assertThat(router.results.isEmpty()).isTrue();
    advance(500);
    assertThat(routed()).isEmpty();

    // and one more each second, in arrival order, saying how long it waited
    advance(500);
    List<RoutedRequest> second = routed();
    assertThat(second).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-2");
    assertThat(second.get(0).getDecision().getRateLimitWaitMs()).isEqualTo(1_000);
    assertThat(second.get(0).getDecision().getReason())
        .endsWith("; waited 1.0 s for the team's rate limit (60 requests/min)");
    advance(1_000);
    List<RoutedRequest> third = routed();
    assertThat(third).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-3");
    assertThat(third.get(0).getDecision().getRateLimitWaitMs()).isEqualTo(2_000);
    advance(5_000);
    assertThat(routed()).isEmpty();
    assertThat(router.results.isEmpty()).isTrue();
  }

  @Test
  void eachTeamHasItsOwnLimit() {
    limits(60L, null, 1.0, 100);
    router.send(ask("a-1", "team-a"));
    router.send(ask("a-2", "team-a"));

    // When team-b asks while team-a waits
    router.send(ask("b-1", "team-b"));

    // Then team-b is not behind team-a
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("a-1", "b-1");
  }

  @Test
  void aBurstOfSecondsLetsThatManyThroughAtOnce() {
    // 120 a minute with 2 s of burst: 4 at once, then one every half second
    limits(120L, null, 2.0, 100);
    for (int i = 1; i <= 6; i++) {
      router.send(ask("r-" + i, "team-a"));
    }
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1", "r-2", "r-3", "r-4");
    advance(500);
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-5");
    advance(500);
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-6");
  }

  @Test
  void aRequestWhoseDeadlinePassesWhileItWaitsEndsExpiredSayingHowLongItWaited() {
    limits(60L, null, 1.0, 100);
    router.send(ask("r-1", "team-a"));
    router.send(ask("r-2", "team-a"));
    InferenceRequest hurried = ask("r-3", "team-a");
    hurried.setDeadline(Requests.NOW.plusMillis(1_500));
    router.send(hurried);
    routed();

    advance(1_000); // r-2 goes
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-2");
    advance(1_000); // r-3's deadline has passed

    InferenceResult expired = router.results.readValue();
    assertThat(expired.getRequestId()).isEqualTo("r-3");
    assertThat(expired.getStatus()).isEqualTo(ResultStatus.EXPIRED);
    assertThat(expired.getErrorCode()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(expired.getRateLimitWaitMs()).isEqualTo(2_000);
    assertThat(expired.getErrorMessage()).startsWith("the request waited 2.0 s for team team-a's rate limit "
        + "(60 requests/min) and its deadline 2026-11-22T10:00:01.500Z passed");
    assertThat(routed()).isEmpty();
  }

  @Test
  void aFullQueueRejectsNamingTheLimit() {
    limits(60L, null, 1.0, 1);
    router.send(ask("r-1", "team-a"));
    router.send(ask("r-2", "team-a"));
    router.send(ask("r-3", "team-a"));

    InferenceResult rejected = router.results.readValue();
    assertThat(rejected.getRequestId()).isEqualTo("r-3");
    assertThat(rejected.getStatus()).isEqualTo(ResultStatus.REJECTED);
    assertThat(rejected.getErrorCode()).isEqualTo("RATE_LIMIT_QUEUE_FULL");
    assertThat(rejected.getErrorMessage()).isEqualTo("rateLimits.maxQueued: team team-a already has 1 requests "
        + "waiting for its rate limit (60 requests/min), the most its routing policy lets wait; send fewer or raise "
        + "rateLimits");
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-1");
    advance(1_000);
    assertThat(routed()).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-2");
  }

  @Test
  void tokensPerMinuteCountTheRoutersEstimateAndALargeRequestOwesTheRest() {
    // 6,000 estimated tokens a minute (100 a second), 1 s of burst: 100 tokens at once
    limits(null, 6_000L, 1.0, 100);
    router.send(ask("r-1", "team-a"));
    router.send(ask("r-2", "team-a"));
    RoutedRequest first = routed().get(0);
    long tokens = first.getDecision().getEstimatedInputTokens() + first.getDecision().getEstimatedOutputTokens();
    assertThat(tokens).as("the test needs a request larger than the bucket").isGreaterThan(100);

    // When the clock moves in steps of 100 ms
    long waited = 0;
    List<RoutedRequest> next = List.of();
    while (next.isEmpty() && waited < 120_000) {
      advance(100);
      waited += 100;
      next = routed();
    }

    // Then r-2 waits until r-1's debt is paid back and the bucket holds 100 again: r-1's tokens at 100 a second
    long expected = (long) Math.ceil(tokens / 100.0 * 1000 / 100) * 100;
    assertThat(next).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-2");
    assertThat(waited).isEqualTo(expected);
  }

  @Test
  void removingTheLimitReleasesEveryoneWaiting() {
    limits(60L, null, 1.0, 100);
    for (int i = 1; i <= 4; i++) {
      router.send(ask("r-" + i, "team-a"));
    }
    routed();

    RoutingPolicy unlimited = DefaultPolicies.routingPolicy();
    unlimited.setVersion(3);
    router.policies.pipeInput("*", router.topics.routingPolicies().serializeValue(unlimited));
    advance(100);

    List<RoutedRequest> released = routed();
    assertThat(released).extracting(r -> r.getRequest().getRequestId()).containsExactly("r-2", "r-3", "r-4");
    assertThat(released.get(0).getDecision().getReason()).endsWith("(limit since removed)");
  }
}
