package io.modelrouter.schemas.fuzz;

import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;

/**
 * The JSON documents budget-service parses (routing policies, budgets, catalog entries): a valid sample of each for
 * {@link HostileJson} to mutate, and the property every mutation must keep, shared by {@code PolicyFuzzTest} and
 * the long fuzz run ({@code FuzzBenchmark}).
 */
public final class PolicyDocuments {
  private PolicyDocuments() {}

  /** A kind of document, with a valid sample and its parser. */
  public enum Kind {
    ROUTING_POLICY("routing policy", PolicyJson.toJson(DefaultPolicies.routingPolicy()).toString()),
    BUDGET("budget", """
        {"timeZone": "Europe/Berlin",
         "daily": {"inputTokens": 500000, "outputTokens": 100000, "costUsd": 12.5, "alertThresholds": [0.5, 0.8],
                   "action": "pause", "escalations": [{"at": 0.8, "action": "restrict"}]},
         "monthly": {"costUsd": 300, "alertThresholds": [0.9], "action": "restrict"}}"""),
    MODEL("model", """
        {"id": "qwen3-8b", "provider": "ollama", "providerModelId": "qwen3:8b", "contextWindow": 40960,
         "maxOutputTokens": 8192, "inputPricePerMTokUsd": 0, "outputPricePerMTokUsd": 0}""");

    private final String label;
    private final String sample;

    Kind(String label, String sample) {
      this.label = label;
      this.sample = sample;
    }

    public String label() {
      return label;
    }

    public String sample() {
      return sample;
    }

    Object parse(String text) {
      return switch (this) {
        case ROUTING_POLICY -> PolicyJson.parseRoutingPolicy("team-a", PolicyJson.read(text, label),
            DefaultPolicies.catalogById());
        case BUDGET -> PolicyJson.parseBudgetPolicy("team-a", PolicyJson.read(text, label));
        case MODEL -> PolicyJson.parseModelSpec(PolicyJson.read(text, label));
      };
    }
  }

  /** What parsing one document did: accepted, or refused; {@code problem} is null unless the property broke. */
  public record Outcome(boolean accepted, String problem) {}

  /**
   * Parses {@code text} as a {@code kind}: it must be accepted, or refused with a {@link PolicyException} whose every
   * problem names a JSON path; anything else (null, another exception, a stack overflow) is the problem returned.
   */
  public static Outcome check(Kind kind, String text) {
    try {
      return kind.parse(text) == null ? new Outcome(true, "parsed to null") : new Outcome(true, null);
    } catch (PolicyException e) {
      boolean paths = !e.problems().isEmpty() && e.problems().stream().allMatch(p -> p.startsWith("$"));
      return new Outcome(false, paths ? null : "refused without a path for every problem " + e.problems());
    } catch (Exception | StackOverflowError e) {
      return new Outcome(false, "neither accepted nor refused with the paths: " + e);
    }
  }
}
