package io.modelrouter.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mr}, the operator's command line for model-router. Talks to budget-service's HTTP API (usage, policies,
 * budgets, the catalog) and to Kafka (tailing topics, replaying dead letters). The token comes from
 * {@code MR_TOKEN} or {@code --token-file}, never from an option's value: it would stay in the shell's history.
 */
@Command(name = "mr", mixinStandardHelpOptions = true, version = "mr 0.1.0",
    description = "Operate model-router: usage, routing policies, budgets, topics, dead letters, routing decisions.",
    subcommands = {UsageCommand.class, PolicyCommand.class, BudgetCommand.class, TailCommand.class,
        ReplayDlqCommand.class, ExplainCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Environment: MR_URL, MR_TOKEN (or --token-file), MR_KAFKA_BOOTSTRAP_SERVERS, MR_SCHEMA_REGISTRY_URL,"
        + " MR_TOPICS_PREFIX.", "Exit status: 0 done, 1 refused or failed (the reason on stderr), 2 bad usage."})
public final class Mr {
  @Option(names = "--url", defaultValue = "${env:MR_URL:-http://localhost:8080}",
      description = "budget-service's base URL (default: ${DEFAULT-VALUE}; env MR_URL)")
  String url;

  @Option(names = "--token-file", description = "a file holding the API token (default: the MR_TOKEN variable)")
  Path tokenFile;

  @Option(names = "--bootstrap-servers", defaultValue = "${env:MR_KAFKA_BOOTSTRAP_SERVERS:-localhost:9092}",
      description = "Kafka (default: ${DEFAULT-VALUE}; env MR_KAFKA_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(names = "--schema-registry", defaultValue = "${env:MR_SCHEMA_REGISTRY_URL:-http://localhost:8081}",
      description = "the schema registry (default: ${DEFAULT-VALUE}; env MR_SCHEMA_REGISTRY_URL)")
  String schemaRegistry;

  @Option(names = "--topic-prefix", defaultValue = "${env:MR_TOPICS_PREFIX:-}",
      description = "the services' topics.prefix (default: none; env MR_TOPICS_PREFIX)")
  String topicPrefix;

  /** The environment the token is read from; tests give their own. */
  Map<String, String> environment = System.getenv();

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with mr's error handling: a refusal or failure prints "mr: reason" and exits 1. */
  public static CommandLine commandLine() {
    return commandLine(new Mr());
  }

  static CommandLine commandLine(Mr mr) {
    CommandLine line = new CommandLine(mr);
    line.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof CliException failure) {
        cmd.getErr().println("mr: " + failure.getMessage());
        failure.details().forEach(d -> cmd.getErr().println("  " + d));
        cmd.getErr().flush();
        return 1;
      }
      cmd.getErr().println("mr: " + e);
      cmd.getErr().flush();
      return 1;
    });
    return line;
  }

  /** budget-service, with the token. */
  Api api() {
    return new Api(url, token());
  }

  String token() {
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile).strip();
      } catch (IOException e) {
        throw new CliException("cannot read the token file " + tokenFile + ": " + e.getMessage());
      }
    }
    String token = environment.get("MR_TOKEN");
    if (token == null || token.isBlank()) {
      throw new CliException("no API token: set MR_TOKEN or pass --token-file FILE");
    }
    return token.strip();
  }

  /** The file's text, or a CliException naming the file. */
  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new CliException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
