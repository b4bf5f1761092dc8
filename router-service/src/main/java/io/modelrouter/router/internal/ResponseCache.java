package io.modelrouter.router.internal;

import io.modelrouter.avro.CachedResponse;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.PendingResponse;
import io.modelrouter.avro.ResponseCaching;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.schemas.Results;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The response cache of a routing policy's {@code responseCache}: per team, an answer is kept for {@code ttlSeconds}
 * under the fingerprint of what decides it (the model the router chose, its max tokens and temperature, the system
 * prompt, messages, tools, tool choice, response format and stop sequences; not the ids, session, metadata, priority
 * or deadline), and a later identical request of the same team is answered with it by the router: no provider call,
 * no usage, its result saying whose answer it is and what it saved.
 *
 * <p>A routed request that may be cached leaves a pending entry (by request id); when its result comes back on
 * {@code llm.results} (read by the ledger processor, co-partitioned by team) and is OK, the answer is kept. Both
 * stores are the router's, keyed by team or request id in the team's partition, in the same exactly-once
 * transactions as the decisions. Keys start with the team: nothing is ever shared across teams.
 */
final class ResponseCache {
  private static final SpecificDatumWriter<InferenceRequest> WRITER =
      new SpecificDatumWriter<>(InferenceRequest.class);
  private static final TokenUsage NO_USAGE = new TokenUsage(0L, 0L, 0L, 0L, 0L, false);

  private final KeyValueStore<String, CachedResponse> answers;
  private final KeyValueStore<String, PendingResponse> pending;

  ResponseCache(KeyValueStore<String, CachedResponse> answers, KeyValueStore<String, PendingResponse> pending) {
    this.answers = answers;
    this.pending = pending;
  }

  /** Whether the policy caches this request: its task type is listed (or none is), and temperature 0 (or any). */
  static boolean cacheable(ResponseCaching policy, InferenceRequest request, RoutingDecision decision) {
    if (policy == null) {
      return false;
    }
    if (!policy.getTaskTypes().isEmpty() && !policy.getTaskTypes().contains(request.getTaskType())) {
      return false;
    }
    Double temperature = decision.getTemperature();
    return policy.getAnyTemperature() || (temperature != null && temperature == 0.0);
  }

  /** SHA-256 of what decides the answer, hex. */
  static String fingerprint(InferenceRequest request, RoutingDecision decision) {
    InferenceRequest normalized = InferenceRequest.newBuilder(request)
        .setRequestId("")
        .setTeamId("")
        .setPipelineId(null)
        .setSessionId(null)
        .setTaskType("")
        .setTier(null)
        .setModel("")
        .setMaxTokens(decision.getMaxTokens())
        .setTemperature(decision.getTemperature())
        .setPriority(io.modelrouter.avro.Priority.INTERACTIVE)
        .setDeadline(null)
        .setMetadata(Map.of())
        .setCreatedAt(null)
        .build();
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(1_024);
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
      encoder.writeString(decision.getProvider());
      encoder.writeString(decision.getModel());
      WRITER.write(normalized, encoder);
      encoder.flush();
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The team's live answer for the fingerprint, or null. */
  CachedResponse lookup(String team, String fingerprint, Instant now) {
    CachedResponse hit = answers.get(key(team, fingerprint));
    return hit == null || !now.isBefore(hit.getExpiresAt()) ? null : hit;
  }

  /** Remembers that the request's answer may be kept, once it comes back. */
  void expect(String requestId, String team, String fingerprint, int ttlSeconds, Instant now) {
    pending.put(requestId, new PendingResponse(team, fingerprint, ttlSeconds, now));
  }

  /** A result came back: when its request was expected and it is OK, its answer is kept. Returns whether it was. */
  boolean answered(InferenceResult result, byte[] bytes, Instant now) {
    if (result.getRequestId() == null) {
      return false;
    }
    PendingResponse expected = pending.get(result.getRequestId());
    if (expected == null) {
      return false;
    }
    pending.delete(result.getRequestId());
    if (result.getStatus() != ResultStatus.OK || result.getCachedFrom() != null) {
      return false;
    }
    answers.put(key(expected.getTeamId(), expected.getFingerprint()), new CachedResponse(ByteBuffer.wrap(bytes), now,
        now.plusSeconds(expected.getTtlSeconds())));
    return true;
  }

  /** Forgets answers past their time and requests expected for longer than their answers would be kept. */
  void sweep(Instant now) {
    io.modelrouter.runtime.StoreSweeps.deleteWhere(answers, answer -> !now.isBefore(answer.getExpiresAt()));
    io.modelrouter.runtime.StoreSweeps.deleteWhere(pending,
        expected -> expected.getAt().plusSeconds(Math.max(expected.getTtlSeconds(), 3_600)).isBefore(now));
  }

  /** The answer for a new request: the kept one, under the new request's ids, with no usage and what it saved. */
  static InferenceResult answer(InferenceResult kept, InferenceRequest request, RoutingDecision decision,
      String policyVersion, long waitedMs, Instant storedAt, Instant now) {
    String from = kept.getCachedFrom() != null ? kept.getCachedFrom() : kept.getRequestId();
    return InferenceResult.newBuilder(kept)
        .setRequestId(request.getRequestId())
        .setTeamId(request.getTeamId())
        .setPipelineId(request.getPipelineId())
        .setSessionId(request.getSessionId())
        .setTaskType(request.getTaskType())
        .setUsage(NO_USAGE)
        .setCostMicros(0)
        .setCreditsMicros(0)
        .setAttempts(List.of())
        .setRoutingReason(decision.getReason() + "; response cache: the answer to request " + from + " of "
            + storedAt)
        .setPolicyVersion(policyVersion)
        .setErrorCode(null)
        .setErrorMessage(null)
        .setLatencyMs(Results.latencyMs(request, now))
        .setCompletedAt(now)
        .setMetadata(request.getMetadata())
        .setRateLimitWaitMs(waitedMs)
        .setCachedFrom(from)
        .setResponseCacheSavedMicros(kept.getCostMicros())
        .build();
  }

  /**
   * The usage event of an answer from the cache: not a provider call (no tokens, no cost), the request's last event,
   * with what the reused answer cost; id {@code <requestId>#response-cache}.
   */
  static io.modelrouter.avro.UsageEvent usage(InferenceResult answer, Instant now) {
    return io.modelrouter.avro.UsageEvent.newBuilder()
        .setEventId(answer.getRequestId() + "#response-cache")
        .setRequestId(answer.getRequestId())
        .setTeamId(answer.getTeamId())
        .setPipelineId(answer.getPipelineId())
        .setSessionId(answer.getSessionId())
        .setTaskType(answer.getTaskType())
        .setProvider(answer.getProvider() == null ? "" : answer.getProvider())
        .setModel(answer.getModel() == null ? "" : answer.getModel())
        .setOutcome(io.modelrouter.avro.AttemptOutcome.OK)
        .setFinalCall(true)
        .setSimulated(answer.getSimulated())
        .setEventTime(now)
        .setResponseCacheSavedMicros(answer.getResponseCacheSavedMicros())
        .build();
  }

  private static String key(String team, String fingerprint) {
    return team + "|" + fingerprint;
  }
}
