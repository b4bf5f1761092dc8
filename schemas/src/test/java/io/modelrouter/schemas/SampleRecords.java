package io.modelrouter.schemas;

import io.modelrouter.avro.Attempt;
import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetActionType;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.ComplexityBand;
import io.modelrouter.avro.Escalation;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.InferenceResult;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.Profile;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.avro.TierEntitlement;
import io.modelrouter.avro.TokenUsage;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/** One fully populated instance of every record of the contract, for round-trip tests in every module. */
public final class SampleRecords {
  public static final Instant T0 = Instant.parse("2026-11-22T10:15:30.123Z");

  private SampleRecords() {}

  public static InferenceRequest request(String requestId, String teamId) {
    return InferenceRequest.newBuilder()
        .setRequestId(requestId)
        .setTeamId(teamId)
        .setPipelineId("nightly-enrichment")
        .setSessionId("session-7")
        .setTaskType("codeReview")
        .setTier("pro")
        .setMessages(List.of(
            new Message(Role.USER, "Review this diff for security issues.", List.of()),
            new Message(Role.ASSISTANT, "Sure, paste it.", List.of()),
            new Message(Role.USER, "```java\nclass A {}\n```", List.of())))
        .setSystemPrompt("You are a careful reviewer.")
        .setMaxTokens(2048)
        .setTemperature(0.2)
        .setModel("auto")
        .setPriority(Priority.BATCH)
        .setDeadline(T0.plusSeconds(300))
        .setMetadata(Map.of("ticket", "SEC-42"))
        .setCreatedAt(T0)
        .build();
  }

  public static RoutingDecision decision() {
    return RoutingDecision.newBuilder()
        .setProfile("primary")
        .setProvider("anthropic")
        .setModel("claude-sonnet-4-5")
        .setProviderModelId("claude-sonnet-4-5-20250929")
        .setMaxTokens(2048)
        .setTemperature(0.2)
        .setFallbacks(List.of(new ModelRef("claude-haiku-4-5", "anthropic", "claude-haiku-4-5-20251001")))
        .setReason("routing table: codeReview -> primary")
        .setComplexity(0.42)
        .setEstimatedInputTokens(120)
        .setEstimatedOutputTokens(2048)
        .setEstimatedCostMicros(31_080)
        .setBudgetState(BudgetState.NOTIFY)
        .setPolicyVersion("*@3")
        .setReservedTokens(2168)
        .setDecidedAt(T0.plusMillis(3))
        .setLearnedModel("team-a@3")
        .build();
  }

  public static RoutedRequest routed() {
    return new RoutedRequest(request("req-1", "team-a"), decision());
  }

  public static InferenceResult result() {
    return InferenceResult.newBuilder()
        .setRequestId("req-1")
        .setTeamId("team-a")
        .setPipelineId("nightly-enrichment")
        .setSessionId("session-7")
        .setTaskType("codeReview")
        .setStatus(ResultStatus.OK)
        .setProfile("primary")
        .setProvider("anthropic")
        .setModel("claude-haiku-4-5")
        .setContent("No issues found.")
        .setStopReason("end_turn")
        .setUsage(new TokenUsage(130L, 42L, 0L, 0L, 0L, false))
        .setCostMicros(340)
        .setCreditsMicros(68_800)
        .setAttempts(List.of(
            new Attempt("anthropic", "claude-sonnet-4-5", AttemptOutcome.RETRYABLE_ERROR, 812L, 529,
                "overloaded_error", "Overloaded", 0L, 0L, T0),
            new Attempt("anthropic", "claude-haiku-4-5", AttemptOutcome.OK, 640L, 200, null, null, 130L, 42L,
                T0.plusMillis(900))))
        .setRoutingReason("routing table: codeReview -> primary")
        .setPolicyVersion("*@3")
        .setErrorCode(null)
        .setErrorMessage(null)
        .setLatencyMs(1_540)
        .setSimulated(false)
        .setCompletedAt(T0.plusMillis(1_540))
        .build();
  }

