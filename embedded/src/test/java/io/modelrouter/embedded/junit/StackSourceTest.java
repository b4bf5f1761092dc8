package io.modelrouter.embedded.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StackSourceTest {

  @Test
  void theInProcessStackIsTheDefault() {
    assertThat(StackSource.parse(null)).isEqualTo(StackSource.EMBEDDED);
    assertThat(StackSource.parse(" ")).isEqualTo(StackSource.EMBEDDED);
    assertThat(StackSource.parse("embedded")).isEqualTo(StackSource.EMBEDDED);
  }

  @Test
  void containersAreChosenByName() {
    assertThat(StackSource.parse("containers")).isEqualTo(StackSource.CONTAINERS);
    assertThat(StackSource.parse(" Containers ")).isEqualTo(StackSource.CONTAINERS);
  }

  @Test
  void anythingElseIsRefusedSayingWhatIsAccepted() {
    assertThatThrownBy(() -> StackSource.parse("docker"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-Dstack (or MR_TEST_STACK) must be embedded or containers, got 'docker'");
  }

  @Test
  void withoutDockerTheContainersFailAtOnceInOneLine() {
    assertThatThrownBy(() -> ContainerStack.requireDocker(() -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("-Dstack=containers needs a Docker engine and none answers")
        .hasMessageNotContaining("\n");
    ContainerStack.requireDocker(() -> true);
  }
}
