package io.modelrouter.router.learning;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.LearnerDecision;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RouterModel;
import io.modelrouter.router.learned.LexicalTierModel;
import io.modelrouter.runtime.StoreSweeps;
import io.modelrouter.runtime.StreamsDeadLetters;
import io.modelrouter.schemas.Feedback;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.serde.OversizedRecordException;
import io.modelrouter.schemas.serde.SchemaSerdeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins feedback with the learned routing decision it judges, and turns it into a labelled exemplar of the team's
 * model; publishes a new version of each changed team model every publish interval.
 *
 * <p>Both inputs are keyed by team ({@code llm.requests.routed}, {@code llm.feedback}), so a team's decisions and
 * its feedback meet in one task. Decisions the learned strategy made are kept by request id for the retention
 * (others are not: only teams routed by the learned model use what is learned). Feedback that cannot be decoded, is
 * invalid (score out of [0, 1], blank ids ...), is keyed by another team than its own, or judges a request of
 * another team goes to the DLQ with the reason; feedback on a request the learner does not hold is counted as
 * unmatched. A team's model only ever holds its own feedback: one team's judgements never change another's routing.
 */
final class LearnerProcessor implements Processor<String, byte[], String, byte[]> {
  private static final Logger LOG = LoggerFactory.getLogger(LearnerProcessor.class);
  static final String SERVICE = "learner";
  static final String MODELS_SINK = "models-sink";
  static final String DLQ_SINK = "dlq-sink";

  private final Topics topics;
  private final LearnerConfig.Learning config;
  private final Function<String, float[]> embedder;
  private final LearnerMetrics metrics;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<String, LearnerDecision> decisions;
  private KeyValueStore<String, RouterModel> teams;
  private KeyValueStore<String, Long> published;

  LearnerProcessor(Topics topics, LearnerConfig.Learning config, Function<String, float[]> embedder,
      LearnerMetrics metrics) {
    this.topics = topics;
    this.config = config;
    this.embedder = embedder;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.decisions = context.getStateStore(LearnerTopology.DECISIONS);
    this.teams = context.getStateStore(LearnerTopology.TEAMS);
    this.published = context.getStateStore(LearnerTopology.PUBLISHED);
    context.schedule(config.publishInterval(), PunctuationType.WALL_CLOCK_TIME, this::publish);
    // A sweep reads every decision held: a tenth of the retention apart, from 1 s to 10 min (6 h: every 10 min)
    Duration sweep = config.decisionRetention().dividedBy(10);
    sweep = sweep.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
        : sweep.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(10) : sweep;
    context.schedule(sweep, PunctuationType.WALL_CLOCK_TIME, this::expire);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String topic = context.recordMetadata().map(m -> m.topic()).orElse("");
    if (topic.equals(topics.routed().name()) || topic.equals(topics.routedBatch().name())) {
      remember(record);
    } else {
      learn(record);
    }
  }

  /** Keeps what feedback on a learned decision will need: the judged text and the profile it went to. */
  private void remember(Record<String, byte[]> record) {
    org.apache.kafka.common.header.Header learnedModel = record.headers().lastHeader(Topics.LEARNED_MODEL_HEADER);
    if (learnedModel == null) {
      return; // not decided by the learned model: nothing to keep, and not worth decoding
    }
    if (record.key() != null && !learning(record.key()) && new String(learnedModel.value(),
        java.nio.charset.StandardCharsets.UTF_8).startsWith(LexicalTierModel.VERSION_PREFIX)) {
      return; // the same rule as below, before decoding (the routed topics are keyed by team)
    }
    RoutedRequest routed;
    try {
      routed = record.value() == null ? null : topics.routed().deserializeValue(record.value());
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      return; // the worker dead-letters what it cannot read; the learner has nothing to learn from it
    }
    if (routed == null || routed.getDecision().getLearnedModel() == null || routed.getRequest().getRequestId() == null) {
      return;
    }
    // The lexical model judges every request of a team on the shipped policy, at the router's full rate: its
    // decisions are kept once the team judges results (its first feedback makes it a learning team), not before
    if (routed.getDecision().getLearnedModel().startsWith(LexicalTierModel.VERSION_PREFIX)
        && !learning(routed.getRequest().getTeamId())) {
      return;
    }
    decisions.put(routed.getRequest().getRequestId(), ModelUpdates.decision(routed.getRequest(), routed.getDecision(),
        Instant.ofEpochMilli(record.timestamp())));
  }

