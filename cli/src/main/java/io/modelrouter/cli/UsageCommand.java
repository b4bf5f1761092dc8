package io.modelrouter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code mr usage TEAM}: Kiro's /usage, as text or JSON. */
@Command(name = "usage", description = "A team's usage: session, daily and monthly tokens, cost, budget share, "
    + "the last changes (Kiro's /usage).")
final class UsageCommand implements Callable<Integer> {
  @ParentCommand
  Mr mr;
  @Spec
  CommandSpec spec;
  @Parameters(paramLabel = "TEAM")
  String team;
  @Option(names = "--session", description = "one session's usage")
  String session;
  @Option(names = "--json", description = "the JSON answer instead of the text")
  boolean json;

  @Override
  public Integer call() {
    String path = "/teams/" + Paths.segment(team) + "/usage"
        + (session == null ? "" : "?session=" + URLEncoder.encode(session, StandardCharsets.UTF_8));
    Api api = mr.api();
    if (json) {
      JsonNode answer = api.json("GET", path, null);
      spec.commandLine().getOut().println(answer.toPrettyString());
    } else {
      spec.commandLine().getOut().print(api.ok("GET", path, "text/plain", null));
    }
    spec.commandLine().getOut().flush();
    return 0;
  }
}
