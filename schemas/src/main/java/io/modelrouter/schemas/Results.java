package io.modelrouter.schemas;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.TokenUsage;
import java.time.Instant;
import java.util.List;

/**
 * Builds {@link InferenceResult}s the same way in the router (REJECTED, PAUSED) and the worker (answers, FAILED): the
 * request's identity copied over, and everything not known yet empty (no model or content, zero usage and cost, no
 * attempts), so each caller sets only what its outcome adds.
 */
public final class Results {
  private Results() {}

  /**
   * A builder for the result of {@code request}, under these ids (a request that lacks its own, or could not be
   * decoded, is answered under the ones its caller derives). {@code request} may be null.
   */
  public static InferenceResult.Builder of(String requestId, String teamId, InferenceRequest request) {
    return InferenceResult.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setPipelineId(request == null ? null : request.getPipelineId())
        .setSessionId(request == null ? null : request.getSessionId())
        .setTaskType(request == null ? null : request.getTaskType())
        .setProfile(null)
        .setProvider(null)
        .setModel(null)
        .setContent(null)
        .setStopReason(null)
        .setUsage(new TokenUsage(0L, 0L, 0L, 0L, 0L, false))
        .setCostMicros(0)
        .setCreditsMicros(0)
        .setAttempts(List.of())
        .setRoutingReason(null)
        .setPolicyVersion(null)
        .setErrorCode(null)
        .setErrorMessage(null)
        .setLatencyMs(0)
        .setSimulated(false)
        .setCompletedAt(null)
        .setMetadata(request == null || request.getMetadata() == null ? java.util.Map.of() : request.getMetadata());
  }

  /** A builder for the result of {@code request} under its own ids. */
  public static InferenceResult.Builder of(InferenceRequest request) {
    return of(request.getRequestId(), request.getTeamId(), request);
  }

  /**
   * A result that carries no answer: {@code status} (REJECTED, PAUSED, FAILED ...) with a stable error code and a
   * message, the routing reason and policy version so far, completed {@code now}.
   */
  public static InferenceResult unanswered(String requestId, String teamId, InferenceRequest request,
      ResultStatus status, String code, String message, String routingReason, String policyVersion, long latencyMs,
      Instant now) {
    return of(requestId, teamId, request)
        .setStatus(status)
        .setErrorCode(code)
        .setErrorMessage(message)
        .setRoutingReason(routingReason)
        .setPolicyVersion(policyVersion)
        .setLatencyMs(latencyMs)
        .setCompletedAt(now)
        .build();
  }

  /** Milliseconds from the request's creation to {@code now}; 0 when it has no creation time or a later one. */
  public static long latencyMs(InferenceRequest request, Instant now) {
    return request == null || request.getCreatedAt() == null ? 0
        : Math.max(0, now.toEpochMilli() - request.getCreatedAt().toEpochMilli());
  }
}
