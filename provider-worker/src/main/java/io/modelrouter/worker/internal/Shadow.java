package io.modelrouter.worker.internal;

import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.schemas.Results;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadow evaluation in the worker: the request as routed, sent to the decision's shadow model alone (no fallback),
 * its usage events tagged {@code shadow} and numbered apart from the real calls ({@code ...@shadow-<execution>}),
 * its answer for {@code llm.shadow.results}. A shadow call that fails is a FAILED shadow result; it never touches
 * the real result.
 */
final class Shadow {
  private static final Logger LOG = LoggerFactory.getLogger(Shadow.class);

  private Shadow() {}

  static InferenceResult execute(RequestExecutor executor, RoutedRequest routed, String execution,
      RequestExecutor.UsageSink sink) {
    RoutingDecision real = routed.getDecision();
    ModelRef shadow = real.getShadow();
    RoutingDecision decision = RoutingDecision.newBuilder(real)
        .setModel(shadow.getModel())
        .setProvider(shadow.getProvider())
        .setProviderModelId(shadow.getProviderModelId())
        .setFallbacks(List.of())
        .setShadow(null)
        .setReason("shadow of " + real.getModel() + ": " + real.getReason())
        .build();
    return executor.execute(new RoutedRequest(routed.getRequest(), decision), "shadow-" + execution,
        new RequestExecutor.UsageSink() {
          @Override
          public void started(io.modelrouter.avro.UsageEvent estimate) {
            estimate.setShadow(true);
            sink.started(estimate);
          }

          @Override
          public void accept(io.modelrouter.avro.UsageEvent event) {
            event.setShadow(true);
            sink.accept(event);
          }
        }).result();
  }

  /** The shadow's result; a shadow call that threw is answered FAILED rather than failing the request. */
  static InferenceResult await(Future<InferenceResult> shadow, RoutedRequest routed) {
    try {
      return shadow.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return failed(routed, e);
    } catch (ExecutionException e) {
      LOG.warn("shadow call of request {} failed inside the worker: {}", routed.getRequest().getRequestId(),
          DeadLetters.describe(e.getCause()));
      return failed(routed, e.getCause() instanceof Exception cause ? cause : e);
    }
  }

  private static InferenceResult failed(RoutedRequest routed, Exception error) {
    return Results.unanswered(routed.getRequest().getRequestId(), routed.getRequest().getTeamId(),
        routed.getRequest(), ResultStatus.FAILED, "INTERNAL_ERROR", DeadLetters.describe(error),
        "shadow of " + routed.getDecision().getModel(), routed.getDecision().getPolicyVersion(), 0,
        java.time.Instant.now());
  }
}
