package io.modelrouter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.embedded.junit.IntegrationTest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A short {@link CrashBenchmark} in {@code ./mvnw verify}: router, worker and aggregator as child JVMs on the
 * embedded broker, each killed with SIGKILL under load and started again; every request has exactly one result,
 * every usage event appears once, every call the provider answered is billed (also one answered just before the
 * worker's kill: by its own event or its journaled intent's estimate), the aggregator's totals equal the usage
 * events, no alert repeats. The long run
 * at 2,000 requests/s is {@code bench/run CrashBenchmark}.
 */
@IntegrationTest
class ProcessCrashIT {
  @Test
  void killedProcessesLoseAndDoubleNothing() throws Exception {
    List<String> broken = CrashBenchmark.run("--rate", "200", "--seconds", "30", "--partitions", "4",
        "--latency-ms", "50");
    assertThat(broken).as("what broke").isEmpty();
  }
}
