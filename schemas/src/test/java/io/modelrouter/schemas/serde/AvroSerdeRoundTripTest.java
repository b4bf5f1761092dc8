package io.modelrouter.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AvroSerdeRoundTripTest {

  static Stream<Arguments> everyRecordType() {
    return SampleRecords.all().stream().map(r -> Arguments.of(Named.of(r.getClass().getSimpleName(), r)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("everyRecordType")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void roundTripsEveryRecordTypeUnchanged(SpecificRecord record) {
    // Given a serde for the record's class on an in-memory registry
    InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    AvroSerdeConfig config = AvroSerdeConfig.forUrl("mock://round-trip");
    AvroSerde serde = AvroSerde.forValues(record.getClass(), registry, config);

    // When it is written and read back
    byte[] bytes = serde.serializer().serialize("llm.test", record);
    Object back = serde.deserializer().deserialize("llm.test", bytes);

    // Then it is equal, and its schema was registered under the topic's value subject
    assertThat(back).isEqualTo(record);
    assertThat(registry.latest("llm.test-value").schema()).isEqualTo(record.getSchema());
  }
}
