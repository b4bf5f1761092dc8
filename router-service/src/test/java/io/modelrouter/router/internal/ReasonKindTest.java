package io.modelrouter.router.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReasonKindTest {

  @Test
  void theLastStepThatChangedTheChoiceNamesTheReason() {
    assertThat(ReasonKind.of("routing table: interactiveChat → fast")).isEqualTo("table");
    assertThat(ReasonKind.of("routing table: implementation → primary; budget RESTRICT: primary → fast"))
        .isEqualTo("restrict");
    assertThat(ReasonKind.of("pinned model claude-opus-4-1")).isEqualTo("pin");
    assertThat(ReasonKind.of("routing table: implementation → primary; complexity 0.12 < 0.30: demoted primary → fast"))
        .isEqualTo("demoted");
    assertThat(ReasonKind.of("routing table: research → frontier; tier free: frontier not allowed → fast"))
        .isEqualTo("tier");
  }

  @Test
  void annotationsDoNotChangeTheReason() {
    assertThat(ReasonKind.of("routing table: codeReview → primary; complexity 0.10 < 0.30, but codeReview is never "
        + "demoted; budget NOTIFY: 80% of daily input")).isEqualTo("table");
    assertThat(ReasonKind.of("routing table: planning → frontier; maxTokens 64,000 capped at m's limit 32,000"))
        .isEqualTo("table");
  }

  @Test
  void unknownOrEmptyReasonsAreOther() {
    assertThat(ReasonKind.of("")).isEqualTo("other");
    assertThat(ReasonKind.of(null)).isEqualTo("other");
    assertThat(ReasonKind.of("something new")).isEqualTo("other");
  }
}
