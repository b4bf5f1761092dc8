package io.modelrouter.router.routing;

import static io.modelrouter.router.routing.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.modelrouter.avro.InferenceRequest;
import org.junit.jupiter.api.Test;

class ComplexityEstimatorTest {
  private final ComplexityEstimator estimator = new ComplexityEstimator();

  private ComplexityEstimator.Score score(String taskType, String prompt) {
    return estimator.score(request(taskType, prompt).build(), 100, 256);
  }

  @Test
  void taskTypePriorFollowsTheDevelopmentLoop() {
    assertThat(score("research", "x").prior()).isEqualTo(0.90);
    assertThat(score("codeReview", "x").prior()).isEqualTo(0.50);
    assertThat(score("hookActions", "x").prior()).isEqualTo(0.10);
    assertThat(score("somethingNew", "x").prior()).isEqualTo(ComplexityEstimator.UNKNOWN_PRIOR);
  }

  @Test
  void promptSizeIsLogScaledBetween200And20000Tokens() {
    InferenceRequest request = request("chat", "x").build();
    assertThat(estimator.score(request, 200, 256).size()).isZero();
    assertThat(estimator.score(request, 2_000, 256).size()).isCloseTo(0.5, within(1e-9));
    assertThat(estimator.score(request, 20_000, 256).size()).isEqualTo(1.0);
    assertThat(estimator.score(request, 90_000, 256).size()).isEqualTo(1.0);
  }

  @Test
  void outputSizeIsLogScaledBetween512And16384Tokens() {
    InferenceRequest request = request("chat", "x").build();
    assertThat(estimator.score(request, 100, 512).output()).isZero();
    assertThat(estimator.score(request, 100, 16_384).output()).isEqualTo(1.0);
  }

  @Test
  void countsDistinctFilesAndModulesButNotUrls() {
    ComplexityEstimator.Score score = score("chat", "Change src/main/App.java and App.java, then Db.sql, "
        + "src/main/App.java again, and config.yaml. See https://example.com/docs/page.html. Also README.md.");
    // src/main/App.java, App.java, Db.sql, config.yaml, README.md = 5 distinct (URL ignored)
    assertThat(score.files()).isCloseTo(5 / 6.0, within(1e-9));
  }

  @Test
  void countsFencedCodeBlocks() {
    String twoBlocks = "first\n```java\nint a;\n```\nsecond\n```\nb\n```\n";
    assertThat(score("chat", twoBlocks).code()).isCloseTo(2 / 3.0, within(1e-9));
    assertThat(score("chat", "inline `code` only").code()).isZero();
  }

  @Test
  void countsDistinctIntegrationPoints() {
    assertThat(score("chat", "Add an API endpoint with OAuth and a database migration").integrations()).isEqualTo(1.0);
    assertThat(score("chat", "Call the API. The API again.").integrations()).isEqualTo(0.25);
    assertThat(score("chat", "Rename a variable").integrations()).isZero();
  }

  @Test
  void countsReasoningKeywordsAndTwoWordPhrases() {
    assertThat(score("chat", "Find the root cause").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "Weigh the trade-off of this design").reasoning()).isEqualTo(0.5);
    assertThat(score("chat", "the root. cause").reasoning()).isZero();
  }

  @Test
  void aTwoWordPhraseMatchesAcrossALineBreak() {
    assertThat(score("chat", "Find the root\ncause").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "Find the root\r\ncause").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "every edge\ncase").reasoning()).isEqualTo(0.25);
  }

  @Test
  void singularPluralAndVerbFormsOfAnIntegrationPointCountOnce() {
    assertThat(score("chat", "the API and the APIs").integrations()).isEqualTo(0.25);
    assertThat(score("chat", "migrate: one migration, then the migrations").integrations()).isEqualTo(0.25);
    assertThat(score("chat", "schema schemas queue queues").integrations()).isEqualTo(0.5);
    assertThat(score("chat", "endpoint endpoints payment payments webhook webhooks").integrations()).isEqualTo(0.75);
    assertThat(score("chat", "database databases integration integrations").integrations()).isEqualTo(0.5);
  }

  @Test
  void variantsOfAReasoningKeywordCountOnce() {
    assertThat(score("chat", "tradeoff, tradeoffs, trade-off, trade offs").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "an edge case and more edge cases").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "invariant invariants").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "optimize or optimise").reasoning()).isEqualTo(0.25);
    assertThat(score("chat", "analyze, analyse, analysis").reasoning()).isEqualTo(0.25);
  }

  @Test
  void whyIsTooCommonToSignalReasoning() {
    assertThat(score("chat", "why is the build red?").reasoning()).isZero();
  }

  @Test
  void isDeterministicAndInTheUnitInterval() {
    String prompt = RoutingEngineTest.complexPrompt();
    ComplexityEstimator.Score first = estimator.score(request("research", prompt).build(), 50_000, 50_000);
    ComplexityEstimator.Score second = estimator.score(request("research", prompt).build(), 50_000, 50_000);
    assertThat(first).isEqualTo(second);
    assertThat(first.value()).isBetween(0.0, 1.0);
    assertThat(score("hookActions", "ok").value()).isBetween(0.0, 0.1);
  }

  @Test
  void scoreIsTheWeightedSumOfItsFeatures() {
    ComplexityEstimator.Score s = score("codeReview", "Review the API and the design of src/a.java ```x```");
    double expected = 0.30 * s.prior() + 0.15 * s.size() + 0.10 * s.output() + 0.15 * s.files() + 0.10 * s.code()
        + 0.10 * s.integrations() + 0.10 * s.reasoning();
    assertThat(s.value()).isCloseTo(expected, within(1e-12));
    assertThat(s.describe()).startsWith(String.format(java.util.Locale.ROOT, "%.2f (prior 0.50", s.value()));
  }
}
