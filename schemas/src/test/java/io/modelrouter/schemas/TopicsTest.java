package io.modelrouter.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import org.junit.jupiter.api.Test;

class TopicsTest {

  private final TopicsConfig config = TopicsConfig.builder()
      .serde(AvroSerdeConfig.forUrl("mock://topics"))
      .client(new InMemorySchemaRegistryClient())
      .build();

  @Test
  void namesEveryTopicOfTheDesign() {
    Topics topics = Topics.create(config);
    assertThat(topics.all()).extracting(Topic::name).containsExactly(
        "llm.requests", "llm.requests.routed", "llm.requests.routed.batch", "llm.batch.requests", "llm.batch.state",
        "llm.results", "llm.usage",
        "llm.usage.totals",
        "llm.budget.policies", "llm.routing.policies", "llm.models", "llm.budget.actions", "llm.budget.alerts",
        "llm.feedback", "llm.shadow.results", "llm.router.models", "llm.router.model.pins", "llm.admin.changes",
        "llm.dlq");
  }

  @Test
  void tablesAreCompactedAndStreamsAreNot() {
    Topics topics = Topics.create(config);
    assertThat(topics.all()).filteredOn(Topic::compacted).extracting(Topic::name).containsExactlyInAnyOrder(
        "llm.usage.totals", "llm.budget.policies", "llm.routing.policies", "llm.models", "llm.budget.actions",
        "llm.router.models", "llm.router.model.pins", "llm.batch.state");
    assertThat(topics.all()).filteredOn(Topic::global).extracting(Topic::name)
        .containsExactlyInAnyOrder("llm.routing.policies", "llm.models", "llm.router.models",
            "llm.router.model.pins");
  }

  @Test
  void registersEveryAvroTopicsValueSchemaSoThatUseLatestClientsFindThem() {
    InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    Topics topics = Topics.create(TopicsConfig.builder().serde(config.serde()).client(registry).build());

    assertThat(topics.registerValueSchemas()).hasSize(18).contains("llm.requests-value", "llm.results-value",
        "llm.batch.requests-value", "llm.batch.state-value",
        "llm.requests.routed.batch-value",
        "llm.feedback-value", "llm.router.models-value", "llm.router.model.pins-value", "llm.admin.changes-value");

    assertThat(registry.latest("llm.requests-value").schema()).isEqualTo(InferenceRequest.getClassSchema());
    // the id the serializer then writes with is the one registered
    byte[] bytes = topics.requests().serializeValue(SampleRecords.request("r-1", "team-a"));
    assertThat(io.modelrouter.schemas.serde.WireFormat.schemaId("t", bytes))
        .isEqualTo(registry.latest("llm.requests-value").id());
  }

  @Test
  void registersNothingWhenAutoRegistrationIsOff() {
    InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    Topics topics = Topics.create(TopicsConfig.builder()
        .serde(AvroSerdeConfig.from(java.util.Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, "mock://topics-off",
            AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false")))
        .client(registry).build());

    assertThat(topics.registerValueSchemas()).isEmpty();
    assertThat(registry.state().subjects(true)).isEmpty();
  }

  @Test
  void aPrefixIsAppliedToEveryName() {
    Topics topics = Topics.create(TopicsConfig.builder().serde(config.serde()).client(config.client())
        .prefix("it-42.").build());
    assertThat(topics.all()).allSatisfy(t -> assertThat(t.name()).startsWith("it-42.llm."));
  }

  @Test
  void anIllegalPrefixIsRefusedAndShown() {
    assertThatThrownBy(() -> TopicsConfig.builder().serde(config.serde()).prefix("a b").build())
        .hasMessageContaining("got 'a b'");
  }

  @Test
  void topicSerdesRoundTripTheirRecords() {
    Topics topics = Topics.create(config);
    InferenceRequest request = SampleRecords.request("r-1", "team-a");
    byte[] bytes = topics.requests().serializeValue(request);
    assertThat(topics.requests().deserializeValue(bytes)).isEqualTo(request);
    assertThat(topics.requests().deserializeKey(topics.requests().serializeKey("team-a"))).isEqualTo("team-a");
  }
}
