package io.modelrouter.client.example;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.client.AlertSubscription;
import io.modelrouter.client.BatchResult;
import io.modelrouter.client.RouterClient;
import io.modelrouter.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A pipeline in a few lines: follow the team's budget alerts, ask one question, then send a batch and report what
 * came back. Configured like the services ({@code MR_KAFKA_BOOTSTRAP_SERVERS}, {@code MR_SCHEMA_REGISTRY_URL},
 * {@code MR_TOPICS_PREFIX} ...; defaults {@code localhost:9092} and {@code http://localhost:8081}, the local
 * stack's). Argument: the team id (default {@code team-docs}).
 */
public final class SubmitExample {

  private SubmitExample() {}

  public static void main(String[] args) {
    String team = args.length > 0 ? args[0] : "team-docs";
    try (RouterClient client = RouterClient.fromSettings(Settings.fromEnvironment());
        AlertSubscription alerts = client.onAlert(team, alert -> System.out.printf(
            "budget alert for %s: %s (%s -> %s)%n", alert.getTeamId(), alert.getMessage(),
            alert.getPreviousState(), alert.getState()))) {
      System.out.println("following the budget alerts of " + alerts.teamId());

      // One interactive request: the future completes with the result, whatever its status.
      InferenceResult answer = client.submit(request(team, "interactiveChat", Priority.INTERACTIVE,
          "In one sentence: what does a Kafka consumer group do?")).join();
      System.out.printf("%s %s via %s/%s, %d+%d tokens, $%.6f: %s%n", answer.getRequestId(), answer.getStatus(),
          answer.getProvider(), answer.getModel(), answer.getUsage().getInputTokens(),
          answer.getUsage().getOutputTokens(), answer.getCostMicros() / 1e6,
          answer.getStatus() == ResultStatus.OK ? abbreviate(answer.getContent()) : answer.getErrorMessage());

      // A batch: one future for all of it; each request has a result or a client-side error, in input order.
      List<InferenceRequest> batch = IntStream.range(0, 20)
          .mapToObj(i -> request(team, "documentationUpdate", Priority.BATCH,
              "Write the changelog entry for change #" + i + "."))
          .toList();
      BatchResult done = client.submitAll(batch, Duration.ofMinutes(5)).join();
      long costMicros = done.results().stream().mapToLong(InferenceResult::getCostMicros).sum();
      System.out.printf("batch: %s, total cost $%.6f%n", done, costMicros / 1e6);
      done.failures().forEach(f -> System.out.printf("  %s failed: %s%n", f.requestId(), f.error().getMessage()));
    }
  }

  private static String abbreviate(String text) {
    return text.length() <= 100 ? text : text.substring(0, 100) + "...";
  }

  private static InferenceRequest request(String team, String taskType, Priority priority, String prompt) {
    return InferenceRequest.newBuilder()
        .setTeamId(team)
        .setPipelineId("submit-example")
        .setTaskType(taskType)
        .setPriority(priority)
        .setMessages(List.of(new Message(Role.USER, prompt, List.of())))
        .build();
  }
}
