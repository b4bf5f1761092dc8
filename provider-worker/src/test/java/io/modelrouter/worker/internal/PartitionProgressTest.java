package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {

  @Test
  void commitsTheLeadingRunAndListsFinishedRecordsAboveIt() {
    PartitionProgress progress = new PartitionProgress(-1, new TreeSet<>());
    for (long offset = 10; offset < 15; offset++) {
      progress.started(offset);
    }
    progress.finished(10, List.of("r10"));
    progress.finished(11, List.of("r11"));
    progress.finished(13, List.of("r13"));

    PartitionProgress.Plan plan = progress.plan(WorkerLoop.MAX_METADATA_CHARS);

    assertThat(plan.commitOffset()).isEqualTo(12);
    assertThat(plan.offsets()).containsExactly(10L, 11L, 13L);
    assertThat(plan.outputs()).containsExactly("r10", "r11", "r13");
    assertThat(CompletedOffsets.decode(12, plan.metadata())).containsExactly(13L);
  }

  @Test
  void afterACommitOnlyNewlyFinishedOutputsAreSent() {
    PartitionProgress progress = new PartitionProgress(-1, new TreeSet<>());
    progress.started(0);
    progress.started(1);
    progress.finished(1, List.of("r1"));
    progress.committed(progress.plan(WorkerLoop.MAX_METADATA_CHARS));
    progress.finished(0, List.of("r0"));

    PartitionProgress.Plan plan = progress.plan(WorkerLoop.MAX_METADATA_CHARS);

    assertThat(plan.outputs()).containsExactly("r0");
    assertThat(plan.commitOffset()).isEqualTo(2);
    assertThat(plan.metadata()).isEmpty();
    progress.committed(plan);
    assertThat(progress.committedOffset()).isEqualTo(2);
    assertThat(progress.hasFinished()).isFalse();
  }

  @Test
  void gapsLeftByTransactionMarkersDoNotHoldTheCommitBack() {
    PartitionProgress progress = new PartitionProgress(100, new TreeSet<>());
    progress.started(100);
    progress.started(102);
    progress.started(105);
    progress.finished(100, List.of("a"));
    progress.finished(102, List.of("b"));
    progress.finished(105, List.of("c"));
    assertThat(progress.plan(WorkerLoop.MAX_METADATA_CHARS).commitOffset()).isEqualTo(106);
  }

  @Test
  void aNewOwnerSkipsRecordsWhoseResultsWereCommittedAboveTheOffset() {
    String metadata = CompletedOffsets.encode(50, List.of(52L, 53L));
    PartitionProgress progress = new PartitionProgress(50, CompletedOffsets.decode(50, metadata));

    assertThat(progress.alreadyDone(49)).isTrue();
    assertThat(progress.alreadyDone(50)).isFalse();
    assertThat(progress.alreadyDone(52)).isTrue();
    assertThat(progress.alreadyDone(54)).isFalse();

    progress.started(50);
    progress.started(51);
    progress.skipped(52);
    progress.skipped(53);
    progress.finished(51, List.of("r51"));
    PartitionProgress.Plan plan = progress.plan(WorkerLoop.MAX_METADATA_CHARS);
    // 50 still runs, so the offset stays; 51 is new, 52 and 53 stay listed
    assertThat(plan.commitOffset()).isEqualTo(50);
    assertThat(CompletedOffsets.decode(50, plan.metadata())).containsExactly(51L, 52L, 53L);
    progress.committed(plan);
    progress.finished(50, List.of("r50"));
    assertThat(progress.plan(WorkerLoop.MAX_METADATA_CHARS).commitOffset()).isEqualTo(54);
  }

  @Test
  void holdsBackTheHighestOutputsWhenTheMetadataWouldBeTooLarge() {
    PartitionProgress progress = new PartitionProgress(0, new TreeSet<>());
    for (long offset = 0; offset < 400; offset++) {
      progress.started(offset);
    }
    java.util.Random random = new java.util.Random(3);
    int finished = 0;
    for (long offset = 1; offset < 400; offset++) {
      if (random.nextBoolean()) {
        progress.finished(offset, List.of("r" + offset));
        finished++;
      }
    }
    // A tiny limit: only some of the finished records above the stuck offset 0 may be listed (an irregular
    // pattern, which deflate cannot squeeze into it)
    PartitionProgress.Plan plan = progress.plan(40);

    assertThat(plan.metadata().length()).isLessThanOrEqualTo(40);
    assertThat(plan.offsets()).isNotEmpty().hasSizeLessThan(finished);
    assertThat(CompletedOffsets.decode(0, plan.metadata())).containsExactlyElementsOf(plan.offsets());
    progress.committed(plan);
    assertThat(progress.hasFinished()).isTrue();
  }

  @Test
  void tracksRecordsInFlight() {
    PartitionProgress progress = new PartitionProgress(-1, new TreeSet<>());
    progress.started(7);
    progress.started(8);
    progress.finished(8, List.of());
    assertThat(progress.inFlight()).isEqualTo(1);
    assertThat(progress.inFlightOffsets()).containsExactly(7L);
  }
}
