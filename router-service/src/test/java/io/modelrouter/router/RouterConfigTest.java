package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.config.Settings;
import io.modelrouter.router.internal.RouterProcessingExceptionHandler;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class RouterConfigTest {

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
