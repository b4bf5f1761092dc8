package io.modelrouter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.router.routing.BudgetStatus;
import io.modelrouter.router.routing.CompiledPolicy;
import io.modelrouter.router.routing.ComplexityEstimator;
import io.modelrouter.router.routing.RouteOutcome;
import io.modelrouter.router.routing.RoutingEngine;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.Pricing;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mr explain}: routes a prompt with the router's own engine, the team's live policy (or the default), the live
 * catalog and the team's budget state, and shows every step of the decision; nothing is sent to Kafka or a provider.
 */
@Command(name = "explain", description = "Route a prompt with the live policy and show every step of the decision, "
    + "without sending it.")
final class ExplainCommand implements Callable<Integer> {
  @ParentCommand
  Mr mr;
  @Spec
  CommandSpec spec;
  @Option(names = "--team", required = true)
  String team;
  @Option(names = "--task-type", required = true, description = "e.g. interactiveChat, codeReview, specGeneration")
  String taskType;
  @Option(names = "--tier", description = "the tenant's plan (default: the policy's default tier)")
  String tier;
  @Option(names = "--model", defaultValue = "auto", description = "auto, a profile or a catalog model")
  String model;
  @Option(names = "--max-tokens")
  Integer maxTokens;
  @Option(names = "--system", description = "a system prompt")
  String system;
  @Option(names = "--file", description = "read the prompt from this file")
  Path file;
  @Parameters(arity = "0..*", paramLabel = "PROMPT", description = "the prompt (or --file)")
  List<String> prompt;

  @Override
  public Integer call() {
    String text = file != null ? Mr.read(file) : prompt == null ? null : String.join(" ", prompt);
    if (text == null || text.isBlank()) {
      throw new CliException("no prompt: give it as arguments or with --file");
    }
    Api api = mr.api();
    Map<String, ModelSpec> catalog = PolicyCommand.catalog(api);
    String policyPath = PolicyCommand.path(Paths.segment(team));
    HttpResponse<String> own = api.call("GET", policyPath, "application/json", null);
    boolean teamPolicy = own.statusCode() == 200;
    if (!teamPolicy && own.statusCode() != 404) {
      throw Api.refused("GET", policyPath, own);
    }
    JsonNode policyJson = teamPolicy ? parse(own.body()) : api.json("GET", PolicyCommand.path(null), null);
    ((ObjectNode) policyJson).remove("updatedAt");
    RoutingPolicy policy;
    try {
      policy = PolicyJson.parseRoutingPolicy(teamPolicy ? team : Topics.DEFAULT_POLICY_KEY, policyJson, catalog);
    } catch (PolicyException e) {
      throw new CliException("the live routing policy does not parse", e.problems());
    }
    JsonNode state = api.json("GET", "/teams/" + team + "/state", null);
    BudgetStatus budget = new BudgetStatus(BudgetState.valueOf(state.path("state").asText("NORMAL")),
        state.path("reason").asText(""));
    InferenceRequest request = InferenceRequest.newBuilder().setRequestId("mr-explain-" + System.nanoTime())
        .setTeamId(team).setTaskType(taskType).setTier(tier)
        .setMessages(List.of(new Message(Role.USER, text, List.of()))).setSystemPrompt(system)
        .setMaxTokens(maxTokens).setModel(model).setPriority(Priority.INTERACTIVE).setMetadata(Map.of())
        .setCreatedAt(Instant.now()).build();

    RouteOutcome outcome = new RoutingEngine(new ComplexityEstimator()).route(request,
        CompiledPolicy.compile(policy), ModelCatalog.of(catalog), budget, Instant.now());

    PrintWriter out = spec.commandLine().getOut();
    out.printf("policy: %s (version %d); budget state: %s%s%n", teamPolicy ? "team " + team + "'s own" : "the default",
        policy.getVersion(), budget.state(), budget.reason().isBlank() ? "" : " (" + budget.reason() + ")");
    if (outcome instanceof RouteOutcome.Routed routed) {
      RoutingDecision d = routed.decision();
      out.printf("decision: %s → %s/%s (%s), max %,d output tokens%n", d.getProfile(), d.getProvider(), d.getModel(),
          d.getProviderModelId(), d.getMaxTokens());
      out.println("steps:");
      for (String step : d.getReason().split("; ")) {
        out.println("  - " + step);
      }
      out.printf("fallbacks: %s%n", d.getFallbacks().isEmpty() ? "none"
          : String.join(", ", d.getFallbacks().stream().map(ModelRef::getModel).toList()));
      out.printf("complexity %.2f; about %,d input and %,d output tokens; about %s%n", d.getComplexity(),
          d.getEstimatedInputTokens(), d.getEstimatedOutputTokens(), Pricing.dollars(d.getEstimatedCostMicros()));
      if (d.getLearnedModel() != null) {
        out.println("learned model: " + d.getLearnedModel());
      }
    } else if (outcome instanceof RouteOutcome.Rejected rejected) {
      out.printf("REJECTED %s: %s%n", rejected.code(), rejected.message());
      if (!rejected.routingReason().isBlank()) {
        out.println("steps: " + rejected.routingReason());
      }
    } else if (outcome instanceof RouteOutcome.Paused paused) {
      out.println("PAUSED: " + paused.reason());
      out.println("steps: " + paused.routingReason());
    } else {
      out.println(outcome);
    }
    out.println("(nothing was sent)");
    out.flush();
    return 0;
  }

  private static JsonNode parse(String body) {
    try {
      return Api.JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw new CliException("the routing policy is not JSON: " + e.getMessage());
    }
  }
}
