package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.budget.BudgetServiceConfig;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.dlq.DeadLetters;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each budget alert of {@code llm.budget.alerts} to the webhooks the team's budget names: a Slack-compatible
 * body ({@code {"text": ...}}) or the alert as JSON, HMAC-SHA256 signed when the webhook has a key. A post that fails
 * with a 5xx, 408, 429 or a network error is tried again with exponential backoff (the receiver's Retry-After
 * honoured, up to the longest backoff); one that fails for good (another 4xx, or every attempt) goes to the DLQ with
 * its {@code dlq.*} headers and {@code dlq.webhook}. The alert's offset is committed once every webhook of it was
 * delivered or dead-lettered: delivery is at least once, and each post carries {@code Idempotency-Key: <alertId>}
 * (the same crossing always has the same id) so that a receiver can drop a repeat after a restart.
 */
public final class AlertDelivery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);
  static final String WEBHOOK_HEADER = "dlq.webhook";
  static final String SIGNATURE_HEADER = "X-ModelRouter-Signature";

  private final Topics topics;
  private final Map<String, Object> kafkaConfig;
  private final BudgetServiceConfig.Delivery delivery;
  private final Function<String, BudgetPolicy> budgets;
  private final MeterRegistry registry;
  private final Clock clock;
  private final HttpClient http;
  private volatile boolean closed;
  private KafkaConsumer<byte[], byte[]> consumer;
  private KafkaProducer<byte[], byte[]> producer;
  private Thread thread;

  public AlertDelivery(Topics topics, Map<String, Object> kafkaConfig, BudgetServiceConfig.Delivery delivery,
      Function<String, BudgetPolicy> budgets, MeterRegistry registry, Clock clock) {
    this.topics = topics;
    this.kafkaConfig = kafkaConfig;
    this.delivery = delivery;
    this.budgets = budgets;
    this.registry = registry;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(delivery.timeout()).build();
  }

  public AlertDelivery start() {
    Map<String, Object> consumerConfig = new HashMap<>(kafkaConfig);
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, delivery.group());
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
    // a webhook retrying for minutes must not cost the group its member
    consumerConfig.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
        (int) Math.max(300_000, 50L * delivery.maxAttempts() * delivery.maxBackoff().plus(delivery.timeout()).toMillis()));
    consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> producerConfig = new HashMap<>(kafkaConfig);
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    consumer.subscribe(List.of(topics.budgetAlerts().name()));
    thread = Thread.ofPlatform().name("alert-delivery").daemon().start(this::run);
    LOG.info("alert delivery: {} from {} (group {})", delivery.webhooks().values(), topics.budgetAlerts().name(),
        delivery.group());
    return this;
  }

  private void run() {
    try {
      while (!closed) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (!handle(record)) {
            return; // closed in the middle: the alert is delivered again at the next start
          }
          consumer.commitSync(Map.of(new TopicPartition(record.topic(), record.partition()),
              new OffsetAndMetadata(record.offset() + 1)));
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("alert delivery stopped: {}", e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Delivers the alert to each of its team's webhooks, or dead-letters it; false when closed meanwhile. */
  private boolean handle(ConsumerRecord<byte[], byte[]> record) {
    BudgetAlert alert;
    try {
      alert = topics.budgetAlerts().deserializeValue(record.value());
    } catch (RuntimeException e) {
      deadLetter(record, null, e);
      return true;
    }
    BudgetPolicy policy = budgets.apply(alert.getTeamId());
    List<String> names = policy == null ? List.of() : policy.getWebhooks();
    for (String name : names) {
      BudgetServiceConfig.Webhook webhook = delivery.webhooks().get(name);
      if (webhook == null) {
        deadLetter(record, name, new IllegalStateException("webhook '" + name + "' is not configured on this "
            + "budget-service (alerts.webhooks)"));
        continue;
      }
      Optional<String> failure = post(webhook, alert);
      if (failure == null) {
        return false;
      }
      if (failure.isPresent()) {
        deadLetter(record, name, new IOException(failure.get()));
      } else {
        counter(name, "delivered").increment();
      }
    }
    return true;
  }

  /** Empty when delivered, the last failure when it could not be, null when closed while trying. */
  private Optional<String> post(BudgetServiceConfig.Webhook webhook, BudgetAlert alert) {
    String body = "slack".equals(webhook.format()) ? slackBody(alert) : genericBody(alert);
    Duration wait = delivery.backoff();
    String last = "not tried";
    for (int attempt = 1; attempt <= delivery.maxAttempts() && !closed; attempt++) {
      long at = clock.instant().getEpochSecond();
      HttpRequest.Builder request = HttpRequest.newBuilder(webhook.url())
          .timeout(delivery.timeout())
          .header("Content-Type", "application/json")
          .header("User-Agent", "model-router-alerts/1")
          .header("Idempotency-Key", alert.getAlertId())
          .header("X-ModelRouter-Alert-Id", alert.getAlertId())
          .header("X-ModelRouter-Attempt", Integer.toString(attempt))
          .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      if (webhook.secret() != null) {
        request.header(SIGNATURE_HEADER, "t=" + at + ",v1=" + sign(webhook.secret(), at + "." + body));
      }
      Duration retryAfter = null;
      try {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          return Optional.empty();
        }
        last = webhook.name() + " answered " + status + " (attempt " + attempt + ")";
        if (status / 100 == 4 && status != 408 && status != 429) {
          return Optional.of(last + ": not retried");
        }
        retryAfter = response.headers().firstValue("Retry-After").flatMap(AlertDelivery::seconds).orElse(null);
      } catch (IOException e) {
        last = webhook.name() + ": " + e.getClass().getSimpleName() + " (attempt " + attempt + ")";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      if (attempt < delivery.maxAttempts()) {
        Duration pause = retryAfter != null ? min(retryAfter, delivery.maxBackoff()) : wait;
        LOG.warn("alert {}: {}; next attempt in {} ms", alert.getAlertId(), last, pause.toMillis());
        if (!sleep(pause)) {
          return null;
        }
        wait = min(wait.multipliedBy(2), delivery.maxBackoff());
      }
    }
    return closed ? null : Optional.of(last);
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> record, String webhook, Exception error) {
    var dead = DeadLetters.record(topics.dlq().name(),
        new DeadLetters.Source(record.topic(), record.partition(), record.offset()), record.key(), record.value(),
        record.headers(), error, "budget-service", clock.millis());
    if (webhook != null) {
      dead.headers().add(WEBHOOK_HEADER, webhook.getBytes(StandardCharsets.UTF_8));
    }
    try {
      producer.send(dead).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while dead-lettering an alert", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("could not dead-letter an alert: " + e.getCause(), e.getCause());
    }
    counter(webhook == null ? "none" : webhook, "dead_lettered").increment();
    LOG.error("alert at {}/{} dead-lettered{}: {}", record.partition(), record.offset(),
        webhook == null ? "" : " for webhook " + webhook, error.getMessage());
  }

  private Counter counter(String webhook, String outcome) {
    return Counter.builder("alerts_delivered").description("Budget alerts posted to webhooks, by outcome")
        .tag("webhook", webhook).tag("outcome", outcome).register(registry);
  }

  /** Slack's incoming-webhook body: a text with mrkdwn. */
  static String slackBody(BudgetAlert alert) {
    ObjectNode out = Json.object();
    out.put("text", String.format(Locale.ROOT, "%s *%s*: %s budget %s (%s → %s). %s",
        alert.getState().name().equals("NORMAL") ? ":white_check_mark:" : ":warning:", alert.getTeamId(),
        alert.getWindow().name().toLowerCase(Locale.ROOT), alert.getWindowStart(), alert.getPreviousState(),
        alert.getState(), alert.getMessage()));
    return out.toString();
  }

  /** The alert as JSON, every field. */
  static String genericBody(BudgetAlert alert) {
    ObjectNode out = Json.object();
    out.put("alertId", alert.getAlertId());
    out.put("teamId", alert.getTeamId());
    out.put("window", alert.getWindow().name());
    out.put("windowStart", alert.getWindowStart());
    out.put("threshold", alert.getThreshold());
    out.put("fraction", alert.getFraction());
    out.put("metric", alert.getMetric());
    out.put("usage", alert.getUsage());
    out.put("limit", alert.getLimit());
    out.put("state", alert.getState().name());
    out.put("previousState", alert.getPreviousState().name());
    out.put("message", alert.getMessage());
    out.put("at", alert.getAt().toString());
    out.put("policyVersion", alert.getPolicyVersion());
    return out.toString();
  }

  /** Hex of HMAC-SHA256(key, text). */
  static String sign(String key, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private static Optional<Duration> seconds(String value) {
    try {
      return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim()))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private boolean sleep(Duration pause) {
    long until = System.nanoTime() + pause.toNanos();
    while (!closed && System.nanoTime() < until) {
      try {
        Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closed;
  }

  @Override
  public void close() {
    closed = true;
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
