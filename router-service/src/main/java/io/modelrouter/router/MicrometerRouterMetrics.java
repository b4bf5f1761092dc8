package io.modelrouter.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.router.internal.RouterMetrics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * {@code router_requests_total{outcome, profile, model, reason, budget_state, code}}: every request the router
 * decided, by what happened to it. Counters are cached per tag combination (a few dozen in practice).
 */
final class MicrometerRouterMetrics implements RouterMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

  private final ConcurrentMap<String, Counter> rateCounters = new ConcurrentHashMap<>();
  private final io.micrometer.core.instrument.Timer waits;
  private final Counter saved;

  MicrometerRouterMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.waits = io.micrometer.core.instrument.Timer.builder("router.rate.limit.wait")
        .description("how long requests waited for their team's rate limit (released or expired)")
        .publishPercentileHistogram().register(registry);
    this.saved = Counter.builder("router.response.cache.saved.usd")
        .description("what answers from the response cache would have cost (the reused answers' cost)")
        .register(registry);
  }

  @Override
  public void routed(String profile, String model, String reasonKind, BudgetState budgetState) {
    String state = budgetState == null ? "NORMAL" : budgetState.name();
    counter("routed", profile, model, reasonKind, state, "").increment();
  }

  @Override
  public void answered(String status, String code) {
    counter(status.toLowerCase(java.util.Locale.ROOT), "", "", "", "", code == null ? "" : code).increment();
  }

  @Override
  public void deadLettered() {
    counter("dead_lettered", "", "", "", "", "").increment();
  }

  @Override
  public void rateLimited(String outcome, long waitedMs) {
    rateCounters.computeIfAbsent(outcome, o -> Counter.builder("router.rate.limited")
        .description("requests that met their team's rate limit: queued, released (routed after waiting), expired "
            + "(deadline passed while waiting), queue_full (rejected)")
        .tag("outcome", o).register(registry)).increment();
    if (outcome.equals("released") || outcome.equals("expired")) {
      waits.record(java.time.Duration.ofMillis(waitedMs));
    }
  }

  @Override
  public void responseCache(String outcome, long savedMicros) {
    rateCounters.computeIfAbsent("cache:" + outcome, o -> Counter.builder("router.response.cache")
        .description("cacheable requests: hit (answered from the response cache) or miss (routed)")
        .tag("outcome", outcome).register(registry)).increment();
    if (savedMicros > 0) {
      saved.increment(savedMicros / 1_000_000.0);
    }
  }

  private Counter counter(String outcome, String profile, String model, String reason, String state, String code) {
    String key = outcome + '\u0000' + profile + '\u0000' + model + '\u0000' + reason + '\u0000' + state + '\u0000' + code;
    return counters.computeIfAbsent(key, k -> Counter.builder("router.requests")
        .description("requests decided by the router, by outcome (routed, rejected, paused, dead_lettered)")
        .tag("outcome", outcome).tag("profile", profile).tag("model", model).tag("reason", reason)
        .tag("budget_state", state).tag("code", code)
        .register(registry));
  }
}
