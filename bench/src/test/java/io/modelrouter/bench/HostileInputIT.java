package io.modelrouter.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.embedded.junit.IntegrationTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzz run of {@link FuzzBenchmark} with a fixed seed and a small budget, so that {@code ./mvnw verify} runs every
 * surface at once, reproducibly: malformed and valid records on every consumer's input, hostile HTTP requests on
 * every route of budget-service, hostile policies, budgets and catalog entries, against the whole local stack. The
 * long run with a random seed is {@code bench/run FuzzBenchmark}.
 */
@IntegrationTest
class HostileInputIT {
  @Test
  void everyRecordAndRequestGetsItsOutcomeAndEveryServiceGoesOn(@TempDir Path data) throws Exception {
    FuzzBenchmark.Report report = FuzzBenchmark.run(new FuzzBenchmark.Options(20261206L, 2_000, 300, 3_000), data);
    report.lines().forEach(System.out::println);
    assertThat(report.failures()).as("failures (seed %d)", report.seed()).isEmpty();
  }
}
