package io.modelrouter.worker.internal;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.ResultStatus;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.schemas.ModelCatalog;
import io.modelrouter.schemas.SampleRecords;
import io.modelrouter.schemas.policy.DefaultPolicies;
import io.modelrouter.worker.provider.AnthropicProvider;
import io.modelrouter.worker.provider.OpenAiCompatibleProvider;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.resilience.ResilientCalls;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The executor with the real Anthropic and OpenAI adapters against WireMock answering as each vendor documents:
 * structured answers that do not conform and one that does, and a cache write priced from the vendor's usage.
 */
class ProviderContractTest {
  private final WireMockServer wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private ResilientCalls resilience;
  private Map<String, Provider> providers;

  @BeforeEach
  void start() {
    wiremock.start();
    providers = Map.of(
        "anthropic", new AnthropicProvider("anthropic", "http://127.0.0.1:" + wiremock.port(), "sk-ant-test",
            Duration.ofSeconds(5)),
        "openai", new OpenAiCompatibleProvider("openai", "http://127.0.0.1:" + wiremock.port() + "/v1", "sk-test",
            Duration.ofSeconds(5)));
    // the test policy with a call timeout a real SDK's first call (client start-up included) stays within
    io.modelrouter.worker.resilience.ProviderPolicy policy = RequestExecutorTest.testPolicy();
    policy = new io.modelrouter.worker.resilience.ProviderPolicy(policy.maxAttempts(), policy.initialBackoff(),
        policy.backoffMultiplier(), policy.jitter(), policy.maxBackoff(), policy.requestsPerMinute(),
        policy.rateLimitWait(), policy.maxConcurrent(), policy.bulkheadWait(), Duration.ofSeconds(10),
        policy.breakerFailureRate(), policy.breakerWindow(), policy.breakerMinimumCalls(),
        policy.breakerOpenDuration(), policy.breakerHalfOpenCalls());
    resilience = new ResilientCalls(Map.of("anthropic", policy, "openai", policy));
  }

  @AfterEach
  void stop() {
    resilience.close();
    providers.values().forEach(Provider::close);
    wiremock.stop();
  }

  private RequestExecutor executor() {
    return new RequestExecutor(providers, resilience, ModelCatalog.of(DefaultPolicies.catalogById()),
        Map.of("anthropic", Duration.ofSeconds(5), "openai", Duration.ofSeconds(5)), Clock.systemUTC());
  }

  private static RoutedRequest routed(String id) {
    RoutingDecision decision = SampleRecords.decision();
    decision.setProvider("anthropic");
    decision.setModel("claude-sonnet-4-5");
    decision.setProviderModelId("claude-sonnet-4-5-20250929");
    decision.setFallbacks(List.of(new ModelRef("gpt-4.1-mini", "openai", "gpt-4.1-mini")));
    RoutedRequest routed = new RoutedRequest(SampleRecords.request(id, "team-a"), decision);
    routed.getRequest().setDeadline(null);
    return routed;
  }

  private void json(String path, String body) {
    wiremock.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(body)));
  }

  @Test
  void aStructuredAnswerThatDoesNotConformIsAskedAgainThenTheFallbackAnswersAndEveryCallIsPriced() {
    RoutedRequest routed = routed("r-structured");
    routed.getRequest().setResponseFormat(new ResponseFormat("order_total",
        "{\"type\":\"object\",\"properties\":{\"total\":{\"type\":\"integer\"}},\"required\":[\"total\"]}"));
    json("/v1/messages", """
        {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "{\\"total\\": \\"twelve\\"}"}], "stop_reason": "end_turn",
         "stop_sequence": null, "usage": {"input_tokens": 50, "output_tokens": 10}}
        """);
    json("/v1/chat/completions", """
        {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\\"total\\": 12}", "refusal": null,
             "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 40, "completion_tokens": 8, "total_tokens": 48}}
        """);

    RequestExecutor.Outcome outcome = executor().execute(routed);

    assertThat(outcome.result().getStatus()).isEqualTo(ResultStatus.OK);
    assertThat(outcome.result().getModel()).isEqualTo("gpt-4.1-mini");
    assertThat(outcome.result().getContent()).isEqualTo("{\"total\": 12}");
    assertThat(outcome.result().getAttempts()).extracting(a -> a.getModel() + " " + a.getOutcome()).containsExactly(
        "claude-sonnet-4-5 INVALID_OUTPUT", "claude-sonnet-4-5 INVALID_OUTPUT", "gpt-4.1-mini OK");
    wiremock.verify(2, postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"output_config": {"format": {"type": "json_schema", "schema": {"type": "object",
           "properties": {"total": {"type": "integer"}}, "required": ["total"]}}}}
        """, true, true)));
    wiremock.verify(1, postRequestedFor(urlEqualTo("/v1/chat/completions")).withRequestBody(equalToJson("""
        {"response_format": {"type": "json_schema", "json_schema": {"name": "order_total"}}}
        """, true, true)));
    // Sonnet: 50 x $3 + 10 x $15 per million = 300 micro-dollars, twice; GPT-4.1 mini: 40 x $0.40 + 8 x $1.60 = 28.8
    assertThat(outcome.usage()).extracting(UsageEvent::getCostMicros).containsExactly(300L, 300L, 29L);
    assertThat(outcome.result().getCostMicros()).isEqualTo(629);
  }

  @Test
  void aCacheWriteIsPricedAtTheWritePriceFromTheVendorsUsage() {
    RoutedRequest routed = routed("r-cached");
    routed.getDecision().setPromptCache("5m");
    json("/v1/messages", """
        {"id": "msg_2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn", "stop_sequence": null,
         "usage": {"input_tokens": 100, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 0,
                   "cache_creation": {"ephemeral_5m_input_tokens": 2000, "ephemeral_1h_input_tokens": 0},
                   "output_tokens": 50}}
        """);

    RequestExecutor.Outcome outcome = executor().execute(routed);

    wiremock.verify(postRequestedFor(urlEqualTo("/v1/messages")).withRequestBody(equalToJson("""
        {"system": [{"type": "text", "cache_control": {"type": "ephemeral", "ttl": "5m"}}]}
        """, true, true)));
    // 100 x $3 + 2,000 x $3.75 (5-minute write) + 50 x $15, per million: 8,550 micro-dollars
    assertThat(outcome.usage()).singleElement().satisfies(u -> {
      assertThat(u.getInputTokens()).isEqualTo(2_100);
      assertThat(u.getCacheWriteTokens()).isEqualTo(2_000);
      assertThat(u.getCostMicros()).isEqualTo(8_550);
      assertThat(u.getCacheSavedMicros()).isEqualTo(-1_500);
    });
  }
}
