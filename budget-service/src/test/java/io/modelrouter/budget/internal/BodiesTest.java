package io.modelrouter.budget.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.schemas.policy.PolicyJson;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Request bodies to records, and the 400 bodies that name each problem's JSON path. */
class BodiesTest {
  private static final Map<String, ModelSpec> CATALOG = DefaultPolicies.catalogById();

  private static ApiException refused(Runnable parse) {
    return catchThrowableOfType(ApiException.class, parse::run);
  }

  private static JsonNode errorBody(ApiException e) {
    return Json.error(e.getMessage(), e.problems());
  }

  @Test
  void aFeedbackBodyWithoutARequestIdIsA400NamingItNotA500() {
    // found by BodiesFuzzTest (seed 20261206): the record's builder refused the missing id, a 500
    ApiException e = catchThrowableOfType(ApiException.class,
        () -> Bodies.feedback("alpha", "{\"score\": 1, \"source\": \"TEST\"}", Instant.EPOCH));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.problems()).containsExactly("$.requestId: is required (the id of the request judged)");
  }

  @Test
  void invalidBudgetNamesEveryBadPath() {
    // When
    ApiException e = refused(() -> Bodies.budget("alpha",
        "{\"daily\": {\"inputTokens\": -5, \"action\": \"explode\"}, \"monthly\": {\"alertThresholds\": [0.5]}}"));

    // Then
    assertThat(e.status()).isEqualTo(400);
    JsonNode body = errorBody(e);
    assertThat(body.get("error").asText()).startsWith("budget policy of team 'alpha' is invalid");
    assertThat(body.get("problems")).extracting(JsonNode::asText)
        .anySatisfy(p -> assertThat(p).startsWith("$.daily.inputTokens: "))
        .anySatisfy(p -> assertThat(p).startsWith("$.daily.action: "))
        .anySatisfy(p -> assertThat(p).startsWith("$.monthly"));
  }

  @Test
  void budgetWithAnUnknownTimeZoneNamesTimeZone() {
    ApiException e = refused(() -> Bodies.budget("alpha",
        "{\"timeZone\": \"Mars/Olympus\", \"daily\": {\"inputTokens\": 1000}}"));

    assertThat(e.problems()).containsExactly(
        "$.timeZone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Berlin, UTC)");
  }

  @Test
  void aHugeCostLimitIsA400NamingItsPath() {
    ApiException e = refused(() -> Bodies.budget("alpha", "{\"monthly\": {\"costUsd\": 1e30}}"));

    assertThat(e.status()).isEqualTo(400);
    assertThat(e.problems()).singleElement().asString().startsWith("$.monthly.costUsd: ");
  }

  @Test
  void tokenLimitsBeyondALongAreA400NamingTheirPaths() {
    ApiException e = refused(() -> Bodies.budget("alpha",
        "{\"daily\": {\"inputTokens\": 18446744073709551621, \"outputTokens\": 9223372036854775808}}"));

    assertThat(e.status()).isEqualTo(400);
    assertThat(e.problems())
        .anySatisfy(p -> assertThat(p).startsWith("$.daily.inputTokens: "))
        .anySatisfy(p -> assertThat(p).startsWith("$.daily.outputTokens: "));
  }

  @Test
  void aCostLimitBelowOneMicroDollarIsA400NamingItsPath() {
    ApiException e = refused(() -> Bodies.budget("alpha", "{\"daily\": {\"costUsd\": 1e-7}}"));

    assertThat(e.status()).isEqualTo(400);
    assertThat(e.problems()).singleElement().asString().startsWith("$.daily.costUsd: ");
  }

  @Test
  void routingPolicyWithAnUndefinedProfileNamesTheTableEntry() {
    // When
    ApiException e = refused(() -> Bodies.routingPolicy("alpha", """
        {"profiles": {"fast": {"model": "claude-haiku-4-5"}, "primary": {"model": "claude-sonnet-4-5"}},
         "routing": {"interactiveChat": "turbo"}}""", CATALOG));

    // Then
    assertThat(e.status()).isEqualTo(400);
    assertThat(errorBody(e).get("error").asText()).startsWith("routing policy of team 'alpha' is invalid");
    assertThat(e.problems()).contains("$.routing.interactiveChat: profile 'turbo' is not defined in $.profiles");
  }

  @Test
  void routingPolicyNamingAModelOutsideTheCatalogIsRefused() {
    ApiException e = refused(() -> Bodies.routingPolicy("alpha", """
        {"profiles": {"fast": {"model": "gpt-9"}, "primary": {"model": "claude-sonnet-4-5", "fallbacks": ["nope"]}},
         "routing": {}}""", CATALOG));

    assertThat(e.problems()).contains("$.profiles.fast.model: 'gpt-9' is not in the model catalog",
        "$.profiles.primary.fallbacks[0]: 'nope' is not in the model catalog");
  }

  @Test
  void routingPolicyFailingTheSchemaNamesThePath() {
    ApiException e = refused(() -> Bodies.routingPolicy("*", "{\"profiles\": {}, \"routing\": {}}", CATALOG));

    assertThat(e.getMessage()).startsWith("default routing policy is invalid");
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("$.profiles"));
  }

  @Test
  void bodyThatIsNotJsonIsRefusedAtTheRoot() {
    ApiException e = refused(() -> Bodies.budget("alpha", "{daily: "));

    assertThat(e.status()).isEqualTo(400);
    assertThat(e.problems()).singleElement().asString().startsWith("$: not valid JSON");
  }

  @Test
  void emptyOrNonObjectBodyIsRefused() {
    assertThat(refused(() -> Bodies.budget("alpha", "")).problems()).containsExactly("$: expected a JSON object");
    assertThat(refused(() -> Bodies.budget("alpha", "[1]")).problems())
        .containsExactly("$: expected a JSON object, got array");
  }

  @Test
  void teamInTheBodyMustBeThePathsTeam() {
    ApiException e = refused(() -> Bodies.budget("alpha", "{\"team\": \"beta\", \"daily\": {\"inputTokens\": 5}}"));

    assertThat(e.problems()).singleElement().asString()
        .startsWith("$.team: \"beta\" does not match 'alpha' in the path");
  }

  @Test
  void modelIdInTheBodyMustBeThePathsAndMayBeLeftOut() {
    // When
    ApiException mismatch = refused(() -> Bodies.model("m-1", """
        {"id": "m-2", "provider": "openai", "providerModelId": "x", "inputUsdPerMTok": 1, "outputUsdPerMTok": 2}"""));
    ModelSpec parsed = Bodies.model("m-1", """
        {"provider": "openai", "providerModelId": "x", "inputUsdPerMTok": 1.25, "outputUsdPerMTok": 2}""");

    // Then
    assertThat(mismatch.problems()).singleElement().asString().startsWith("$.id: \"m-2\" does not match 'm-1'");
    assertThat(parsed.getId()).isEqualTo("m-1");
    assertThat(parsed.getInputPricePerMTokMicros()).isEqualTo(1_250_000);
  }

  @Test
  void budgetAsAnsweredByGetCanBePutBack() {
    // Given: a stored budget rendered as GET answers it, version and updatedAt included
    BudgetPolicy stored = Bodies.budget("alpha", "{\"daily\": {\"inputTokens\": 1000, \"costUsd\": 2.5}}");
    stored.setVersion(3L);
    var answered = PolicyJson.toJson(stored);
    Json.instant(answered, "updatedAt", Instant.parse("2026-11-22T10:00:00Z"));

    // When
    BudgetPolicy again = Bodies.budget("alpha", Json.write(answered));

    // Then
    assertThat(again.getDaily()).isEqualTo(stored.getDaily());
    assertThat(again.getDaily().getCostMicros()).isEqualTo(2_500_000);
  }

  @Test
  void defaultPolicyAsAnsweredByGetCanBePutBack() {
    RoutingPolicy shipped = DefaultPolicies.routingPolicy();

    RoutingPolicy again = Bodies.routingPolicy("*", Json.write(PolicyJson.toJson(shipped)), CATALOG);

    assertThat(again.getProfiles()).isEqualTo(shipped.getProfiles());
    assertThat(again.getRouting()).isEqualTo(shipped.getRouting());
  }
}
