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

  @Test
  void aStreamThreadHoldsFewRecordsBetweenCommitsUnlessTheOperatorSaysOtherwise() {
    Properties props = new RouterConfig(Settings.of(Map.of())).streamsProperties();
    assertThat(props.get(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG)).isEqualTo(50);
    assertThat(props.get("main.consumer.max.poll.records")).isEqualTo(100);
    // Kafka Streams reads them as the main consumer's and the tasks' settings
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-config-test");
    props.putIfAbsent(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    StreamsConfig config = new StreamsConfig(props);
    assertThat(config.getMainConsumerConfigs("group", "client", 0).get("max.poll.records")).isEqualTo(100);

    Properties overridden = new RouterConfig(Settings.of(Map.of("kafka.buffered.records.per.partition", "1000",
        "kafka.consumer.max.poll.records", "2000"))).streamsProperties();
    assertThat(overridden.get(StreamsConfig.BUFFERED_RECORDS_PER_PARTITION_CONFIG)).isEqualTo("1000");
    assertThat(overridden.get("main.consumer.max.poll.records")).isNull();
    overridden.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-config-test");
    assertThat(new StreamsConfig(overridden).getMainConsumerConfigs("group", "client", 0).get("max.poll.records"))
        .isEqualTo(2000);
  }
}