  /** Whether the team has judged a result (it has a model here, if only an empty one). */
  private boolean learning(String team) {
    return team != null && teams.get(team) != null;
  }

  private void learn(Record<String, byte[]> record) {
    FeedbackEvent feedback;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("a feedback record has no value (tombstone)");
      }
      OversizedRecordException.check(record.value(), config.maxFeedbackBytes(), "learner.max.feedback.bytes",
          topics.feedback().name());
      feedback = Feedback.check(topics.feedback().deserializeValue(record.value()));
      if (record.key() != null && !record.key().equals(feedback.getTeamId())) {
        throw new IllegalArgumentException("feedback of team '" + feedback.getTeamId() + "' keyed by '"
            + record.key() + "': llm.feedback is keyed by team");
      }
    } catch (SchemaSerdeException e) {
      if (e.isRetryable()) {
        throw e;
      }
      deadLetter(record, e);
      return;
    } catch (RuntimeException e) {
      deadLetter(record, e);
      return;
    }
    LearnerDecision decision = decisions.get(feedback.getRequestId());
    if (decision == null) {
      metrics.feedback("unmatched");
      if (teams.get(feedback.getTeamId()) == null) { // a learning team from now on: its decisions are kept
        teams.put(feedback.getTeamId(), ModelUpdates.empty(feedback.getTeamId(),
            Instant.ofEpochMilli(context.currentSystemTimeMs())));
      }
      return;
    }
    if (!decision.getTeamId().equals(feedback.getTeamId())) {
      deadLetter(record, new IllegalArgumentException("feedback of team '" + feedback.getTeamId()
          + "' on request " + feedback.getRequestId() + " of team '" + decision.getTeamId() + "': refused"));
      return;
    }
    String team = feedback.getTeamId();
    RouterModel model = teams.get(team);
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    if (model == null) {
      model = ModelUpdates.empty(team, now);
    }
    String skipped = ModelUpdates.apply(model, decision, feedback, embedder, now, config.maxExemplars());
    if (skipped != null) {
      LOG.debug("feedback {} on {}: nothing learned: {}", feedback.getFeedbackId(), feedback.getRequestId(), skipped);
      metrics.feedback("skipped");
      return;
    }
    teams.put(team, model);
    metrics.feedback("learned");
  }

  /** A new version for every team whose exemplars changed since its last one; versions past the kept ones go. */
  private void publish(long now) {
    List<KeyValue<String, RouterModel>> changed = new ArrayList<>();
    try (KeyValueIterator<String, RouterModel> all = teams.all()) {
      while (all.hasNext()) {
        KeyValue<String, RouterModel> next = all.next();
        Long done = published.get(next.key);
        long applied = next.value.getFeedbackApplied();
        if (done == null ? applied > 0 : done < applied) {
          changed.add(next);
        }
      }
    }
    for (KeyValue<String, RouterModel> team : changed) {
      RouterModel model = team.value;
      long version = model.getVersion() + 1;
      model.setVersion(version);
      model.setCreatedAt(Instant.ofEpochMilli(now));
      byte[] bytes = topics.routerModels().serializeValue(model);
      context.forward(new Record<>(Topics.routerModelKey(team.key, version), bytes, now), MODELS_SINK);
      long old = version - config.versionsKept();
      if (old > 0) {
        context.forward(new Record<String, byte[]>(Topics.routerModelKey(team.key, old), null, now), MODELS_SINK);
      }
      teams.put(team.key, model);
      published.put(team.key, model.getFeedbackApplied());
      metrics.published(team.key, version, model.getExemplars().size());
      LOG.info("learned model {}@{} published: {} exemplars, {} bytes", team.key, version,
          model.getExemplars().size(), bytes.length);
    }
  }

  private void expire(long now) {
    long before = now - config.decisionRetention().toMillis();
    StoreSweeps.deleteWhere(decisions, decision -> decision.getDecidedAt().toEpochMilli() < before);
  }

  private void deadLetter(Record<String, byte[]> record, Exception error) {
    context.forward(StreamsDeadLetters.of(context, record, record.value(), error, SERVICE, topics.feedback().name()),
        DLQ_SINK);
    metrics.feedback("dead_letter");
  }
}
