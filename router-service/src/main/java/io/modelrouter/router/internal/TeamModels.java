package io.modelrouter.router.internal;

import io.modelrouter.avro.RouterModel;
import io.modelrouter.avro.RouterModelPin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which version of its learned model a team's requests use: the version an admin pinned on
 * {@code llm.router.model.pins} (0: the shipped exemplars only), else the latest the learner published on
 * {@code llm.router.models}. Both are global tables, so a new version or pin reaches every router instance without a
 * restart; a team's answer is kept for {@link #REFRESH_MS} so that a request costs a map lookup, not a store scan.
 * One per stream task.
 */
final class TeamModels {
  private static final Logger LOG = LoggerFactory.getLogger(TeamModels.class);
  /** How long a team's resolved version is reused before the tables are read again. */
  static final long REFRESH_MS = 1_000;

  private record Resolved(long at, RouterModel model) {}

  private final KeyValueStore<String, ValueAndTimestamp<byte[]>> models;
  private final KeyValueStore<String, ValueAndTimestamp<byte[]>> pins;
  private final Topics topics;
  private final LongSupplier clock;
  private final Map<String, Resolved> resolved = new HashMap<>();

  TeamModels(KeyValueStore<String, ValueAndTimestamp<byte[]>> models,
      KeyValueStore<String, ValueAndTimestamp<byte[]>> pins, Topics topics, LongSupplier clock) {
    this.models = models;
    this.pins = pins;
    this.topics = topics;
    this.clock = clock;
  }

  /** The team's model version, or null for the shipped model. */
  RouterModel forTeam(String teamId) {
    if (teamId == null) {
      return null;
    }
    long now = clock.getAsLong();
    Resolved cached = resolved.get(teamId);
    if (cached != null && now - cached.at() < REFRESH_MS) {
      return cached.model();
    }
    RouterModel model = resolve(teamId);
    resolved.put(teamId, new Resolved(now, model));
    return model;
  }

  private RouterModel resolve(String teamId) {
    try {
      RouterModelPin pin = decode(pins.get(teamId), true);
      if (pin != null) {
        if (pin.getVersion() == 0) {
          return null;
        }
        RouterModel pinned = decode(models.get(Topics.routerModelKey(teamId, pin.getVersion())), false);
        if (pinned != null) {
          return pinned;
        }
        LOG.warn("team {} is pinned to learned model version {}, which {} does not hold; using the latest", teamId,
            pin.getVersion(), topics.routerModels().name());
      }
      return latest(teamId);
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      LOG.error("the learned model of team {} cannot be read; routing with the shipped model: {}", teamId,
          e.getMessage());
      return null;
    }
  }

  private RouterModel latest(String teamId) {
    try (KeyValueIterator<String, ValueAndTimestamp<byte[]>> versions = models.reverseRange(
        Topics.routerModelKey(teamId, 0), Topics.routerModelKey(teamId, Long.MAX_VALUE))) {
      while (versions.hasNext()) {
        KeyValue<String, ValueAndTimestamp<byte[]>> next = versions.next();
        // another team's id may sort into the range (team "a" and team "a@0"): only exact keys count
        if (Topics.isRouterModelKeyOf(next.key, teamId)) {
          return decode(next.value, false);
        }
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private <T> T decode(ValueAndTimestamp<byte[]> stored, boolean pin) {
    if (stored == null || stored.value() == null) {
      return null;
    }
    return (T) (pin ? topics.routerModelPins().deserializeValue(stored.value())
        : topics.routerModels().deserializeValue(stored.value()));
  }
}
