package io.modelrouter.client;

import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.client.internal.AlertListeners;
import io.modelrouter.client.internal.ClientConfigs;
import io.modelrouter.client.internal.KafkaClients;
import io.modelrouter.client.internal.PendingRequests;
import io.modelrouter.client.internal.TopicTail;
import io.modelrouter.config.Settings;
import io.modelrouter.schemas.Feedback;
import io.modelrouter.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's side of the router: sends {@link InferenceRequest}s to {@code llm.requests} and hands back each
 * one's {@link InferenceResult} from {@code llm.results} as a {@link CompletableFuture}, correlated by request id;
 * and delivers a team's {@link BudgetAlert}s from {@code llm.budget.alerts}. Thread-safe; one client per process
 * is enough.
 *
 * <pre>{@code
 * try (RouterClient client = RouterClient.builder()
 *     .bootstrapServers("localhost:9092")
 *     .schemaRegistryUrl("http://localhost:8081")
 *     .build()) {
 *   InferenceResult result = client.submit(request).get();
 * }
 * }</pre>
 *
 * <p><b>Results.</b> The future completes with the request's one result, whatever its status: a request the router
 * rejects ({@code REJECTED}, with {@code errorCode} and the field in {@code errorMessage}), a paused team
 * ({@code PAUSED}), a provider chain that failed ({@code FAILED}) or a deadline passed ({@code EXPIRED}) are
 * answers, not exceptions. The future fails only when no answer can come: {@link ResultTimeoutException} when none
 * arrived in time, {@link SubmitFailedException} when the request could not be sent, {@link ClientClosedException}
 * when the client was closed first. Futures complete on the callback executor (virtual threads unless
 * {@link RouterClientBuilder#callbackExecutor} says otherwise), never on the client's own I/O threads.
 *
 * <p><b>How results are found.</b> The client reads every partition of {@code llm.results} (read_committed, so only
 * the worker's committed results) from the end it saw when it was built, without a consumer group; results of
 * other requests are skipped, and those keyed by a team this client never sent for are not even decoded. Each
 * client reads the whole topic: for many clients on a busy topic, give each pipeline its own topic prefix.
 *
 * <p><b>Requests.</b> Written with the team id as the key (co-partitioned with the team's budget state), Avro on
 * the Confluent wire format, by an idempotent producer with {@code acks=all}. A request without a
 * {@code requestId} gets a random UUID, one without {@code createdAt} gets the submit time, and (unless
 * {@link RouterClientBuilder#deadlineFromTimeout} is off) one without a {@code deadline} gets submit time +
 * timeout: past it the worker does not call a provider, so nobody pays for an answer nobody waits for. The
 * caller's record is not modified; the id is on the result, on the batch's outcomes and on every exception.
 */
public final class RouterClient implements AutoCloseable {
  /** The timeout of {@link #submit(InferenceRequest)} unless the builder sets another. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  private static final Logger LOG = LoggerFactory.getLogger(RouterClient.class);
  private static final Duration TIMEOUT_TICK = Duration.ofMillis(20);
  private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CALLBACKS_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final String clientId;
  private final Topics topics;
  private final Clock clock;
  private final Duration defaultTimeout;
  private final boolean deadlineFromTimeout;
  private final KafkaClients clients;
  private final ClientConfigs configs;
  private final Duration partitionRefresh;
  private final ExecutorService ownedCallbacks;
  private final PendingRequests pending;
  /** Teams this client has sent for: results keyed by any other team cannot answer its requests. */
  private final Set<String> teams = ConcurrentHashMap.newKeySet();
  private final Producer<String, byte[]> producer;
  private final TopicTail results;
  private final ScheduledExecutorService ticker;
  private final AlertListeners alertListeners;
  private final Object alertsLock = new Object();
  private TopicTail alerts;
  private final AtomicBoolean closed = new AtomicBoolean();

  RouterClient(RouterClientBuilder builder) {
    this.clientId = builder.clientId();
    this.topics = builder.topics();
    this.clock = builder.clock;
    this.defaultTimeout = builder.defaultTimeout;
    this.deadlineFromTimeout = builder.deadlineFromTimeout;
    this.clients = builder.clients;
    this.configs = new ClientConfigs(builder.bootstrapServers, builder.kafkaProperties, clientId);
    this.ownedCallbacks = builder.callbackExecutor == null
        ? Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(clientId + "-callback-", 0).factory())
        : null;
    Executor callbacks = ownedCallbacks != null ? ownedCallbacks : builder.callbackExecutor;
    this.pending = new PendingRequests(clock, callbacks);
    this.alertListeners = new AlertListeners(topics.budgetAlerts());
    this.partitionRefresh = builder.partitionRefresh;
    Producer<String, byte[]> created = null;
    try {
      created = clients.producer(configs.producer());
      this.results = TopicTail.start(clients.consumer(configs.consumer("results")), topics.results().name(),
          clientId + "-results", this::onResult, partitionRefresh);
    } catch (RuntimeException e) {
      if (created != null) {
        created.close(Duration.ZERO);
      }
      releaseShared();
      throw e;
    }
    this.producer = created;
    this.ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name(clientId + "-timeouts").daemon(true).factory());
    ticker.scheduleAtFixedRate(this::expireTimeouts, TIMEOUT_TICK.toMillis(), TIMEOUT_TICK.toMillis(),
        TimeUnit.MILLISECONDS);
    LOG.info("{} ready: {} -> {}, default timeout {} ms", clientId, topics.requests().name(), topics.results().name(),
        defaultTimeout.toMillis());
  }

  /** A builder; bootstrap servers and the schema registry URL are required. */
  public static RouterClientBuilder builder() {
    return new RouterClientBuilder();
  }

  /**
   * A client configured like the services: {@code kafka.bootstrap.servers}, {@code schema.registry.url} (and its
   * credentials), {@code topics.prefix}, {@code kafka.*} pass-through, plus {@link ClientSettings}.
   */
  public static RouterClient fromSettings(Settings settings) {
    return builder().settings(settings).build();
  }

  /** Sends the request; its result, or a {@link ResultTimeoutException} after the default timeout. */
  public CompletableFuture<InferenceResult> submit(InferenceRequest request) {
    return submit(request, defaultTimeout);
  }

  /**
   * Sends the request and returns its result, failing with a {@link ResultTimeoutException} if none arrived within
   * {@code timeout} of this call. Blocks only while the producer's buffer is full or the topic's metadata is
   * missing ({@code max.block.ms}).
   *
   * @throws IllegalArgumentException if {@code teamId} is missing, the timeout is not positive, or a request with
   *     the same id is pending on this client
   * @throws IllegalStateException if the client is closed
   */
  public CompletableFuture<InferenceResult> submit(InferenceRequest request, Duration timeout) {
    requireOpen();
    requirePositive(timeout);
    return send(prepare(request, timeout, "request"), timeout);
  }

  /** {@link #submitAll(List, Duration)} with the default timeout. */
  public CompletableFuture<BatchResult> submitAll(List<InferenceRequest> requests) {
    return submitAll(requests, defaultTimeout);
  }

  /**
   * Sends a batch and returns one future that completes when every request of it has a result or an error, each
   * within {@code timeout} of this call. The future does not fail because some requests did: the
   * {@link BatchResult} holds, in input order, each request's result or error, so the results that arrived are
   * never lost to one timeout and the failed requests can be resubmitted. Every request is checked before any is
   * sent, so an invalid batch sends nothing. For one future per request, call {@link #submit} in a loop.
   *
   * @throws IllegalArgumentException naming the index of a request without a {@code teamId}, or with an id used
   *     twice in the batch or already pending
   */
  public CompletableFuture<BatchResult> submitAll(List<InferenceRequest> requests, Duration timeout) {
    requireOpen();
    requirePositive(timeout);
    Objects.requireNonNull(requests, "requests");
    List<InferenceRequest> prepared = new ArrayList<>(requests.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < requests.size(); i++) {
      InferenceRequest request = prepare(requests.get(i), timeout, "requests[" + i + "]");
      if (!ids.add(request.getRequestId()) || pending.isPending(request.getRequestId())) {
        throw new IllegalArgumentException("requests[" + i + "].requestId '" + request.getRequestId()
            + "' is used twice (in this batch or by a pending request); request ids must be unique");
      }
      prepared.add(request);
    }
    List<CompletableFuture<InferenceResult>> futures = new ArrayList<>(prepared.size());
    for (InferenceRequest request : prepared) {
      try {
        futures.add(send(request, timeout));
      } catch (IllegalArgumentException | IllegalStateException e) {
        // Raced with another submit of the same id, or with close(): that request fails, the batch goes on.
        futures.add(CompletableFuture.failedFuture(e));
      }
    }
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .handle((ignored, error) -> BatchResult.of(prepared, futures));
  }

  /**
   * Calls {@code listener} with every budget alert of the team published from now on (alerts already on the topic
   * are not replayed). Alerts of other teams never reach it. Listeners run one at a time on the client's alert
   * thread, in the topic's order per team: hand long work to an executor of your own. The first subscription
   * starts reading {@code llm.budget.alerts}.
   *
   * @return the subscription; close it to stop delivery
   * @throws IllegalStateException if the alerts topic does not exist or the client is closed
   */
  public AlertSubscription onAlert(String teamId, Consumer<BudgetAlert> listener) {
    requireOpen();
    if (teamId == null || teamId.isBlank()) {
      throw new IllegalArgumentException("teamId is required, got '" + teamId + "'");
    }
    Objects.requireNonNull(listener, "listener");
    AlertSubscription subscription = alertListeners.add(teamId, listener);
    try {
      synchronized (alertsLock) {
        requireOpen();
        if (alerts == null) {
          alerts = TopicTail.start(clients.consumer(configs.consumer("alerts")), topics.budgetAlerts().name(),
              clientId + "-alerts", alertListeners::dispatch, partitionRefresh);
        }
      }
    } catch (RuntimeException e) {
      subscription.close();
      throw e;
    }
    return subscription;
  }

  /** Requests sent whose result has not arrived yet (nor timed out). */
  public int pending() {
    return pending.size();
  }

  /** The topics this client writes and reads (with their prefix). */
  public Topics topics() {
    return topics;
  }

  /**
   * Closes at once: requests still pending fail with {@link ClientClosedException}. Requests not yet acknowledged
   * by the broker are flushed first (up to 30 s); one that cannot be sent fails with {@link SubmitFailedException}.
   */
  @Override
  public void close() {
    close(Duration.ZERO);
  }

  /**
   * Closes after waiting up to {@code drain} for pending results (new submissions are refused from the start);
   * what is still pending then fails with {@link ClientClosedException}. Idempotent.
   */
  public void close(Duration drain) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    producer.close(PRODUCER_CLOSE_TIMEOUT);
    long drainUntil = System.nanoTime() + drain.toNanos();
    while (pending.size() > 0 && System.nanoTime() - drainUntil < 0) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int failed = pending.failAll(id -> new ClientClosedException(id, topics.results().name()));
    ticker.shutdownNow();
    results.close();
    synchronized (alertsLock) {
      if (alerts != null) {
        alerts.close();
      }
    }
    releaseShared();
    LOG.info("{} closed{}", clientId, failed == 0 ? "" : "; " + failed + " pending requests failed");
  }

  private void releaseShared() {
    if (ownedCallbacks != null) {
      ownedCallbacks.shutdown();
      try {
        if (!ownedCallbacks.awaitTermination(CALLBACKS_CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("{}: callbacks still running {} ms after close", clientId, CALLBACKS_CLOSE_TIMEOUT.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    topics.config().client().close();
  }

  private InferenceRequest prepare(InferenceRequest request, Duration timeout, String name) {
    Objects.requireNonNull(request, name);
    if (request.getTeamId() == null || request.getTeamId().isBlank()) {
      throw new IllegalArgumentException(name + ".teamId is required (it is the record key and the budget owner), "
          + "got '" + request.getTeamId() + "'");
    }
    boolean needsId = request.getRequestId() == null || request.getRequestId().isBlank();
    boolean needsCreatedAt = request.getCreatedAt() == null;
    boolean needsDeadline = deadlineFromTimeout && request.getDeadline() == null;
    if (!needsId && !needsCreatedAt && !needsDeadline) {
      return request;
    }
    Instant now = clock.instant();
    InferenceRequest.Builder copy = InferenceRequest.newBuilder(request);
    if (needsId) {
      copy.setRequestId(UUID.randomUUID().toString());
    }
    if (needsCreatedAt) {
      copy.setCreatedAt(now);
    }
    if (needsDeadline) {
      copy.setDeadline(now.plus(timeout));
    }
    return copy.build();
  }

  /**
   * Reports how good the result of {@code requestId} (a request of {@code teamId}) was, from 0 (useless) to 1: what
   * the router learns which model a request needs from. Completes when the broker has the event.
   *
   * @throws IllegalArgumentException naming the field when the feedback is invalid (a score outside [0, 1], a
   *     blank id ...); nothing is sent then
   */
  public CompletableFuture<FeedbackEvent> feedback(String teamId, String requestId, double score,
      FeedbackSource source) {
    return feedback(FeedbackEvent.newBuilder()
        .setFeedbackId(UUID.randomUUID().toString())
        .setTeamId(teamId)
        .setRequestId(requestId)
        .setScore(score)
        .setSource(source)
        .setEventTime(clock.instant())
        .build());
  }

  /**
   * Sends a feedback event as it is (with a session, the profile the request needed, a comment); a missing
   * {@code feedbackId} or {@code eventTime} is filled in. Completes with the event sent once the broker has it.
   *
   * @throws IllegalArgumentException naming each invalid field; nothing is sent then
   */
  public CompletableFuture<FeedbackEvent> feedback(FeedbackEvent event) {
    requireOpen();
    Objects.requireNonNull(event, "event");
    FeedbackEvent.Builder copy = FeedbackEvent.newBuilder(event);
    if (event.getFeedbackId() == null) {
      copy.setFeedbackId(UUID.randomUUID().toString());
    }
    if (event.getEventTime() == null) {
      copy.setEventTime(clock.instant());
    }
    FeedbackEvent checked = Feedback.check(copy.build());
    CompletableFuture<FeedbackEvent> sent = new CompletableFuture<>();
    try {
      byte[] value = topics.feedback().serializeValue(checked);
      producer.send(new ProducerRecord<>(topics.feedback().name(), checked.getTeamId(), value), (metadata, error) -> {
        if (error != null) {
          sent.completeExceptionally(new SubmitFailedException(checked.getRequestId(), error));
        } else {
          sent.complete(checked);
        }
      });
    } catch (RuntimeException e) {
      sent.completeExceptionally(new SubmitFailedException(checked.getRequestId(), e));
    }
    return sent;
  }

  /** Registers before sending (a result may arrive before the send callback); every failure ends the future. */
  private CompletableFuture<InferenceResult> send(InferenceRequest request, Duration timeout) {
    String id = request.getRequestId();
    teams.add(request.getTeamId());
    CompletableFuture<InferenceResult> future = pending.register(id, timeout);
    if (closed.get()) {
      // close() may have failed the pending requests just before this one was registered.
      pending.fail(id, new ClientClosedException(id, topics.results().name()));
      return future;
    }
    try {
      byte[] value = topics.requests().serializeValue(request);
      ProducerRecord<String, byte[]> record = new ProducerRecord<>(topics.requests().name(), request.getTeamId(), value);
      // W3C trace context of the caller's current span, when the application set up OpenTelemetry: the router,
      // worker and aggregator continue that trace (without one, the router starts it)
      io.opentelemetry.api.GlobalOpenTelemetry.getPropagators().getTextMapPropagator().inject(
          io.opentelemetry.context.Context.current(), record.headers(), (headers, key, v) -> headers.add(key,
              v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      producer.send(record, (metadata, error) -> {
        if (error != null) {
          pending.fail(id, new SubmitFailedException(id, error));
        }
      });
    } catch (RuntimeException e) {
      pending.fail(id, new SubmitFailedException(id, e));
    }
    return future;
  }

  private void onResult(ConsumerRecord<String, byte[]> record) {
    if (pending.size() == 0 || record.key() != null && !teams.contains(record.key())) {
      return;
    }
    InferenceResult result = topics.results().deserializeValue(record.value());
    if (result != null && result.getRequestId() != null) {
      pending.complete(result);
    }
  }

  private void expireTimeouts() {
    try {
      pending.expire();
    } catch (RuntimeException e) {
      LOG.error("{}: expiring timed-out requests failed", clientId, e);
    }
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException(clientId + " is closed");
    }
  }

  private static void requirePositive(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
  }

}
