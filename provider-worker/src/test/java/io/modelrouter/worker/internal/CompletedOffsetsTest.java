package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class CompletedOffsetsTest {

  @Test
  void roundTripsTheOffsetsAboveTheCommittedOne() {
    List<Long> offsets = List.of(1_000_003L, 1_000_004L, 1_000_010L, 1_001_999L);
    String metadata = CompletedOffsets.encode(1_000_000L, offsets);
    assertThat(metadata).startsWith("mr1:");
    assertThat(CompletedOffsets.decode(1_000_000L, metadata)).containsExactlyElementsOf(offsets);
  }

  @Test
  void noOffsetsIsAnEmptyString() {
    assertThat(CompletedOffsets.encode(5, List.of())).isEmpty();
    assertThat(CompletedOffsets.decode(5, "")).isEmpty();
    assertThat(CompletedOffsets.decode(5, null)).isEmpty();
  }

  @Test
  void foreignMetadataIsIgnored() {
    assertThat(CompletedOffsets.decode(5, "written by another tool")).isEmpty();
  }

  @Test
  void thousandsOfScatteredOffsetsFitTheBrokersMetadataLimit() {
    // 3,000 completed out of a 6,000-offset window, at random: the shape of a busy partition with a slow request
    Random random = new Random(11);
    TreeSet<Long> offsets = new TreeSet<>();
    while (offsets.size() < 3_000) {
      offsets.add(1L + random.nextInt(6_000));
    }
    String metadata = CompletedOffsets.encode(0, new ArrayList<>(offsets));
    assertThat(metadata.length()).isLessThan(WorkerLoop.MAX_METADATA_CHARS);
    assertThat(CompletedOffsets.decode(0, metadata)).isEqualTo(offsets);
  }

  @Test
  void offsetsBelowTheCommittedOneAreABug() {
    assertThatThrownBy(() -> CompletedOffsets.encode(10, List.of(9L))).isInstanceOf(IllegalArgumentException.class);
  }
}
