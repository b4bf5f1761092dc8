package io.modelrouter.aggregator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregatorConfigTest {

  @Test
  void aGraceShorterThanTheShortestDayIsAccepted() {
    AggregatorConfig config = new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "PT22H59M")));

    assertThat(config.grace()).isEqualTo(Duration.ofHours(22).plusMinutes(59));
  }

  @Test
  void aGraceOfADayIsRefusedWithTheKeyAndValue() {
    // A day of grace would let late usage of a window the team has forgotten the alerts of raise them again
    assertThatThrownBy(() -> new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "86400000"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aggregator.grace")
        .hasMessageContaining("less than 23 hours")
        .hasMessageContaining("PT24H (86400000 ms)");
  }

  @Test
  void aGraceOfTwentyThreeHoursIsRefused() {
    // On the day clocks go forward a day has 23 hours: such a grace would reach into the day after next
    assertThatThrownBy(() -> new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "PT23H"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aggregator.grace");
  }

  @Test
  void aNegativeGraceIsRefused() {
    assertThatThrownBy(() -> new AggregatorConfig(Settings.of(Map.of("aggregator.grace", "-1000"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aggregator.grace")
        .hasMessageContaining("got PT-1S");
  }
}
