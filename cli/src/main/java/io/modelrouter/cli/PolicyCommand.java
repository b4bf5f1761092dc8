package io.modelrouter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mr policy get|validate|apply}: routing policies, validated here before anything is published. */
@Command(name = "policy", description = "Routing policies: get, validate, apply.",
    subcommands = {PolicyCommand.Get.class, PolicyCommand.Validate.class, PolicyCommand.Apply.class})
final class PolicyCommand {
  @ParentCommand
  Mr mr;

  /** A policy file checked as budget-service would: JSON Schema, then the catalog's models; problems name paths. */
  static RoutingPolicy validate(Path file, String team, Map<String, ModelSpec> catalog) {
    String text = Mr.read(file);
    try {
      JsonNode json = PolicyJson.read(text, file.toString());
      return PolicyJson.parseRoutingPolicy(team, json, catalog);
    } catch (PolicyException e) {
      throw new CliException(file + " is not a valid routing policy (nothing was published)", e.problems());
    }
  }

  /** The live catalog from budget-service. */
  static Map<String, ModelSpec> catalog(Api api) {
    JsonNode answer = api.json("GET", "/models", null);
    ObjectNode document = Api.JSON.createObjectNode();
    com.fasterxml.jackson.databind.node.ArrayNode models = document.putArray("models");
    // the service's answer adds when each model was last changed, which a catalog document does not carry
    answer.path("models").forEach(m -> models.add(((ObjectNode) m.deepCopy()).without("updatedAt")));
    Map<String, ModelSpec> byId = new LinkedHashMap<>();
    try {
      PolicyJson.parseCatalog(document).forEach(m -> byId.put(m.getId(), m));
    } catch (PolicyException e) {
      throw new CliException("budget-service's catalog does not parse", e.problems());
    }
    return byId;
  }

  static String path(String team) {
    return team == null ? "/policies/default" : "/teams/" + Paths.segment(team) + "/policy";
  }

  @Command(name = "get", description = "Print a team's routing policy (or the default one, or the one a team uses).")
  static final class Get implements Callable<Integer> {
    @ParentCommand
    PolicyCommand parent;
    @Spec
    CommandSpec spec;
    @Option(names = "--team", description = "the team (default: the default policy)")
    String team;

    @Override
    public Integer call() {
      Api api = parent.mr.api();
      HttpResponse<String> response = api.call("GET", path(team), "application/json", null);
      if (response.statusCode() == 404 && team != null) {
        spec.commandLine().getErr().println("mr: team " + team + " has no routing policy of its own; it uses the "
            + "default policy:");
        spec.commandLine().getErr().flush();
        response = api.call("GET", path(null), "application/json", null);
      }
      if (response.statusCode() / 100 != 2) {
        throw Api.refused("GET", path(team), response);
      }
      try {
        spec.commandLine().getOut().println(Api.JSON.readTree(response.body()).toPrettyString());
      } catch (java.io.IOException e) {
        spec.commandLine().getOut().println(response.body());
      }
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "validate", description = "Check a policy file (JSON Schema, profiles, models of the live "
      + "catalog); every problem with its JSON path.")
  static final class Validate implements Callable<Integer> {
    @ParentCommand
    PolicyCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "FILE")
    Path file;
    @Option(names = "--team", description = "the team it is for (default: the default policy)")
    String team;
    @Option(names = "--offline", description = "check against the shipped catalog, without budget-service")
    boolean offline;

    @Override
    public Integer call() {
      Map<String, ModelSpec> catalog = offline ? DefaultPolicies.catalogById() : catalog(parent.mr.api());
      RoutingPolicy policy = validate(file, team == null ? Topics.DEFAULT_POLICY_KEY : Paths.segment(team), catalog);
      spec.commandLine().getOut().printf("%s is valid: %d profiles, %d task types routed, strategy %s%n", file,
          policy.getProfiles().size(), policy.getRouting().size(), policy.getAuto().getStrategy());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "apply", description = "Validate a policy file, then publish it (admin token).")
  static final class Apply implements Callable<Integer> {
    @ParentCommand
    PolicyCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "FILE")
    Path file;
    @Option(names = "--team", description = "the team it is for (default: the default policy)")
    String team;

    @Override
    public Integer call() {
      Api api = parent.mr.api();
      validate(file, team == null ? Topics.DEFAULT_POLICY_KEY : Paths.segment(team), catalog(api));
      JsonNode answer = api.json("PUT", path(team), Mr.read(file));
      spec.commandLine().getOut().printf("applied: %s routing policy version %s%n",
          team == null ? "the default" : "team " + team + "'s", answer.path("version").asText("?"));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

}
