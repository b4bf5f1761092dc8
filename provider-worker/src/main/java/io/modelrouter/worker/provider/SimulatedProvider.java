package io.modelrouter.worker.provider;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A provider that answers without a network: latency, output length and faults (429 with Retry-After, 503,
 * timeouts) are drawn from a seeded distribution. The draws depend only on the seed, the request id, the model and
 * the call number, not on thread timing, so a run can be repeated. Its answers say they are simulated.
 *
 * <p>With tools, it calls one (arguments drawn to fit the tool's input schema) unless the tool choice forbids it or
 * the conversation ends with a tool's result; with a response format, it answers JSON drawn to fit the schema; with
 * prompt caching, it writes the marked prefix to its cache the first time and reads it after, within the TTL.
 *
 * <p>The fault plan can be changed while it runs ({@link #faults(Faults)}), for chaos tests.
 */
public final class SimulatedProvider implements Provider {

  /**
   * @param latency mean latency of a call
   * @param latencySpread sigma of the lognormal around the mean (0 = always the mean)
   * @param meanOutputTokens mean output length (lognormal, sigma 0.5), capped by the request's maxTokens
   */
  public record Behaviour(Duration latency, double latencySpread, int meanOutputTokens, long seed) {
    public Behaviour {
      if (latency.isNegative() || latencySpread < 0 || meanOutputTokens < 1) {
        throw new IllegalArgumentException("simulated provider needs latency >= 0, spread >= 0, output >= 1");
      }
    }
  }

  /**
   * Fractions of calls that fail, each in [0, 1]: rate-limited (429 with {@code retryAfter}), server errors (503),
   * timeouts (no answer until the call's timeout).
   */
  public record Faults(double rateLimited, double serverErrors, double timeouts, Duration retryAfter) {
    public static final Faults NONE = new Faults(0, 0, 0, Duration.ofSeconds(1));

    public Faults {
      if (rateLimited < 0 || serverErrors < 0 || timeouts < 0 || rateLimited + serverErrors + timeouts > 1) {
        throw new IllegalArgumentException("fault rates must be >= 0 and sum to at most 1, got " + rateLimited + ", "
            + serverErrors + ", " + timeouts);
      }
      Objects.requireNonNull(retryAfter);
    }
  }

  private static final String[] WORDS = ("the change looks correct and the tests cover the main path but the error "
      + "handling should name the field and the retry loop should honour the provider's wait").split(" ");

  private final String name;
  private final Behaviour behaviour;
  private volatile Faults faults;
  /** Prompt-cache prefixes and when they expire (System.nanoTime). */
  private final java.util.concurrent.ConcurrentHashMap<String, Long> cached = new java.util.concurrent.ConcurrentHashMap<>();

  public SimulatedProvider(String name, Behaviour behaviour, Faults faults) {
    this.name = name;
    this.behaviour = behaviour;
    this.faults = faults;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean simulated() {
    return true;
  }

  public void faults(Faults faults) {
    this.faults = Objects.requireNonNull(faults);
  }

  public Faults faults() {
    return faults;
  }

  @Override
  public ProviderResponse call(ProviderRequest request) throws ProviderException {
    SplittableRandom random = new SplittableRandom(behaviour.seed() ^ mix(request.requestId(), request.providerModelId())
        ^ (request.call() * 0x9E3779B97F4A7C15L));
    Faults plan = faults;
    double roll = random.nextDouble();
    long latencyMs = (long) (behaviour.latency().toMillis() * lognormal(random, behaviour.latencySpread()));
    if (roll < plan.timeouts()) {
      sleep(request.timeout().plusSeconds(1).toMillis());
      throw new ProviderException(ProviderException.Kind.TIMEOUT, null, "timeout",
          "simulated: no answer within " + request.timeout().toMillis() + " ms");
    }
    roll -= plan.timeouts();
    if (roll < plan.rateLimited()) {
      sleep(Math.min(latencyMs, 50));
      throw new ProviderException(ProviderException.Kind.RATE_LIMITED, 429, "rate_limit_error",
          "simulated: rate limited", plan.retryAfter(), null);
    }
    roll -= plan.rateLimited();
    if (roll < plan.serverErrors()) {
      sleep(Math.min(latencyMs, 50));
      throw new ProviderException(ProviderException.Kind.SERVER_ERROR, 503, "overloaded",
          "simulated: service unavailable");
    }
    sleep(latencyMs);
    int drawn = (int) Math.max(1, Math.round(behaviour.meanOutputTokens() * lognormal(random, 0.5)));
    int output = Math.min(drawn, request.maxTokens());
    String id = "sim-" + Long.toHexString(random.nextLong());
    io.modelrouter.avro.Tool tool = toolToCall(request, random);
    if (tool != null) {
      String arguments = SchemaSample.of(tool.getInputSchema(), random);
      return new ProviderResponse("", "tool_use", request.estimatedInputTokens(), Math.max(1, arguments.length() / 4),
          0, true, id, List.of(ProviderResponse.toolCall("toolu_" + id.substring(4), tool.getName(), arguments)),
          "tool_use");
    }
    if (request.responseFormat() != null) {
      String json = SchemaSample.of(request.responseFormat().getJsonSchema(), random);
      return new ProviderResponse(json, "end_turn", request.estimatedInputTokens(), Math.max(1, json.length() / 4), 0,
          true, id, List.of(ProviderResponse.text(json)), "end_turn");
    }
    String stop = drawn > request.maxTokens() ? "max_tokens" : "end_turn";
    String text = content(random, request.providerModelId(), output);
    long[] cache = cache(request);
    return new ProviderResponse(text, stop, request.estimatedInputTokens(), output, cache[0], true, id,
        List.of(ProviderResponse.text(text)), stop, cache[1], cache[2]);
  }

  /**
   * Cache reads and writes (5 minutes, 1 hour) of a call asking for prompt caching: the marked prefix (system
   * prompt, tools, and with conversation every message but the last) is written the first time and read while its
   * TTL runs, each read renewing it, as Anthropic's cache does; its tokens estimated at 4 characters a token.
   */
  private long[] cache(ProviderRequest request) {
    if (request.promptCache() == null) {
      return new long[3];
    }
    StringBuilder prefix = new StringBuilder(request.providerModelId()).append('\u0000');
    prefix.append(request.systemPrompt() == null ? "" : request.systemPrompt()).append('\u0000');
    request.tools().forEach(t -> prefix.append(t.getName()).append(t.getDescription()).append(t.getInputSchema()));
    if (request.cacheConversation()) {
      request.messages().subList(0, Math.max(0, request.messages().size() - 1))
          .forEach(m -> prefix.append(m.getRole()).append(m.getContent()).append(m.getBlocks()));
    }
    long tokens = Math.min(request.estimatedInputTokens(), prefix.length() / 4);
    if (tokens <= 0) {
      return new long[3];
    }
    boolean hour = "1h".equals(request.promptCache());
    long now = System.nanoTime();
    long ttl = (hour ? Duration.ofHours(1) : Duration.ofMinutes(5)).toNanos();
    Long expires = cached.put(prefix.toString(), now + ttl);
    if (cached.size() > 10_000) {
      cached.clear();
    }
    if (expires != null && expires - now > 0) {
      return new long[] {tokens, 0, 0};
    }
    return hour ? new long[] {0, 0, tokens} : new long[] {0, tokens, 0};
  }

  /**
   * The tool the simulated model calls: the named one, any one when it must, and under AUTO one unless the
   * conversation already ends with a tool's result (then it answers in text); none when it may not call any.
   */
  private static io.modelrouter.avro.Tool toolToCall(ProviderRequest request, SplittableRandom random) {
    List<io.modelrouter.avro.Tool> tools = request.tools();
    if (tools.isEmpty()) {
      return null;
    }
    io.modelrouter.avro.ToolChoice choice = request.toolChoice();
    io.modelrouter.avro.ToolChoiceMode mode = choice == null ? io.modelrouter.avro.ToolChoiceMode.AUTO
        : choice.getMode();
    switch (mode) {
      case NONE -> {
        return null;
      }
      case TOOL -> {
        return tools.stream().filter(t -> t.getName().equals(choice.getToolName())).findFirst().orElse(null);
      }
      case ANY -> {
        return tools.get(random.nextInt(tools.size()));
      }
      default -> {
        io.modelrouter.avro.Message last = request.messages().isEmpty() ? null
            : request.messages().get(request.messages().size() - 1);
        boolean answered = last != null && last.getBlocks().stream()
            .anyMatch(b -> b.getType() == io.modelrouter.avro.BlockType.TOOL_RESULT);
        return answered ? null : tools.get(random.nextInt(tools.size()));
      }
    }
  }

  private static String content(SplittableRandom random, String model, int outputTokens) {
    StringBuilder text = new StringBuilder(Math.min(outputTokens, 500) * 5 + 40);
    text.append("[simulated ").append(model).append("]");
    for (int i = 0; i < Math.min(outputTokens, 500); i++) {
      text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
    }
    return text.toString();
  }

  /** A lognormal factor with mean 1. */
  private static double lognormal(SplittableRandom random, double sigma) {
    if (sigma == 0) {
      return 1;
    }
    double gaussian = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    return Math.exp(sigma * gaussian - sigma * sigma / 2);
  }

  private static long mix(String a, String b) {
    long h = 1125899906842597L;
    for (String s : new String[] {a, b}) {
      for (int i = 0; i < s.length(); i++) {
        h = 31 * h + s.charAt(i);
      }
    }
    return h;
  }

  private static void sleep(long millis) throws ProviderException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException(ProviderException.Kind.TIMEOUT, null, "interrupted", "simulated call interrupted");
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "simulated(%s, latency %d ms, faults %s)", name, behaviour.latency().toMillis(),
        faults);
  }
}
