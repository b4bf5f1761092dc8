package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.AdminChange;
import io.modelrouter.schemas.Topic;
import io.modelrouter.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The last {@code perTeam} admin changes of every team (and of shared data, under {@code *}), read from
 * {@code llm.admin.changes}: who changed what and when, for {@code /usage} and {@code GET /teams/{team}/changes}.
 */
public final class ChangeHistory extends TeamHistory<AdminChange, AdminChange> {
  /** Records read back from each partition's end at start-up. */
  static final long LOOKBACK = 100_000;

  public ChangeHistory(Topic<String, AdminChange> topic, Map<String, Object> clientConfig, int perTeam,
      MeterRegistry registry) {
    super("changes", topic, clientConfig, perTeam, LOOKBACK, ChangeHistory::key, Function.identity(), registry);
  }

  private static String key(AdminChange change) {
    return change.getTeamId() == null ? Topics.DEFAULT_POLICY_KEY : change.getTeamId();
  }

  public ChangeHistory start() {
    startReading();
    return this;
  }

  static ObjectNode json(AdminChange change) {
    ObjectNode out = Json.object();
    out.put("changeId", change.getChangeId());
    Json.instant(out, "at", change.getAt());
    out.put("by", change.getBy());
    out.put("team", change.getTeamId());
    out.put("action", change.getAction());
    out.put("target", change.getTarget());
    if (change.getVersion() != null) {
      out.put("version", change.getVersion());
    }
    if (change.getDocument() != null) {
      try {
        out.set("document", Json.MAPPER.readTree(change.getDocument()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        out.put("document", change.getDocument()); // written by a client of the topic other than budget-service
      }
    }
    return out;
  }

  static ArrayNode json(List<AdminChange> changes) {
    ArrayNode out = Json.MAPPER.createArrayNode();
    changes.forEach(c -> out.add(json(c)));
    return out;
  }

  /** One line per change, newest first, for the text {@code /usage}. */
  static String text(List<AdminChange> changes) {
    if (changes.isEmpty()) {
      return "Changes: none\n";
    }
    StringBuilder out = new StringBuilder("Changes (newest first):\n");
    for (AdminChange c : changes) {
      out.append("  ").append(c.getAt()).append(' ').append(c.getAction());
      if (c.getVersion() != null) {
        out.append(" v").append(c.getVersion());
      }
      out.append(" by ").append(c.getBy()).append('\n');
    }
    return out.toString();
  }
}
