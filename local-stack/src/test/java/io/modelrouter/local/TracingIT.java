package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.client.RouterClient;
import io.modelrouter.embedded.junit.IntegrationTest;
import io.modelrouter.embedded.junit.KafkaStack;
import io.modelrouter.router.RouterService;
import io.modelrouter.runtime.Tracing;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.Topics;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One request followed end to end: the pipeline's span (through the client SDK), the router's decision, the worker's
 * request and provider call (OpenTelemetry GenAI attributes), and the aggregation of its usage, all in one trace
 * carried by {@code traceparent} headers over the Kafka hops; a request produced without one starts its trace at the
 * router. The spans are collected in memory, as an OTLP exporter would receive them.
 */
@IntegrationTest
class TracingIT {
  private static final String PROMPT = "Summarise the incident report for the payments outage.";
  private final List<SpanData> spans = new CopyOnWriteArrayList<>();

  /** Keeps every span it is given. */
  private final SpanExporter memory = new SpanExporter() {
    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  };

  @AfterEach
  void uninstall() {
    Tracing.installForTests(null);
    GlobalOpenTelemetry.resetForTest();
  }

  @Test
  void oneRequestIsOneTraceAcrossClientRouterWorkerAndAggregator(KafkaStack stack, @TempDir Path state)
      throws Exception {
    Tracing.installForTests(SimpleSpanProcessor.create(memory));
    // the pipeline's own OpenTelemetry, as an application sets it up; the client SDK uses the global one
    OpenTelemetrySdk pipeline = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(memory)).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .buildAndRegisterGlobal();
    String prefix = stack.uniqueName("tracing") + ".";
    Topics topics = stack.createTopics(prefix, 2);
    String traceId;
    InferenceResult result;
    try (TestServices services = new TestServices(stack, prefix, 2, state)) {
      services.aggregator(Map.of());
      RouterService router = services.router("r1", Map.of());
      services.worker(Map.of("worker.simulate", "all", "simulator.latency", "10"));
      await().atMost(Duration.ofSeconds(60)).until(() -> router.state() == KafkaStreams.State.RUNNING);

      // When the pipeline submits a request inside its own span, and another request arrives without a trace
      InferenceRequest traced = SampleRecords.request("traced-1", "team-t");
      traced.setDeadline(null);
      traced.getMessages().get(0).setContent(PROMPT);
      Span step = pipeline.getTracer("pipeline").spanBuilder("pipeline step").startSpan();
      try (RouterClient client = RouterClient.builder().bootstrapServers(stack.bootstrapServers())
          .schemaRegistryUrl(stack.registryUrl()).topicPrefix(prefix).defaultTimeout(Duration.ofSeconds(60))
          .build(); Scope scope = step.makeCurrent()) {
        result = client.submit(traced).get();
      } finally {
        step.end();
      }
      traceId = step.getSpanContext().getTraceId();
      InferenceRequest untraced = SampleRecords.request("untraced-1", "team-t");
      untraced.setDeadline(null);
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
          stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(topics.requests().name(), "team-t",
            topics.requests().serializeValue(untraced))).get();
      }
      assertThat(result.getStatus()).isEqualTo(ResultStatus.OK);
      await().atMost(Duration.ofSeconds(60)).until(() -> named("aggregate usage", traceId).size() >= 1
          && spans.stream().filter(s -> s.getName().equals("execute")).count() >= 2);
    }

    // Then the traced request's spans form one tree: pipeline step → route → execute → chat, and usage aggregation
    SpanData root = named("pipeline step", traceId).get(0);
    SpanData route = only("route", traceId);
    SpanData execute = only("execute", traceId);
    SpanData chat = spans.stream().filter(s -> s.getTraceId().equals(traceId) && s.getName().startsWith("chat "))
        .findFirst().orElseThrow();
    SpanData aggregate = named("aggregate usage", traceId).get(0);
    assertThat(route.getParentSpanId()).isEqualTo(root.getSpanId());
    assertThat(execute.getParentSpanId()).isEqualTo(route.getSpanId());
    assertThat(chat.getParentSpanId()).isEqualTo(execute.getSpanId());
    assertThat(aggregate.getParentSpanId()).isEqualTo(execute.getSpanId());

    assertThat(route.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(route.getAttributes().get(AttributeKey.stringKey("model_router.outcome"))).isEqualTo("routed");
    assertThat(route.getAttributes().get(AttributeKey.stringKey("model_router.profile"))).isEqualTo(result.getProfile());
    assertThat(route.getAttributes().get(AttributeKey.stringKey("model_router.reason_kind"))).isNotBlank();
    assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.operation.name"))).isEqualTo("chat");
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo(result.getProvider());
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model"))).isEqualTo(result.getModel());
    assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.response.model"))).isEqualTo(result.getModel());
    assertThat(chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens")))
        .isEqualTo(result.getUsage().getInputTokens());
    assertThat(chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens")))
        .isEqualTo(result.getUsage().getOutputTokens());
    assertThat(chat.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
        .containsExactly(result.getStopReason());
    assertThat(aggregate.getAttributes().get(AttributeKey.stringKey("model_router.request_id"))).isEqualTo("traced-1");

    // and the prompt is in no span
    assertThat(spans).allSatisfy(s -> assertThat(s.getAttributes().asMap().values())
        .noneMatch(v -> String.valueOf(v).contains("incident report")));

    // A request that came without a trace starts one at the router
    SpanData untracedExecute = spans.stream().filter(s -> s.getName().equals("execute")
        && "untraced-1".equals(s.getAttributes().get(AttributeKey.stringKey("model_router.request_id"))))
        .findFirst().orElseThrow();
    SpanData untracedRoute = spans.stream().filter(s -> s.getSpanId().equals(untracedExecute.getParentSpanId()))
        .findFirst().orElseThrow();
    assertThat(untracedRoute.getName()).isEqualTo("route");
    assertThat(untracedRoute.getParentSpanContext().isValid()).isFalse();
    assertThat(untracedRoute.getTraceId()).isNotEqualTo(traceId);
  }

  private List<SpanData> named(String name, String traceId) {
    return spans.stream().filter(s -> s.getName().equals(name) && s.getTraceId().equals(traceId)).toList();
  }

  private SpanData only(String name, String traceId) {
    List<SpanData> found = named(name, traceId);
    assertThat(found).as(name).hasSize(1);
    return found.get(0);
  }
}
