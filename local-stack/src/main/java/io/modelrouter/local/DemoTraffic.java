package io.modelrouter.local;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The demo's requests in the order they are sent: round robin over the teams, each team walking its own passes
 * through the {@link DevelopmentLoop} (one session per pass). Pure apart from its cursor: the same teams, seed and
 * run id give the same requests.
 */
final class DemoTraffic {
  static final String PIPELINE = "dev-loop";

  private final List<DemoWorkload.Team> teams;
  private final DevelopmentLoop loop;
  private final String runId;
  private final TeamCursor[] cursors;
  private int nextTeam;

  private static final class TeamCursor {
    int iteration;
    int step;
    long sent;
    List<DevelopmentLoop.Call> calls;
  }

  /**
   * @param runId part of every request and session id, so that the ids of a restarted demo do not collide with
   *     those of an earlier run
   */
  DemoTraffic(List<DemoWorkload.Team> teams, long seed, String runId) {
    if (teams.isEmpty()) {
      throw new IllegalArgumentException("the demo needs at least one team");
    }
    this.teams = List.copyOf(teams);
    this.loop = new DevelopmentLoop(seed);
    this.runId = runId;
    this.cursors = new TeamCursor[teams.size()];
    for (int i = 0; i < cursors.length; i++) {
      cursors[i] = new TeamCursor();
    }
  }

  /** The next request (its key is its team id). */
  InferenceRequest next(Instant now) {
    int index = nextTeam;
    nextTeam = (nextTeam + 1) % teams.size();
    DemoWorkload.Team team = teams.get(index);
    TeamCursor cursor = cursors[index];
    if (cursor.calls == null || cursor.step == cursor.calls.size()) {
      cursor.iteration++;
      cursor.step = 0;
      cursor.calls = loop.iteration(team.id(), cursor.iteration);
    }
    DevelopmentLoop.Call call = cursor.calls.get(cursor.step++);
    long n = ++cursor.sent;
    String prefix = "demo-" + team.id() + "-" + runId;
    return InferenceRequest.newBuilder()
        .setRequestId(prefix + "-" + n)
        .setTeamId(team.id())
        .setPipelineId(PIPELINE)
        .setSessionId(prefix + "-loop" + cursor.iteration)
        .setTaskType(call.step().taskType())
        .setTier(team.tier())
        .setMessages(List.of(new Message(Role.USER, call.prompt(), List.of())))
        .setSystemPrompt(call.systemPrompt())
        .setMaxTokens(null)
        .setTemperature(null)
        .setModel("auto")
        .setPriority(call.priority())
        .setDeadline(null)
        .setMetadata(Map.of("demo", "true", "step", String.valueOf(call.step().number()),
            "stepTitle", call.step().title(), "loop", String.valueOf(cursor.iteration)))
        .setCreatedAt(now)
        .build();
  }
}
