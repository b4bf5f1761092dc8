package io.modelrouter.router.routing;

import java.util.Locale;
import java.util.Map;

/** What the router expects of a task type's output when the request does not say. */
final class TaskTypes {
  static final int DEFAULT_EXPECTED_OUTPUT = 1000;

  private static final Map<String, Integer> EXPECTED_OUTPUT_TOKENS = Map.ofEntries(
      Map.entry("research", 3000), Map.entry("planning", 2500), Map.entry("specgeneration", 4000),
      Map.entry("taskexecution", 2000), Map.entry("implementation", 3000), Map.entry("buildplan", 1500),
      Map.entry("validation", 1500), Map.entry("deepaudit", 2000), Map.entry("codereview", 1000),
      Map.entry("review", 1000), Map.entry("remediation", 1500), Map.entry("e2etesting", 1000),
      Map.entry("interactivechat", 500), Map.entry("chat", 500), Map.entry("hookactions", 300), Map.entry("hooks", 300),
      Map.entry("codeexplanation", 800), Map.entry("documentationupdate", 1200));

  private TaskTypes() {}

  static int expectedOutputTokens(String taskType) {
    if (taskType == null) {
      return DEFAULT_EXPECTED_OUTPUT;
    }
    return EXPECTED_OUTPUT_TOKENS.getOrDefault(taskType.toLowerCase(Locale.ROOT), DEFAULT_EXPECTED_OUTPUT);
  }
}
