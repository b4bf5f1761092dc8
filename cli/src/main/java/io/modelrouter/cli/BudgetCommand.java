package io.modelrouter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.schemas.policy.PolicyException;
import io.modelrouter.schemas.policy.PolicyJson;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mr budget get|set|reset TEAM}. */
@Command(name = "budget", description = "A team's budget: get, set (from a file), reset (lift a pause).",
    subcommands = {BudgetCommand.Get.class, BudgetCommand.Set.class, BudgetCommand.Reset.class})
final class BudgetCommand {
  @ParentCommand
  Mr mr;

  @Command(name = "get", description = "Print a team's budget.")
  static final class Get implements Callable<Integer> {
    @ParentCommand
    BudgetCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "TEAM")
    String team;

    @Override
    public Integer call() {
      JsonNode budget = parent.mr.api().json("GET", "/teams/" + Paths.segment(team) + "/budget", null);
      spec.commandLine().getOut().println(budget.toPrettyString());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "set", description = "Validate a budget file ({\"daily\": {...}, \"monthly\": {...}}), then "
      + "publish it.")
  static final class Set implements Callable<Integer> {
    @ParentCommand
    BudgetCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(index = "0", paramLabel = "TEAM")
    String team;
    @Parameters(index = "1", paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() {
      String text = Mr.read(file);
      try {
        PolicyJson.parseBudgetPolicy(Paths.segment(team), PolicyJson.read(text, file.toString()));
      } catch (PolicyException e) {
        throw new CliException(file + " is not a valid budget (nothing was published)", e.problems());
      }
      JsonNode answer = parent.mr.api().json("PUT", "/teams/" + team + "/budget", text);
      spec.commandLine().getOut().printf("budget of %s set: version %s%n", team, answer.path("version").asText("?"));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  @Command(name = "reset", description = "Lift a team's pause: its windows start counting again.")
  static final class Reset implements Callable<Integer> {
    @ParentCommand
    BudgetCommand parent;
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "TEAM")
    String team;

    @Override
    public Integer call() {
      parent.mr.api().ok("POST", "/teams/" + Paths.segment(team) + "/budget/reset", "application/json", null);
      spec.commandLine().getOut().printf("budget of %s reset: the pause is lifted (the state follows within "
          + "seconds)%n", team);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
