package io.modelrouter.runtime;

import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * OpenTelemetry tracing across the Kafka hops: W3C {@code traceparent} (and {@code tracestate}) in record headers,
 * read by each service to continue the request's trace and written on what it produces. Off by default: without
 * {@code tracing.otlp.endpoint} a service uses OpenTelemetry's no-op implementation, whose spans cost a few
 * allocations, and writes no header. Prompt and completion text never go into a span.
 */
public final class Tracing {
  public static final Setting<String> OTLP_ENDPOINT = io.modelrouter.config.CommonSettings.TRACING_OTLP_ENDPOINT;

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  /** A processor tests install to see the spans of services they start in-process; null otherwise. */
  private static volatile SpanProcessor testProcessor;

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;
  private final boolean enabled;

  private Tracing(OpenTelemetry openTelemetry, boolean enabled) {
    this.openTelemetry = openTelemetry;
    this.tracer = openTelemetry.getTracer("io.modelrouter");
    this.enabled = enabled;
  }

  /** Tracing as the settings say: spans to the OTLP endpoint, or off. */
  public static Tracing create(Settings settings, String service) {
    String endpoint = settings.get(OTLP_ENDPOINT);
    List<SpanProcessor> processors = new ArrayList<>();
    if (endpoint != null && !endpoint.isBlank()) {
      processors.add(BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint.trim()).build())
          .build());
    }
    SpanProcessor forTests = testProcessor;
    if (forTests != null) {
      processors.add(forTests);
    }
    if (processors.isEmpty()) {
      return new Tracing(OpenTelemetry.noop(), false);
    }
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), service))))
        .addSpanProcessor(SpanProcessor.composite(processors))
        .build();
    return new Tracing(OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3C)).build(), true);
  }

  /** Tracing off: no spans kept, no headers written. */
  public static Tracing disabled() {
    return new Tracing(OpenTelemetry.noop(), false);
  }

  /** Tests: every service created after this also hands its spans to {@code processor} (null: none). */
  public static void installForTests(SpanProcessor processor) {
    testProcessor = processor;
  }

  public Tracer tracer() {
    return tracer;
  }

  public boolean enabled() {
    return enabled;
  }

  /** The trace context the record's headers carry (the root context when none). */
  public Context extract(Headers headers) {
    if (!enabled || headers == null) {
      return Context.root();
    }
    return W3C.extract(Context.root(), headers, GETTER);
  }

  /** Writes the context's {@code traceparent} (and {@code tracestate}) into the headers, replacing earlier ones. */
  public void inject(Context context, Headers headers) {
    if (!enabled || headers == null) {
      return;
    }
    W3C.fields().forEach(headers::remove);
    W3C.inject(context, headers, SETTER);
  }

  public void close() {
    if (openTelemetry instanceof OpenTelemetrySdk sdk) {
      sdk.getSdkTracerProvider().forceFlush();
      sdk.close();
    }
  }

  private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers carrier) {
      List<String> keys = new ArrayList<>();
      for (Header header : carrier) {
        keys.add(header.key());
      }
      return keys;
    }

    @Override
    public String get(Headers carrier, String key) {
      Header header = carrier == null ? null : carrier.lastHeader(Objects.requireNonNull(key));
      return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
  };

  private static final TextMapSetter<Headers> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.add(key, value.getBytes(StandardCharsets.UTF_8));
    }
  };
}
