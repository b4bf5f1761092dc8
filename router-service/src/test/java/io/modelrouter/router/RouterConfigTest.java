package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.config.Settings;
import io.modelrouter.router.internal.RouterProcessingExceptionHandler;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class RouterConfigTest {

  @Test
  void exactlyOnceV2IsTheDefaultProcessingGuarantee() {
    Properties props = new RouterConfig(Settings.of(Map.of())).streamsProperties();
    assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2)
        .isEqualTo("exactly_once_v2");
  }

  @Test
  void atLeastOnceIsAllowedAndAnythingElseIsRefusedByName() {
    assertThat(new RouterConfig(Settings.of(Map.of("router.processing.guarantee", "at_least_once")))
        .streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("at_least_once");
    assertThatThrownBy(() -> new RouterConfig(Settings.of(Map.of("router.processing.guarantee", "exactly_once"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("router.processing.guarantee (MR_ROUTER_PROCESSING_GUARANTEE) must be one of exactly_once_v2, "
            + "at_least_once, got 'exactly_once'");
  }

  @Test
  void unexpectedProcessingErrorsGoToTheRoutersHandler() {
    Properties props = new RouterConfig(Settings.of(Map.of())).streamsProperties();
    assertThat(props.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(RouterProcessingExceptionHandler.class);
    // and Kafka Streams accepts it as its handler
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-config-test");
    props.putIfAbsent(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    assertThat(new StreamsConfig(props).processingExceptionHandler())
        .isInstanceOf(RouterProcessingExceptionHandler.class);
  }
}
