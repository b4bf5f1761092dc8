package io.modelrouter.local.production;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VerdictTest {

  @Test
  void percentilesAreNearestRankOfTheSortedWaits() {
    long[] waits = new long[100];
    for (int i = 0; i < waits.length; i++) {
      waits[i] = (i + 1) * 10L; // 10, 20, ..., 1000 ms
    }
    assertThat(Verdict.percentile(waits, 0.50)).isEqualTo(500);
    assertThat(Verdict.percentile(waits, 0.99)).isEqualTo(990);
    assertThat(Verdict.percentile(new long[] {7}, 0.99)).isEqualTo(7);
    assertThat(Verdict.percentile(new long[0], 0.5)).isZero();
  }

  @Test
  void aRunHoldsOnlyWithEveryRequestAnsweredOnceAndNoUsageIdTwice() {
    assertThat(new Verdict(10, 10, 0, 0, 9, 0, 100, 900, 1_000, 40, 300, 2_000).held()).isTrue();
    assertThat(new Verdict(10, 10, 0, 0, 9, 1, 100, 900, 1_000, 40, 300, 2_000).held()).isFalse();
    assertThat(new Verdict(10, 9, 0, 1, 9, 0, 100, 900, 1_000, 40, 300, 2_000).held()).isFalse();
    assertThat(new Verdict(10, 10, 1, 0, 9, 0, 100, 900, 1_000, 40, 300, 2_000).toString())
        .contains("more than one result 1").contains("p99 900 ms").contains("p99 300 ms")
        .contains("without any result 2,000 ms").endsWith("FAILED");
  }

  @Test
  void theLongestGapIsBetweenConsecutiveResultsOnly() {
    assertThat(Verdict.longestGap(new long[] {1_000, 1_200, 9_200, 9_300})).isEqualTo(8_000);
    assertThat(Verdict.longestGap(new long[] {5})).isZero();
    assertThat(Verdict.longestGap(new long[0])).isZero();
  }
}
