package io.modelrouter.router.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RoutingStepsTest {

  @Test
  void theReasonIsEveryStepsTextJoinedInOrder() {
    RoutingSteps steps = new RoutingSteps()
        .add(RoutingStep.Kind.TABLE, "routing table: implementation → primary")
        .note("budget NOTIFY: daily inputTokens at 52%")
        .add(RoutingStep.Kind.RESTRICT, "budget RESTRICT: primary → fast");
    assertThat(steps.text()).isEqualTo("routing table: implementation → primary; budget NOTIFY: daily inputTokens at "
        + "52%; budget RESTRICT: primary → fast");
    assertThat(steps.kind()).isEqualTo(RoutingStep.Kind.RESTRICT);
  }

  @Test
  void notesDoNotChangeTheKind() {
    RoutingSteps steps = new RoutingSteps()
        .add(RoutingStep.Kind.PIN, "pinned model claude-opus-4-1")
        .note("maxTokens 64,000 capped at claude-opus-4-1's limit 32,000");
    assertThat(steps.kind()).isEqualTo(RoutingStep.Kind.PIN);
    assertThat(steps.text()).isEqualTo("pinned model claude-opus-4-1; maxTokens 64,000 capped at claude-opus-4-1's "
        + "limit 32,000");
  }

  @Test
  void noChoosingStepHasNoKindAndAnEmptyReasonIsEmpty() {
    assertThat(new RoutingSteps().kind()).isNull();
    assertThat(new RoutingSteps().text()).isEmpty();
    assertThat(new RoutingSteps().note("only a note").kind()).isNull();
  }

  @Test
  void labelsAreTheMetricValuesDashboardsAlreadyUse() {
    assertThat(RoutingStep.Kind.TABLE.label()).isEqualTo("table");
    assertThat(RoutingStep.Kind.DEFAULT.label()).isEqualTo("default");
    assertThat(RoutingStep.Kind.PROMOTED.label()).isEqualTo("promoted");
    assertThat(RoutingStep.Kind.RESTRICT.label()).isEqualTo("restrict");
    assertThat(RoutingStep.Kind.CONTEXT.label()).isEqualTo("context");
    assertThat(new RouteOutcome.Routed(null, null).reasonLabel()).isEqualTo("other");
  }
}
