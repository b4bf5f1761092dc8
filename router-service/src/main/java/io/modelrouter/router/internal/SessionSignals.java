package io.modelrouter.router.internal;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.SessionAsk;
import io.modelrouter.router.learned.LearnedRouter;
import io.modelrouter.router.learned.Tier;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.Feedback;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The implicit signals the router sees in a session of a learned policy: the same prompt sent again within
 * {@link RouterStores#REPEAT_WINDOW} (the answer did not do: the previous request needed the next tier up), or sent
 * again pinned to a dearer profile (the caller escalated: it needed that profile). Each becomes an
 * {@link FeedbackSource#IMPLICIT} judgement of the previous request naming the profile it needed, which the learner
 * learns from. A redelivery of the same request id is not a repeat. A client that retries a timed-out request
 * under a new id looks like a repeat: that is the signal's known false positive.
 */
final class SessionSignals {
  private SessionSignals() {}

  /** Records the request as its session's last, and returns the implicit judgement of the previous one, if any. */
  static FeedbackEvent observe(KeyValueStore<String, SessionAsk> asks, InferenceRequest request,
      RoutingDecision decision, Instant now) {
    String session = request.getSessionId();
    if (session == null || session.isBlank() || request.getTeamId() == null || request.getRequestId() == null) {
      return null;
    }
    String key = request.getTeamId() + "|" + session;
    long hash = hash(LearnedRouter.text(request));
    SessionAsk previous = asks.get(key);
    FeedbackEvent feedback = null;
    if (previous != null && previous.getPromptHash() == hash && !previous.getRequestId().equals(request.getRequestId())
        && previous.getAt().isAfter(now.minus(RouterStores.REPEAT_WINDOW))) {
      feedback = judge(previous, request, now);
    }
    if (previous == null || !previous.getRequestId().equals(request.getRequestId())) {
      asks.put(key, new SessionAsk(request.getRequestId(), hash, decision.getProfile(), now));
    }
    return feedback;
  }

  private static FeedbackEvent judge(SessionAsk previous, InferenceRequest request, Instant now) {
    Tier before = Tier.ofProfile(previous.getProfile());
    if (before == null) {
      return null;
    }
    String pin = RoutingEngine.pin(request);
    boolean pinned = pin != null;
    Tier asked = pinned ? Tier.ofProfile(pin) : null;
    String needed;
    String comment;
    if (asked != null && asked.ordinal() > before.ordinal()) {
      needed = asked.profile();
      comment = "implicit: the caller sent the same prompt again pinned to " + needed + " (request "
          + request.getRequestId() + ")";
    } else if (!pinned && before != Tier.FRONTIER) {
      needed = Tier.values()[before.ordinal() + 1].profile();
      comment = "implicit: the same prompt again in session " + request.getSessionId() + " within "
          + RouterStores.REPEAT_WINDOW.toMinutes() + " minutes (request " + request.getRequestId() + ")";
    } else {
      return null;
    }
    return Feedback.validOrNull(FeedbackEvent.newBuilder()
        .setFeedbackId("implicit-repeat:" + previous.getRequestId())
        .setRequestId(previous.getRequestId())
        .setTeamId(request.getTeamId())
        .setSessionId(request.getSessionId())
        .setScore(0.0)
        .setSource(FeedbackSource.IMPLICIT)
        .setNeededProfile(needed)
        .setComment(comment.length() > 2_000 ? comment.substring(0, 2_000) : comment)
        .setEventTime(now)
        .build());
  }

  /** FNV-1a over the UTF-8 bytes: the same text, the same hash. */
  static long hash(String text) {
    long h = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }
}
