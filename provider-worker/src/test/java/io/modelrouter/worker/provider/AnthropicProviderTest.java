package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Anthropic adapter against WireMock answering as the Messages API documents. */
class AnthropicProviderTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private AnthropicProvider provider;

  @BeforeAll
  static void startWireMock() {
    WIREMOCK.start();
  }

  @AfterAll
  static void stopWireMock() {
    WIREMOCK.stop();
  }

  @AfterEach
  void reset() {
    WIREMOCK.resetAll();
    if (provider != null) {
      provider.close();
    }
  }

  private AnthropicProvider provider(Duration timeout) {
    provider = new AnthropicProvider("anthropic", "http://127.0.0.1:" + WIREMOCK.port(), "sk-ant-test-key", timeout);
    return provider;
  }

  private static ProviderRequest request() {
    return new ProviderRequest("r-1", "claude-sonnet-4-5-20250929", "You are a concise assistant.",
        List.of(new Message(Role.USER, "Hello, Claude", List.of()), new Message(Role.ASSISTANT, "Hi! How can I help?", List.of()),
            new Message(Role.USER, "Summarise this.", List.of())), 1024, 0.2, 42, Duration.ofSeconds(5), 1);
  }

  private static void answer(int status, String body, String... headers) {
    var response = aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    for (int i = 0; i < headers.length; i += 2) {
      response.withHeader(headers[i], headers[i + 1]);
    }
    WIREMOCK.stubFor(post(urlEqualTo("/v1/messages")).willReturn(response));
  }

  private static String error(String type, String message) {
    return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message
        + "\"},\"request_id\":\"req_011CSHoEeqs5C35K2UUqR7Fy\"}";
  }

  @Test
  void sendsTheDocumentedRequestAndNormalizesTheAnswer() throws Exception {
    answer(200, """
        {"id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
         "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "Hi! My name is Claude."}],
         "stop_reason": "end_turn", "stop_sequence": null,
         "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0,
                   "cache_read_input_tokens": 1800}}
        """, "request-id", "req_1");

    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages"))
        // SDK 3.x sends the key as a bearer token and a dated API version
        .withHeader("Authorization", equalTo("Bearer sk-ant-test-key"))
        .withHeader("anthropic-version", matching("\\d{4}-\\d{2}-\\d{2}"))
        .withHeader("X-Stainless-Retry-Count", equalTo("0"))
        .withHeader("Content-Type", equalTo("application/json"))
        .withRequestBody(equalToJson("""
            {"model": "claude-sonnet-4-5-20250929", "max_tokens": 1024, "system": "You are a concise assistant.",
             "temperature": 0.2,
             "messages": [{"role": "user", "content": "Hello, Claude"},
                          {"role": "assistant", "content": "Hi! How can I help?"},
                          {"role": "user", "content": "Summarise this."}]}
            """)));
    assertThat(response.content()).isEqualTo("Hi! My name is Claude.");
    assertThat(response.stopReason()).isEqualTo("end_turn");
    // input_tokens + cache_creation + cache_read = every input token billed
    assertThat(response.inputTokens()).isEqualTo(3_895);
    assertThat(response.cachedInputTokens()).isEqualTo(1_800);
    assertThat(response.outputTokens()).isEqualTo(503);
    assertThat(response.usageReported()).isTrue();
  }

  @Test
  void rateLimitIsRetryableWithTheRetryAfterItSent() {
    answer(429, error("rate_limit_error", "This request would exceed the rate limit for your organization"),
        "retry-after", "30");
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
          assertThat(e.httpStatus()).isEqualTo(429);
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(30));
        });
  }

  @Test
  void overloaded529IsARetryableServerError() {
    answer(529, error("overloaded_error", "Overloaded"));
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.SERVER_ERROR);
          assertThat(e.retryable()).isTrue();
          assertThat(e.errorCode()).isEqualTo("overloaded_error");
        });
  }

  @Test
  void invalidRequestIsNotRetryable() {
    answer(400, error("invalid_request_error", "messages: roles must alternate between \\\"user\\\" and \\\"assistant\\\""));
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
          assertThat(e.retryable()).isFalse();
          assertThat(e.getMessage()).contains("roles must alternate");
        });
  }

  @Test
  void promptTooLongIsAContextWindowError() {
    answer(400, error("invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum"));
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.CONTEXT_WINDOW));
  }

  @Test
  void badKeyIsAnAuthErrorThatNeverShowsTheKey() {
    // Anthropic's own 401 names no key, but a proxy in front of it may echo the credentials it was sent (here, as a
    // vendor-shaped error whose message holds the Authorization header the SDK sent): whatever the error body holds,
    // the key must not reach the exception, and so neither the result nor a log line.
    WIREMOCK.stubFor(post(urlEqualTo("/v1/messages")).willReturn(aResponse().withStatus(401)
        .withHeader("Content-Type", "application/json")
        .withBody(error("authentication_error", "invalid x-api-key: {{request.headers.Authorization}}"))
        .withTransformers("response-template")));

    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.AUTH);
          assertThat(e.httpStatus()).isEqualTo(401);
          assertNoKeyIn(e, "sk-ant-test-key");
        });
    // The error body did carry the key, so the assertion above could fail
    assertThat(WIREMOCK.getAllServeEvents()).singleElement()
        .satisfies(served -> assertThat(served.getResponse().getBodyAsString()).contains("Bearer sk-ant-test-key"));
  }

  /** Neither the exception nor any cause or suppressed exception of it mentions the key. */
  static void assertNoKeyIn(Throwable failure, String key) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).as("message of %s", t.getClass().getName()).doesNotContain(key);
      assertThat(t.toString()).doesNotContain(key);
      for (Throwable suppressed : t.getSuppressed()) {
        assertNoKeyIn(suppressed, key);
      }
      if (t instanceof ProviderException e && e.errorCode() != null) {
        assertThat(e.errorCode()).doesNotContain(key);
      }
    }
  }

  @Test
  void theTiersMonthlySpendLimitIsAnExhaustedQuotaNotARateLimit() {
    // Anthropic's SDK models this error as a 429 rate_limit_error whose error.details.error_code is
    // enforced_spend_limit_reached (EnforcedSpendLimitReachedException), sent without retry-after: waiting seconds
    // will not help, so it must not be retried like a rate limit. The message wording is not part of the contract
    // (this one names no limit), so the classification must rest on the code.
    answer(429, """
        {"type": "error",
         "error": {"type": "rate_limit_error",
                   "message": "API usage is paused until 2026-04-01 at 00:00 UTC.",
                   "details": {"error_code": "enforced_spend_limit_reached"}},
         "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}
        """);
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.QUOTA_EXHAUSTED);
          assertThat(e.retryable()).isFalse();
          assertThat(e.errorCode()).isEqualTo("enforced_spend_limit_reached");
          assertThat(e.retryAfter()).isEmpty();
        });
  }

  @Test
  void aSpendLimitTheOrganizationSetIsAnExhaustedQuotaNotABadRequest() {
    // A spend limit set in the Console answers 400 invalid_request_error; this body is one Anthropic sent
    // (continuedev/continue#11305). The request itself is fine: it is the account that cannot be billed.
    answer(400, error("invalid_request_error",
        "You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC."));
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.QUOTA_EXHAUSTED);
          assertThat(e.retryable()).isFalse();
          assertThat(e.httpStatus()).isEqualTo(400);
        });
  }

  @Test
  void aBillingErrorIsAnExhaustedQuota() {
    // 402 billing_error, one of the ErrorType values of the API reference ("Billing error" is its documented
    // default message)
    answer(402, error("billing_error", "Billing error"));
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.QUOTA_EXHAUSTED);
          assertThat(e.retryable()).isFalse();
          assertThat(e.errorCode()).isEqualTo("billing_error");
        });
  }

  @Test
  void aRefusalOfItsSafetyClassifiersIsARefusalStopWithWhatItBilled() throws Exception {
    // Claude 4 models answer 200 with stop_reason "refusal" (and stop_details) when a safety classifier stops the
    // answer; the output written until then is billed (Anthropic's "Handle streaming refusals")
    answer(200, """
        {"id": "msg_4", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "Hello.."}],
         "stop_reason": "refusal", "stop_sequence": null,
         "stop_details": {"type": "refusal", "category": "cyber",
                          "explanation": "This request was declined because it could enable cyber harm."},
         "usage": {"input_tokens": 310, "output_tokens": 4}}
        """);
    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());
    // its own normalized stop reason (issue 14), no longer folded into content_filter
    assertThat(response.stopReason()).isEqualTo("refusal");
    assertThat(response.providerStopReason()).isEqualTo("refusal");
    assertThat(response.content()).isEqualTo("Hello..");
    assertThat(response.inputTokens()).isEqualTo(310);
    assertThat(response.outputTokens()).isEqualTo(4);
    assertThat(response.usageReported()).isTrue();
  }

  @Test
  void aSlowAnswerIsATimeout() {
    WIREMOCK.stubFor(post(urlEqualTo("/v1/messages")).willReturn(aResponse().withStatus(200).withFixedDelay(3_000)));
    assertThatThrownBy(() -> provider(Duration.ofMillis(500)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.TIMEOUT));
  }

  @Test
  void aBodyThatIsNotTheApiIsMalformed() {
    answer(200, "<html>gateway</html>");
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.MALFORMED_RESPONSE));
  }

  @Test
  void anAnswerWithoutUsageSaysSo() throws Exception {
    answer(200, """
        {"id": "msg_2", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "No usage here."}], "stop_reason": "max_tokens", "stop_sequence": null}
        """);
    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());
    assertThat(response.usageReported()).isFalse();
    assertThat(response.stopReason()).isEqualTo("max_tokens");
  }

  @Test
  void aStopAtTheContextWindowIsAContextErrorThatKeepsWhatWasBilled() {
    answer(200, """
        {"id": "msg_3", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "content": [{"type": "text", "text": "partial"}], "stop_reason": "model_context_window_exceeded",
         "stop_sequence": null, "usage": {"input_tokens": 199000, "output_tokens": 1000}}
        """);
    assertThatThrownBy(() -> provider(Duration.ofSeconds(5)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class, e -> {
          assertThat(e.kind()).isEqualTo(ProviderException.Kind.CONTEXT_WINDOW);
          assertThat(e.billed()).hasValueSatisfying(b -> assertThat(b.inputTokens()).isEqualTo(199_000));
        });
  }
}
