package io.modelrouter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.embedded.junit.IntegrationTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Short {@link PartitionBenchmark}s in {@code ./mvnw verify}, each service cut off from the broker by a TCP proxy while
 * requests flow, then healed: every request has exactly one result, usage and totals are exact, and the service is
 * still running. The long runs (5 s and 60 s, each service, drop and cut) are {@code bench/run PartitionBenchmark}.
 */
@IntegrationTest
class NetworkPartitionIT {
  @Test
  void aRouterCutOffFor12sLosesAndDoublesNothingAndCarriesOn() throws Exception {
    List<String> broken = PartitionBenchmark.run("--rate", "100", "--partitions-s", "12", "--gap-s", "10",
        "--warmup", "8", "--victim", "router", "--mode", "drop");
    assertThat(broken).as("what broke").isEmpty();
  }

  /**
   * The worker's connections reset for 10 s, longer than its 6 s session: its group drops it and assigns it its
   * partitions again when it is back, while the requests it had in flight finish under the old assignment (which
   * used to stop the worker: "offset finished but was not in flight").
   */
  @Test
  void aWorkerDroppedFromItsGroupByAPartitionRejoinsAndLosesNothing() throws Exception {
    List<String> broken = PartitionBenchmark.run("--rate", "100", "--partitions-s", "10", "--gap-s", "10",
        "--warmup", "8", "--victim", "worker", "--mode", "cut", "--session-timeout-ms", "6000",
        "--latency-ms", "400");
    assertThat(broken).as("what broke").isEmpty();
  }
}
