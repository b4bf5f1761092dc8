package io.modelrouter.router.learned;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.policy.DefaultPolicies;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shipped exemplar sets keep their contract: size, a held-out split of at least 25%, full coverage. */
class ExemplarsTest {
  private final List<Exemplar> train = Exemplar.load(Exemplar.TRAIN);
  private final List<Exemplar> test = Exemplar.load(Exemplar.TEST);

  @Test
  void atLeast400ExemplarsWithAQuarterHeldOutAndUniqueIds() {
    assertThat(train.size() + test.size()).isGreaterThanOrEqualTo(400);
    assertThat(test.size() / (double) (train.size() + test.size())).isGreaterThanOrEqualTo(0.25);
    List<String> ids = new ArrayList<>();
    train.forEach(e -> ids.add(e.id()));
    test.forEach(e -> ids.add(e.id()));
    assertThat(new HashSet<>(ids)).hasSameSizeAs(ids);
    Set<String> prompts = new HashSet<>();
    train.forEach(e -> prompts.add(e.prompt()));
    assertThat(test).as("no held-out prompt is also a training prompt")
        .noneMatch(e -> prompts.contains(e.prompt()));
  }

  @Test
  void bothSplitsCoverEveryTaskTypeOfTheShippedPolicyAndEveryTier() {
    Set<String> taskTypes = DefaultPolicies.routingPolicy().getRouting().keySet();
    for (List<Exemplar> split : List.of(train, test)) {
      assertThat(split.stream().map(Exemplar::taskType).collect(Collectors.toSet())).containsAll(taskTypes);
      assertThat(split.stream().map(Exemplar::tier).collect(Collectors.toSet())).containsExactlyInAnyOrder(
          Tier.values());
    }
  }
}
