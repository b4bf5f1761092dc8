package io.modelrouter.budget.internal;

import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.schemas.Topic;
import java.time.Instant;
import java.util.Map;

/**
 * The last {@code perTeam} results of every team, read from {@code llm.results} on a thread of its own (no consumer
 * group, every partition, read_committed, so a result of an aborted worker transaction never shows), for the
 * dashboard's recent routing reasons. {@code llm.results} is the busiest topic, so unlike {@link AlertHistory} this
 * reader does not start at the beginning: it starts {@code lookback} records before each partition's end. Only a
 * small projection of each result is kept (no content), so memory stays bounded by teams x {@code perTeam}.
 */
public final class ResultHistory extends TeamHistory<InferenceResult, ResultHistory.Recent> {
  /** Routing reasons are sentences; a longer one is cut so one bad record cannot bloat the dashboard. */
  static final int MAX_REASON = 300;

  /** What the dashboard shows of one result. */
  public record Recent(String requestId, String status, String profile, String model, String routingReason,
      long costMicros, Instant completedAt) {
    static Recent of(InferenceResult r) {
      String reason = r.getRoutingReason();
      if (reason != null && reason.length() > MAX_REASON) {
        reason = reason.substring(0, MAX_REASON) + "...";
      }
      return new Recent(r.getRequestId(), r.getStatus().name(), r.getProfile(), r.getModel(), reason,
          r.getCostMicros(), r.getCompletedAt());
    }
  }

  /**
   * @param perTeam results kept per team
   * @param lookback records read before each partition's end at start
   */
  public ResultHistory(Topic<String, InferenceResult> topic, Map<String, Object> clientConfig, int perTeam,
      long lookback, MeterRegistry registry) {
    super("results", topic, clientConfig, perTeam, lookback, InferenceResult::getTeamId, Recent::of, registry);
  }

  /** A history fed by {@link #add} only, for tests of what it keeps. */
  ResultHistory(int perTeam) {
    super("results", perTeam, Recent::of);
  }

  /**
   * How many request ids the ownership index remembers (the most recent results): enough to tell the team of a
   * request judged minutes or hours after its result at thousands of requests per minute, in about 20 MB (an entry
   * is its request id, a small record and the map's entry; team names are shared).
   */
  static final int OWNERS_REMEMBERED = 100_000;

  /**
   * What the index remembers of a result: whose it is (feedback for another team's request is refused), and what it
   * cost and which tokens it used (the dashboard's learning chart prices a judged request against all-frontier).
   */
  public record Owner(String team, long costMicros, long inputTokens, long outputTokens, long cachedInputTokens) {
    static Owner of(String team, InferenceResult result) {
      TokenUsage usage = result.getUsage();
      return usage == null ? new Owner(team, result.getCostMicros(), 0, 0, 0)
          : new Owner(team, result.getCostMicros(), usage.getInputTokens(), usage.getOutputTokens(),
              usage.getCachedInputTokens());
    }
  }

  private final Map<String, Owner> owners = java.util.Collections.synchronizedMap(
      new java.util.LinkedHashMap<>(1 << 16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Owner> eldest) {
          return size() > OWNERS_REMEMBERED;
        }
      });

  /** One string per team name, so that the index does not hold a copy of it per result. */
  private final Map<String, String> teamNames = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  void seen(String team, InferenceResult result) {
    if (result.getRequestId() != null) {
      owners.put(result.getRequestId(), Owner.of(teamNames.computeIfAbsent(team, t -> t), result));
    }
  }

  /** The team whose result of {@code requestId} was read, or null when none among the last ones remembered. */
  public String ownerOf(String requestId) {
    Owner owner = owners.get(requestId);
    return owner == null ? null : owner.team();
  }

  /** What the result of {@code requestId} cost, or null when it is not among the last ones remembered. */
  public Owner result(String requestId) {
    return requestId == null ? null : owners.get(requestId);
  }

  public ResultHistory start() {
    startReading();
    return this;
  }
}
