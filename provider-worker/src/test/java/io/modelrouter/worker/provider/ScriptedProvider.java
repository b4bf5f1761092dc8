package io.modelrouter.worker.provider;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;

/** A provider that follows a script: each call takes the next step (an answer, a failure, or a hang). */
public final class ScriptedProvider implements Provider {
  private final String name;
  private final Deque<Object> script = new ArrayDeque<>();
  private final List<ProviderRequest> calls = Collections.synchronizedList(new ArrayList<>());
  private volatile Object otherwise;

  public ScriptedProvider(String name) {
    this.name = name;
    this.otherwise = ok("fine", 100, 20);
  }

  public static ProviderResponse ok(String content, long input, long output) {
    return new ProviderResponse(content, "end_turn", input, output, 0, true, "id-" + content);
  }

  public static ProviderException failure(ProviderException.Kind kind, int status) {
    return new ProviderException(kind, status, kind.name().toLowerCase(), "scripted " + status);
  }

  /**
   * Steps: a ProviderResponse, a ProviderException, a Duration to hang for, or a function of the request that
   * returns one of those.
   */
  public synchronized ScriptedProvider then(Object... steps) {
    script.addAll(List.of(steps));
    return this;
  }

  /** What every call after the script does. */
  public ScriptedProvider otherwise(Object step) {
    this.otherwise = step;
    return this;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public ProviderResponse call(ProviderRequest request) throws ProviderException {
    calls.add(request);
    Object step;
    synchronized (this) {
      step = script.isEmpty() ? otherwise : script.poll();
    }
    if (step instanceof java.util.function.Function<?, ?> f) {
      @SuppressWarnings("unchecked")
      java.util.function.Function<ProviderRequest, Object> answer = (java.util.function.Function<ProviderRequest, Object>) f;
      step = answer.apply(request);
    }
    if (step instanceof Duration hang) {
      try {
        Thread.sleep(hang.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ProviderException(ProviderException.Kind.TIMEOUT, null, "interrupted", "interrupted");
      }
      return ok("late", 1, 1);
    }
    if (step instanceof ProviderException e) {
      throw new ProviderException(e.kind(), e.httpStatus(), e.errorCode(), e.getMessage(), e.retryAfter().orElse(null),
          null).withBilled(e.billed().orElse(null));
    }
    return (ProviderResponse) step;
  }

  public List<ProviderRequest> calls() {
    return List.copyOf(calls);
  }
}
