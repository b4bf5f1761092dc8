package io.modelrouter.bench;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.Tool;
import java.nio.ByteBuffer;
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

  /** Two tools as an agent step would define them. */
  static final List<Tool> TOOLS = List.of(
      new Tool("search_code", "Search the repository for a symbol or text and return matching lines",
          "{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"description\":\"what to search"
              + " for\"},\"path\":{\"type\":\"string\"},\"limit\":{\"type\":\"integer\",\"minimum\":1,"
              + "\"maximum\":50}},\"required\":[\"query\"]}"),
      new Tool("run_tests", "Run the test suite of one module and return the failures",
          "{\"type\":\"object\",\"properties\":{\"module\":{\"type\":\"string\"},\"pattern\":"
              + "{\"type\":\"string\"}},\"required\":[\"module\"]}"));
  /** A screenshot-like PNG (800 x 600, flat areas and a few shapes), about the size such images compress to. */
  static final ByteBuffer IMAGE = screenshot();

  private final Random random;
  private final int teams;
  private final boolean mixed;

  Workload(long seed, int teams) {
    this(seed, teams, false);
  }

  /** With {@code mixed}, 20% of the requests carry two tools and 10% an image (issue 14's benchmark mix). */
  Workload(long seed, int teams, boolean mixed) {
    this.random = new Random(seed);
    this.teams = teams;
    this.mixed = mixed;
  }

  private static ByteBuffer screenshot() {
    java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(800, 600,
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = image.createGraphics();
    g.setColor(java.awt.Color.WHITE);
    g.fillRect(0, 0, 800, 600);
    Random shapes = new Random(3);
    for (int i = 0; i < 40; i++) {
      g.setColor(new java.awt.Color(shapes.nextInt(0xFFFFFF)));
      g.fillRect(shapes.nextInt(760), shapes.nextInt(560), 20 + shapes.nextInt(200), 8 + shapes.nextInt(30));
    }
    g.dispose();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(image, "png", out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return ByteBuffer.wrap(out.toByteArray()).asReadOnlyBuffer();
  }

  /**
   * The next request this policy routes and {@code accept} takes (requests it rejects are drawn again), named
   * {@code id}, of this priority, without a deadline, created now, routed by {@code engine}; its fallbacks cleared.
   */
  io.modelrouter.avro.RoutedRequest routed(int index, String id, Priority priority,
      io.modelrouter.router.routing.RoutingEngine engine, io.modelrouter.router.routing.CompiledPolicy policy,
      io.modelrouter.schemas.ModelCatalog catalog,
      java.util.function.Predicate<io.modelrouter.avro.RoutingDecision> accept) {
    for (long i = index; ; i += 1_000_003) {
      InferenceRequest request = next(i);
      request.setRequestId(id);
      request.setPriority(priority);
      request.setDeadline(null);
      request.setCreatedAt(Instant.now());
      if (engine.route(request, policy, catalog, io.modelrouter.router.routing.BudgetStatus.NORMAL, Instant.now())
          instanceof io.modelrouter.router.routing.RouteOutcome.Routed routed && accept.test(routed.decision())) {
        routed.decision().setFallbacks(List.of());
        return new io.modelrouter.avro.RoutedRequest(request, routed.decision());
      }
    }
  }

  InferenceRequest next(long index) {
    String taskType = TASK_TYPES.get(random.nextInt(TASK_TYPES.size()));
    double roll = mixed ? random.nextDouble() : 1;
    List<ContentBlock> blocks = roll >= 0.2 && roll < 0.3 ? List.of(ContentBlock.newBuilder().setType(BlockType.IMAGE)
        .setMediaType("image/png").setData(IMAGE.duplicate()).build()) : List.of();
    return InferenceRequest.newBuilder()
        .setRequestId("bench-" + index)
        .setTeamId("team-" + random.nextInt(teams))
        .setPipelineId("bench")
        .setSessionId("session-" + random.nextInt(1_000))
        .setTaskType(taskType)
        .setTier(random.nextInt(4) == 0 ? "power" : "pro")
        .setMessages(List.of(new Message(Role.USER, prompt(200 + random.nextInt(1_800)), blocks)))
        .setTools(roll < 0.2 ? TOOLS : List.of())
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
