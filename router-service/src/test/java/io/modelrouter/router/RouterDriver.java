package io.modelrouter.router;

import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The router topology (shipped policy and catalog, admission control on) in a TopologyTestDriver with an in-memory
 * registry, the topics the router tests feed and read, and helpers to feed them.
 */
final class RouterDriver implements AutoCloseable {
  final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
  final Topics topics;
  final TopologyTestDriver driver;
  final TestInputTopic<String, byte[]> requests;
  final TestInputTopic<String, byte[]> policies;
  final TestInputTopic<String, byte[]> models;
  final TestInputTopic<String, byte[]> actions;
  final TestOutputTopic<String, RoutedRequest> routed;
  final TestOutputTopic<String, InferenceResult> results;
  final TestOutputTopic<byte[], byte[]> dlq;

  RouterDriver(String name) {
    this(name, RouterTopology.DEFAULT_ADMISSION);
  }

  /**
   * With the routing table's strategy ({@code hybrid}, the shipped default until 2026-12-07) as the built-in policy:
   * these tests are about the topology, and read their expected profiles off the table.
   */
  RouterDriver(String name, RouterConfig.Admission admission) {
    this(name, admission, DefaultPolicies.hybridRoutingPolicy());
  }

  RouterDriver(String name, RouterConfig.Admission admission, RoutingPolicy builtIn) {
    topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl("mock://" + name)).client(registry)
        .build());
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, name);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(RouterTopology.buildTopology(topics, builtIn, DefaultPolicies.catalogById(), admission), props, Requests.NOW);
    requests = input(topics.requests().name());
    policies = input(topics.routingPolicies().name());
    models = input(topics.models().name());
    actions = input(topics.budgetActions().name());
    routed = driver.createOutputTopic(topics.routed().name(), new StringDeserializer(),
        topics.routed().valueSerde().deserializer());
    results = driver.createOutputTopic(topics.results().name(), new StringDeserializer(),
        topics.results().valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.dlq().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private TestInputTopic<String, byte[]> input(String name) {
    return driver.createInputTopic(name, new StringSerializer(), new ByteArraySerializer());
  }

  /** Produces the request keyed by its team, as pipelines do. */
  void send(InferenceRequest request) {
    requests.pipeInput(request.getTeamId(), topics.requests().serializeValue(request));
  }

  /** Publishes team-a's budget state on {@code llm.budget.actions}, as the aggregator does. */
  void budgetState(BudgetState state, String reason) {
    actions.pipeInput("team-a", topics.budgetActions().serializeValue(action(state, reason)));
  }

  static BudgetAction action(BudgetState state, String reason) {
    return BudgetAction.newBuilder()
        .setTeamId("team-a")
        .setState(state)
        .setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22")
        .setMetric("inputTokens")
        .setUsage(400_000)
        .setLimit(500_000)
        .setFraction(0.8)
        .setDailyState(state)
        .setMonthlyState(BudgetState.NORMAL)
        .setReason(reason)
        .setSince(Instant.parse("2026-11-22T09:00:00Z"))
        .setPolicyVersion(1)
        .setManualReset(false)
        .build();
  }

  @Override
  public void close() {
    driver.close();
  }
}
