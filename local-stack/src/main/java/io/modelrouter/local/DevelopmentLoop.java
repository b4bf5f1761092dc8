package io.modelrouter.local;

import io.modelrouter.avro.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Seed 003's 15-step development loop as the LLM calls one feature makes: the steps that need a model, in the
 * seed's order, with the task types of the default routing table, plus the interactive chat and hook calls a
 * developer makes along the way (seed 000's {@code interactiveChat} and {@code hookActions}). Steps 7 (pre-flight
 * check) and 15 (smoke test) are automated in the seed, so they make no call. Step 14's git commit is automated too;
 * it fires a commit hook, and its docs update is a {@code documentationUpdate}, which the default table sends to the
 * fast profile (seed 000: "doc updates: lower complexity") although seed 003 names the mid tier.
 *
 * <p>Prompts are a few sentences naming files, sometimes with a code block, and depend only on the seed, the team
 * and the iteration, so a run can be repeated.
 */
public final class DevelopmentLoop {

  /**
   * One call of the loop.
   *
   * @param number the seed's step number (chat and hook calls carry the number of the step they accompany)
   * @param profile the profile the default routing table gives {@code taskType}: frontier, primary (seed 003's
   *     mid tier) or fast
   */
  public record Step(int number, String title, String taskType, String profile) {}

  /** A call ready to send: its step, system prompt and user prompt. */
  public record Call(Step step, String systemPrompt, String prompt, Priority priority) {}

  public static final List<Step> STEPS = List.of(
      new Step(1, "Research", "research", "frontier"),
      new Step(2, "Draft plan", "planning", "frontier"),
      new Step(2, "Question about the plan", "chat", "fast"),
      new Step(3, "Validate requirements", "validation", "frontier"),
      new Step(4, "Validate integration", "validation", "frontier"),
      new Step(5, "Generate build plan", "buildPlan", "primary"),
      new Step(6, "Double-check build plan", "validation", "frontier"),
      new Step(8, "Implement", "implementation", "primary"),
      new Step(8, "On-save lint hook", "hooks", "fast"),
      new Step(8, "Explain a compiler error", "chat", "fast"),
      new Step(9, "Code review", "review", "primary"),
      new Step(10, "Deep audit", "deepAudit", "frontier"),
      new Step(11, "Remediation", "remediation", "primary"),
      new Step(12, "Full E2E tests", "e2eTesting", "primary"),
      new Step(13, "Final remediation", "remediation", "primary"),
      new Step(14, "Commit-message hook", "hooks", "fast"),
      new Step(14, "Update docs", "documentationUpdate", "fast"));

  private record Feature(String title, String service, String module, String[] files, String test, String doc,
      String code) {}

  private static final List<Feature> FEATURES = List.of(
      new Feature("rate limiting on the public export API", "export", "services/export",
          new String[] {"src/main/java/com/acme/export/ExportController.java",
              "src/main/java/com/acme/export/TokenBucket.java", "src/main/resources/application.yaml"},
          "src/test/java/com/acme/export/ExportControllerTest.java", "docs/api/export.md", """
          if (!bucket.tryConsume(1)) {
              return ResponseEntity.status(429).header("Retry-After", "1").build();
          }"""),
      new Feature("CSV import with an error report per row", "catalog", "services/catalog",
          new String[] {"src/main/java/com/acme/catalog/CsvImporter.java",
              "src/main/java/com/acme/catalog/RowError.java", "src/main/resources/db/V42__import_jobs.sql"},
          "src/test/java/com/acme/catalog/CsvImporterTest.java", "docs/guides/import.md", """
          for (CSVRecord row : parser) {
              errors.addAll(validator.validate(row));
          }"""),
      new Feature("password reset by e-mailed link", "accounts", "services/accounts",
          new String[] {"src/main/kotlin/com/acme/accounts/ResetController.kt",
              "src/main/kotlin/com/acme/accounts/ResetTokens.kt", "src/main/resources/templates/reset.html"},
          "src/test/kotlin/com/acme/accounts/ResetControllerTest.kt", "docs/security/password-reset.md", """
          val token = tokens.issue(user.id, ttl = Duration.ofMinutes(30))
          mailer.send(user.email, "reset", mapOf("link" to link(token)))"""),
      new Feature("an audit log of admin actions", "admin", "services/admin",
          new String[] {"app/admin/audit_log.py", "app/admin/views.py", "migrations/0042_audit_log.py"},
          "tests/admin/test_audit_log.py", "docs/admin/audit-log.md", """
          def record(actor, action, target):
              AuditEntry.objects.create(actor=actor, action=action, target=target)"""),
      new Feature("cursor pagination for GET /orders", "orders", "services/orders",
          new String[] {"internal/orders/handler.go", "internal/orders/store.go", "internal/orders/cursor.go"},
          "internal/orders/handler_test.go", "docs/api/orders.md", """
          rows, err := s.db.QueryContext(ctx, q, cursor.After, limit+1)
          if err != nil {
              return nil, err
          }"""),
      new Feature("retries of failed webhook deliveries", "notify", "services/notify",
          new String[] {"src/webhooks/deliver.ts", "src/webhooks/backoff.ts", "src/webhooks/queue.ts"},
          "src/webhooks/deliver.test.ts", "docs/webhooks.md", """
          const delay = Math.min(maxDelay, base * 2 ** attempt) * (0.5 + Math.random());
          await queue.schedule(delivery, delay);"""),
      new Feature("a dark mode for the settings page", "web", "web",
          new String[] {"web/src/settings/SettingsPage.tsx", "web/src/theme/tokens.css",
              "web/src/theme/useTheme.ts"},
          "web/src/settings/SettingsPage.test.tsx", "docs/ui/theming.md", """
          const [theme, setTheme] = useState(() => localStorage.getItem("theme") ?? "system");"""),
      new Feature("a nightly invoice export to object storage", "billing", "services/billing",
          new String[] {"src/main/java/com/acme/billing/InvoiceExportJob.java",
              "src/main/java/com/acme/billing/InvoiceWriter.java", "deploy/cron/invoice-export.yaml"},
          "src/test/java/com/acme/billing/InvoiceExportJobTest.java", "docs/runbooks/invoice-export.md", """
          @Scheduled(cron = "0 30 2 * * *", zone = "UTC")
          void export() { writer.write(invoices.closedOn(LocalDate.now(clock).minusDays(1))); }"""));

