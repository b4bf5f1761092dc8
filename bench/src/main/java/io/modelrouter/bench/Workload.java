package io.modelrouter.bench;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Role;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Deterministic requests shaped like seed 003's development loop: task types in their usual proportions, prompts of
 * 200 to 2,000 characters of prose with some file paths and code blocks, spread over many teams.
 */
final class Workload {
  static final List<String> TASK_TYPES = List.of("research", "planning", "validation", "buildPlan", "implementation",
      "implementation", "codeReview", "remediation", "interactiveChat", "interactiveChat", "interactiveChat",
      "hookActions", "hookActions", "codeExplanation", "documentationUpdate", "specGeneration");
  private static final String[] WORDS = ("the request handler should validate the payload before it calls the "
      + "service and return a clear error when a field is missing so that retries do not repeat the same failure "
      + "update the migration add an index on the orders table and check the query plan under load compare the "
      + "latency before and after explain why the consumer lags after a rebalance and how to fix the offset commit "
      + "refactor the module into smaller functions keep the behaviour and add tests for the edge cases").split(" ");
  private static final String[] FILES = {"src/main/java/orders/OrderService.java", "db/V42__orders_index.sql",
      "src/api/handlers.ts", "config/application.yaml", "README.md", "src/worker/consumer.py"};

  private final Random random;
  private final int teams;

  Workload(long seed, int teams) {
    this.random = new Random(seed);
    this.teams = teams;
  }

  InferenceRequest next(long index) {
    String taskType = TASK_TYPES.get(random.nextInt(TASK_TYPES.size()));
    return InferenceRequest.newBuilder()
        .setRequestId("bench-" + index)
        .setTeamId("team-" + random.nextInt(teams))
        .setPipelineId("bench")
        .setSessionId("session-" + random.nextInt(1_000))
        .setTaskType(taskType)
        .setTier(random.nextInt(4) == 0 ? "power" : "pro")
        .setMessages(List.of(new Message(Role.USER, prompt(200 + random.nextInt(1_800)), List.of())))
        .setSystemPrompt(random.nextBoolean() ? "You are a senior engineer. Answer precisely." : null)
        .setMaxTokens(random.nextInt(3) == 0 ? 1024 : null)
        .setTemperature(null)
        .setModel("auto")
        .setPriority(random.nextBoolean() ? Priority.BATCH : Priority.INTERACTIVE)
        .setDeadline(null)
        .setMetadata(Map.of())
        .setCreatedAt(Instant.now())
        .build();
  }

  String prompt(int length) {
    StringBuilder text = new StringBuilder(length + 64);
    while (text.length() < length) {
      int roll = random.nextInt(40);
      if (roll == 0) {
        text.append("\n```java\nint total = orders.stream().mapToInt(Order::amount).sum();\n```\n");
      } else if (roll == 1) {
        text.append(' ').append(FILES[random.nextInt(FILES.length)]);
      } else {
        text.append(' ').append(WORDS[random.nextInt(WORDS.length)]);
      }
    }
    return text.toString();
  }
}
