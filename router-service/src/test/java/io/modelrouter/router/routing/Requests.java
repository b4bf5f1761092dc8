package io.modelrouter.router.routing;

import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Role;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Request builders for router tests. */
public final class Requests {
  public static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  private Requests() {}

  public static InferenceRequest.Builder request(String taskType, String prompt) {
    return InferenceRequest.newBuilder()
        .setRequestId("req-" + Math.abs((taskType + prompt).hashCode()))
        .setTeamId("team-a")
        .setPipelineId("pipeline-1")
        .setSessionId("session-1")
        .setTaskType(taskType)
        .setTier(null)
        .setMessages(List.of(new Message(Role.USER, prompt, List.of())))
        .setSystemPrompt(null)
        .setMaxTokens(null)
        .setTemperature(null)
        .setModel("auto")
        .setPriority(Priority.INTERACTIVE)
        .setDeadline(null)
        .setMetadata(Map.of())
        .setCreatedAt(NOW);
  }

  public static InferenceRequest chat(String prompt) {
    return request("interactiveChat", prompt).build();
  }

  /** A chat question of a few paragraphs: six files, two code blocks, several integrations and reasoning asks. */
  public static String complexChat() {
    return "Checkout calls the payments API, then our webhook endpoint, then writes the database; since the schema "
        + "migration the OAuth callback deadlocks. Analyze the root cause and the race condition, list the edge "
        + "cases, and compare two designs. The code is in src/pay/Checkout.java, src/pay/Webhook.java, "
        + "src/pay/OAuth.java, src/db/Ledger.java, src/db/Outbox.java and db/V12__ledger.sql:\n"
        + "```java\nsynchronized (ledger) { outbox.append(event); }\n```\n"
        + "```sql\nUPDATE ledger SET balance = balance - ? WHERE id = ?;\n```\n";
  }
}
