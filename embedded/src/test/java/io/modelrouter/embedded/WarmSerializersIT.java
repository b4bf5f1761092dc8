package io.modelrouter.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import org.junit.jupiter.api.Test;

/**
 * A service that looked its schema ids up at start writes a record type for the first time while the registry is
 * down (the router's first PAUSED result in a registry outage used to fail its stream thread until the registry was
 * back), also of a record type nobody had written yet; a process that did not warm up needs the registry.
 */
@IntegrationTest
class WarmSerializersIT {

  @Test
  void aWarmedSerializerWritesItsFirstRecordWithoutTheRegistry(KafkaStack stack) {
    String prefix = stack.uniqueName("warm") + ".";
    EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(stack.bootstrapServers())
        .topic(stack.uniqueName("_schemas")).build();
    try {
      // an earlier process registered the results' schema (its first write)
      Topics earlier = Topics.create(TopicsConfig.builder().prefix(prefix)
          .serde(AvroSerdeConfig.forUrl(registry.url())).build());
      String earlierUrl = registry.url();
      InferenceResult result = SampleRecords.result();
      byte[] written = earlier.results().serializeValue(result);

      // this process starts while the registry is up, and looks the ids up
      Topics service = Topics.create(TopicsConfig.builder().prefix(prefix)
          .serde(AvroSerdeConfig.forUrl(registry.url())).build());
      assertThat(service.warmSerializers()).isEqualTo(service.all().stream()
          .filter(t -> t.valueSerde() instanceof io.modelrouter.schemas.serde.AvroSerde<?>).count());
      registry.close();
      registry = null;

      // then writes its first result during the outage, with the id the earlier process got: no registry needed;
      // and a record type nobody had written before (registered at the warm-up, as its first write would have)
      assertThat(service.results().serializeValue(result)).isEqualTo(written);
      RoutedRequest routed = SampleRecords.routed();
      assertThat(service.routed().serializeValue(routed)).isNotEmpty();
      // a process that did not warm up needs the registry for its first write
      Topics cold = Topics.create(TopicsConfig.builder().prefix(prefix)
          .serde(AvroSerdeConfig.forUrl(earlierUrl)).build());
      assertThatThrownBy(() -> cold.routed().serializeValue(routed)).isInstanceOf(SchemaSerdeException.class);
    } finally {
      if (registry != null) {
        registry.close();
      }
    }
  }
}