  public static UsageEvent usage() {
    return UsageEvent.newBuilder()
        .setEventId("req-1#2")
        .setRequestId("req-1")
        .setTeamId("team-a")
        .setPipelineId("nightly-enrichment")
        .setSessionId("session-7")
        .setTaskType("codeReview")
        .setProvider("anthropic")
        .setModel("claude-haiku-4-5")
        .setInputTokens(130)
        .setOutputTokens(42)
        .setCachedInputTokens(0)
        .setEstimated(false)
        .setCostMicros(340)
        .setCreditsMicros(68_800)
        .setLatencyMs(640)
        .setOutcome(AttemptOutcome.OK)
        .setFinalCall(true)
        .setSimulated(false)
        .setEventTime(T0.plusMillis(1_540))
        .build();
  }

  public static UsageTotals totals() {
    UsageBreakdown slice = new UsageBreakdown(130L, 42L, 0L, 340L, 68_800L, 1L);
    return UsageTotals.newBuilder()
        .setTeamId("team-a")
        .setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22")
        .setTimeZone("Europe/Berlin")
        .setStartTime(Instant.parse("2026-11-21T23:00:00Z"))
        .setEndTime(Instant.parse("2026-11-22T23:00:00Z"))
        .setInputTokens(130)
        .setOutputTokens(42)
        .setCachedInputTokens(0)
        .setCostMicros(340)
        .setCreditsMicros(68_800)
        .setCalls(2)
        .setRequests(1)
        .setLateEvents(0)
        .setByModel(Map.of("claude-haiku-4-5", slice))
        .setByTaskType(Map.of("codeReview", slice))
        .setBySession(Map.of("session-7", slice))
        .setBudgetState(BudgetState.NORMAL)
        .setFraction(0.0003)
        .setUpdatedAt(T0)
        .build();
  }

  public static BudgetPolicy budgetPolicy() {
    return BudgetPolicy.newBuilder()
        .setTeamId("team-a")
        .setVersion(4)
        .setTimeZone("Europe/Berlin")
        .setDaily(WindowBudget.newBuilder()
            .setInputTokens(500_000L)
            .setOutputTokens(200_000L)
            .setCostMicros(null)
            .setAlertThresholds(List.of(0.5, 0.8, 1.0))
            .setAction(BudgetActionType.PAUSE)
            .setEscalations(List.of(new Escalation(0.8, BudgetActionType.RESTRICT)))
            .build())
        .setMonthly(WindowBudget.newBuilder()
            .setInputTokens(10_000_000L)
            .setOutputTokens(4_000_000L)
            .setCostMicros(250_000_000L)
            .setAlertThresholds(List.of(0.9))
            .setAction(BudgetActionType.RESTRICT)
            .setEscalations(List.of())
            .build())
        .setUpdatedAt(T0)
        .build();
  }

  public static RoutingPolicy routingPolicy() {
    return RoutingPolicy.newBuilder()
        .setTeamId("*")
        .setVersion(3)
        .setProfiles(Map.of(
            "primary", new Profile("anthropic", "claude-sonnet-4-5", 8192, 0.1, List.of("claude-haiku-4-5")),
            "fast", new Profile(null, "claude-haiku-4-5", 4096, 0.2, List.of())))
        .setRouting(Map.of("specGeneration", "primary", "interactiveChat", "fast"))
        .setDefaultProfile("primary")
        .setRestrictProfile("fast")
        .setTiers(Map.of("free", new TierEntitlement(List.of("fast"), List.of()),
            "power", new TierEntitlement(List.of("*"), List.of())))
        .setDefaultTier("pro")
        .setAuto(AutoRouting.newBuilder()
            .setStrategy(AutoStrategy.HYBRID)
            .setBands(List.of(new ComplexityBand(0.8, "frontier"), new ComplexityBand(0.0, "fast")))
            .setPromoteAbove(0.8)
            .setPromoteTo("frontier")
            .setDemoteBelow(0.25)
            .setDemoteFrom("frontier")
            .setDemoteTo("primary")
            .setNeverDemote(List.of("codeReview"))
            .build())
        .setUpdatedAt(T0)
        .build();
  }