  private static final String SYSTEM = "You are a senior engineer on %s, working in %s. Answer concisely;"
      + " name files by their path.";

  private final long seed;

  public DevelopmentLoop(long seed) {
    this.seed = seed;
  }

  /** The calls of one pass through the loop (one feature) of a team, in the seed's order. */
  public List<Call> iteration(String team, int iteration) {
    Objects.requireNonNull(team, "team");
    SplittableRandom random = new SplittableRandom(seed ^ mix(team) ^ (iteration * 0x9E3779B97F4A7C15L));
    Feature f = FEATURES.get(random.nextInt(FEATURES.size()));
    String system = String.format(SYSTEM, team, f.module());
    List<Call> calls = new ArrayList<>(STEPS.size());
    for (Step step : STEPS) {
      boolean codeBlock = random.nextInt(3) == 0;
      String prompt = prompt(step, f, codeBlock, random);
      Priority priority = step.profile().equals("fast") ? Priority.INTERACTIVE : Priority.BATCH;
      calls.add(new Call(step, system, prompt, priority));
    }
    return calls;
  }

  private static String prompt(Step step, Feature f, boolean codeBlock, SplittableRandom random) {
    String a = f.files()[0];
    String b = f.files()[1 + random.nextInt(f.files().length - 1)];
    String code = "\n\n```\n" + f.code() + "\n```";
    String title = f.title();
    return switch (step.title()) {
      case "Research" -> "We want " + title + " in the " + f.service() + " service. Research how " + a + " and " + b
          + " work today and what the change touches. List the edge cases, the unknowns and the trade-offs between"
          + " two designs, and say which one you would pick and why.";
      case "Draft plan" -> "Draft a plan for " + title + ". Start from the research notes; name every file you"
          + " would change (at least " + a + ", " + b + " and " + f.test() + "), the architecture decisions it needs,"
          + " the edge cases to cover and what could break downstream.";
      case "Question about the plan" -> "Quick question: does the plan for " + title + " change the public"
          + " interface of " + a + ", or only its internals?";
      case "Validate requirements" -> "Fresh eyes, please: read the requirements for " + title + " and the plan."
          + " Does the plan meet every requirement? List each requirement with the step of the plan that covers it,"
          + " and call out anything missing.";
      case "Validate integration" -> "Validate the integration of " + title + " with the rest of the system: the"
          + " callers of " + a + ", the data " + b + " reads and writes, and the API contract. Would anything"
          + " outside " + f.module() + " notice the change?";
      case "Generate build plan" -> "Turn the validated plan for " + title + " into an ordered list of small tasks,"
          + " each with the files it touches (" + a + ", " + b + ", " + f.test() + ") and the test that proves it.";
      case "Double-check build plan" -> "Double-check the build plan for " + title + " before we implement it: is"
          + " the order right, does every task have a test, and is anything from the validated plan missing?";
      case "Implement" -> "Implement task " + (1 + random.nextInt(6)) + " of the build plan for " + title + " in " + a
          + ". Follow the existing style of the module and add the tests to " + f.test() + "."
          + (codeBlock ? " Start from this:" + code : "");
      case "On-save lint hook" -> "Hook: " + a + " was saved. Run the lint rules on the changed lines and report"
          + " only new warnings.";
      case "Explain a compiler error" -> "Why does this fail to compile in " + a + "? The error says the symbol"
          + " cannot be found on line " + (20 + random.nextInt(180)) + "." + (codeBlock ? code : "");
      case "Code review" -> "Review the diff for " + title + " (" + a + ", " + f.test() + "): style, naming,"
          + " obvious bugs and missing tests. Keep it to the points that matter." + (codeBlock ? code : "");
      case "Deep audit" -> "Audit the whole change for " + title + " across " + a + ", " + b + " and " + f.test()
          + ": system-level correctness, concurrency, failure handling and the integration contract with the"
          + " callers. Explain the root cause of anything you flag.";
      case "Remediation" -> "Fix the issues the review found in " + a + ": the missing null check, the unclear"
          + " variable name and the untested error path. Update " + f.test() + " to cover them.";
      case "Full E2E tests" -> "Run the end-to-end suite for the " + f.service() + " service against the change for "
          + title + " and triage the failures: which are caused by the change and which are flaky?";
      case "Final remediation" -> "Fix the end-to-end failure the change for " + title + " caused in " + b
          + " and say how the full suite proves the fix." + (codeBlock ? code : "");
      case "Commit-message hook" -> "Hook: write a conventional commit message for the staged changes to " + a
          + " and " + f.test() + ".";
      case "Update docs" -> "Update " + f.doc() + " for " + title + ": what changed for users, with one example.";
      default -> throw new IllegalStateException("no prompt for step " + step);
    };
  }

  private static long mix(String s) {
    long h = 1125899906842597L;
    for (int i = 0; i < s.length(); i++) {
      h = 31 * h + s.charAt(i);
    }
    return h;
  }
}
