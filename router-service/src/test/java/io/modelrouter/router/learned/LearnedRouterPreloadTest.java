package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.policy.DefaultPolicies;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The preload builds the embedding model only once a policy uses it, and stops when its router does. */
class LearnedRouterPreloadTest {
  private final AtomicInteger built = new AtomicInteger();
  private final LearnedRouter router = new LearnedRouter(() -> text -> new float[] {1, 0}, embedder -> {
    built.incrementAndGet();
    return KnnTierModel.fit(List.of(new Exemplar("ex-1", "chat", null, "hi", Tier.FAST)),
        List.of(new float[] {1, 0}), 1, 0.1, "test-1");
  });

  @Test
  void theEmbeddingModelIsBuiltOnceAPolicyUsesItAndNotBefore() throws InterruptedException {
    AtomicInteger asked = new AtomicInteger();
    Thread preload = router.preloadInBackground(() -> asked.incrementAndGet() >= 3, Duration.ofMillis(10));
    preload.join(30_000);

    assertThat(preload.isAlive()).isFalse();
    assertThat(asked.get()).isEqualTo(3);
    assertThat(built.get()).isEqualTo(1);
  }

  @Test
  void aCheckThatFailsIsAskedAgainAndAStoppedRouterEndsThePreloadWithoutTheModel() throws InterruptedException {
    AtomicInteger asked = new AtomicInteger();
    Thread preload = router.preloadInBackground(() -> {
      if (asked.incrementAndGet() == 1) {
        throw new IllegalStateException("the policies' store is not open yet");
      }
      throw new CancellationException("router NOT_RUNNING");
    }, Duration.ofMillis(10));
    preload.join(30_000);

    assertThat(preload.isAlive()).isFalse();
    assertThat(asked.get()).isEqualTo(2);
    assertThat(built.get()).isZero();
  }

  @Test
  void theShippedPolicyDoesNotUseTheEmbeddingModelAndTheOnesThatDoAreRecognized() {
    assertThat(RoutingEngine.usesEmbeddingModel(DefaultPolicies.routingPolicy())).isFalse();
    assertThat(RoutingEngine.usesEmbeddingModel(DefaultPolicies.hybridRoutingPolicy())).isFalse();

    RoutingPolicy learned = DefaultPolicies.routingPolicy();
    learned.getAuto().setModel("embedding");
    assertThat(RoutingEngine.usesEmbeddingModel(learned)).isTrue();

    RoutingPolicy hybridLearnedScore = DefaultPolicies.hybridRoutingPolicy();
    hybridLearnedScore.getAuto().setScore("learned");
    assertThat(RoutingEngine.usesEmbeddingModel(hybridLearnedScore)).isTrue();

    RoutingPolicy rules = DefaultPolicies.routingPolicy();
    rules.getAuto().setStrategy(AutoStrategy.RULES);
    assertThat(RoutingEngine.usesEmbeddingModel(rules)).isFalse();
  }
}
