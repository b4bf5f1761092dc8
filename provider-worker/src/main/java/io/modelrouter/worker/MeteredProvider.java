package io.modelrouter.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.provider.ProviderException;
import io.modelrouter.worker.provider.ProviderRequest;
import io.modelrouter.worker.provider.ProviderResponse;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Times every call of a provider: {@code worker_provider_call_seconds{provider, model, outcome}}, a histogram with
 * Prometheus buckets (so p50/p99 can be computed across workers). The outcome is {@code ok} or the
 * {@link ProviderException.Kind} in lower case. Model is the provider's model id of the call.
 */
final class MeteredProvider implements Provider {
  private final Provider delegate;
  private final MeterRegistry registry;
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  MeteredProvider(Provider delegate, MeterRegistry registry) {
    this.delegate = delegate;
    this.registry = registry;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public boolean simulated() {
    return delegate.simulated();
  }

  @Override
  public io.modelrouter.worker.provider.BatchApi batchApi() {
    return delegate.batchApi();
  }

  @Override
  public ProviderResponse call(ProviderRequest request) throws ProviderException {
    long start = System.nanoTime();
    String outcome = "ok";
    try {
      return delegate.call(request);
    } catch (ProviderException e) {
      outcome = e.kind().name().toLowerCase(Locale.ROOT);
      throw e;
    } catch (RuntimeException e) {
      outcome = "error";
      throw e;
    } finally {
      timer(request.providerModelId(), outcome).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  private Timer timer(String model, String outcome) {
    String m = model == null ? "" : model;
    return timers.computeIfAbsent(m + '\u0000' + outcome, k -> Timer.builder("worker.provider.call")
        .description("latency of one provider call (one attempt), by provider, model and outcome")
        .tag("provider", delegate.name()).tag("model", m).tag("outcome", outcome)
        .publishPercentileHistogram()
        .register(registry));
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