  public static ModelSpec modelSpec() {
    return ModelSpec.newBuilder()
        .setId("claude-haiku-4-5")
        .setProvider("anthropic")
        .setProviderModelId("claude-haiku-4-5-20251001")
        .setDisplayName("Claude Haiku 4.5")
        .setTierLabel("fast")
        .setContextWindow(200_000)
        .setMaxOutputTokens(64_000)
        .setInputPricePerMTokMicros(1_000_000)
        .setOutputPricePerMTokMicros(5_000_000)
        .setCachedInputPricePerMTokMicros(100_000)
        .setCreditMultiplierMilli(400)
        .setDeprecated(false)
        .setUpdatedAt(T0)
        .build();
  }

  public static BudgetAction budgetAction() {
    return BudgetAction.newBuilder()
        .setTeamId("team-a")
        .setState(BudgetState.RESTRICT)
        .setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22")
        .setMetric("inputTokens")
        .setUsage(400_100)
        .setLimit(500_000)
        .setFraction(0.8002)
        .setDailyState(BudgetState.RESTRICT)
        .setMonthlyState(BudgetState.NORMAL)
        .setReason("daily inputTokens at 80% of 500,000: restrict")
        .setSince(T0)
        .setPolicyVersion(4)
        .setManualReset(false)
        .build();
  }

  public static BudgetAlert budgetAlert() {
    return BudgetAlert.newBuilder()
        .setAlertId("team-a|DAILY|2026-11-22|0.8")
        .setTeamId("team-a")
        .setWindow(WindowKind.DAILY)
        .setWindowStart("2026-11-22")
        .setThreshold(0.8)
        .setFraction(0.8002)
        .setMetric("inputTokens")
        .setUsage(400_100)
        .setLimit(500_000)
        .setState(BudgetState.RESTRICT)
        .setPreviousState(BudgetState.NOTIFY)
        .setMessage("team-a used 80% of its daily inputTokens budget")
        .setAt(T0)
        .setPolicyVersion(4)
        .build();
  }

  public static io.modelrouter.avro.FeedbackEvent feedback() {
    return io.modelrouter.avro.FeedbackEvent.newBuilder()
        .setFeedbackId("fb-1")
        .setRequestId("req-1")
        .setTeamId("team-a")
        .setSessionId("s-1")
        .setScore(0.25)
        .setSource(io.modelrouter.avro.FeedbackSource.TEST)
        .setNeededProfile("frontier")
        .setComment("the generated migration did not compile")
        .setEventTime(T0)
        .build();
  }

  public static io.modelrouter.avro.RouterModel routerModel() {
    byte[] embedding = new byte[384];
    embedding[0] = 127;
    return io.modelrouter.avro.RouterModel.newBuilder()
        .setTeamId("team-a")
        .setVersion(3)
        .setBase("shipped-437")
        .setFeedbackApplied(7)
        .setCreatedAt(T0)
        .setExemplars(List.of(io.modelrouter.avro.LearnedExemplar.newBuilder()
            .setId("fb:req-1")
            .setTaskType("taskExecution")
            .setExcerpt("taskExecution: bump the version in pom.xml")
            .setAtLeast(io.modelrouter.avro.LearnedTier.FAST)
            .setAtMost(io.modelrouter.avro.LearnedTier.FAST)
            .setEmbedding(java.nio.ByteBuffer.wrap(embedding))
            .setSource(io.modelrouter.avro.FeedbackSource.TEST)
            .setLearnedAt(T0)
            .build()))
        .build();
  }

  public static io.modelrouter.avro.RouterModelPin routerModelPin() {
    return new io.modelrouter.avro.RouterModelPin("team-a", 2L, "version 3 routes reviews to fast", "admin", T0);
  }

  /** Every record type of the contract, populated. */
  public static List<SpecificRecord> all() {
    return List.of(request("req-1", "team-a"), decision(), routed(), result(), usage(), totals(), budgetPolicy(),
        routingPolicy(), modelSpec(), budgetAction(), budgetAlert(), feedback(), routerModel(), routerModelPin());
  }
}
