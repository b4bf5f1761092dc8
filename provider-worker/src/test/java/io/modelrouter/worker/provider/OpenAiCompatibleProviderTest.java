package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
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

/** The OpenAI-compatible adapter against WireMock answering as chat completions are documented. */
class OpenAiCompatibleProviderTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private OpenAiCompatibleProvider provider;

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

  private OpenAiCompatibleProvider provider(Duration timeout) {
    provider = new OpenAiCompatibleProvider("moonshot", "http://127.0.0.1:" + WIREMOCK.port() + "/v1", "sk-test-key",
        timeout);
    return provider;
  }

  private static ProviderRequest request() {
    return new ProviderRequest("r-1", "kimi-k2-0905-preview", "You are a concise assistant.",
        List.of(new Message(Role.USER, "Hello"), new Message(Role.ASSISTANT, "Hi! How can I help?"),
            new Message(Role.USER, "Summarise this.")), 1024, 0.2, 42, Duration.ofSeconds(5), 1);
  }

  private static void answer(int status, String body, String... headers) {
    var response = aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    for (int i = 0; i < headers.length; i += 2) {
      response.withHeader(headers[i], headers[i + 1]);
    }
    WIREMOCK.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(response));
  }

  private static String error(String message, String type, String code) {
    return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":"
        + (code == null ? "null" : "\"" + code + "\"") + "}}";
  }

  private ProviderException failure() {
    try {
      provider(Duration.ofSeconds(5)).call(request());
    } catch (ProviderException e) {
      return e;
    }
    throw new AssertionError("expected a ProviderException");
  }

  @Test
  void sendsTheDocumentedRequestAndNormalizesTheAnswer() throws Exception {
    answer(200, """
        {"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
         "model": "kimi-k2-0905-preview",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello! How can I assist you today?",
                      "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                   "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
                   "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                     "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
         "service_tier": "default"}
        """, "x-request-id", "req_1");

    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
        .withHeader("Authorization", equalTo("Bearer sk-test-key"))
        .withHeader("Content-Type", equalTo("application/json"))
        .withHeader("X-Stainless-Retry-Count", equalTo("0"))
        .withRequestBody(equalToJson("""
            {"model": "kimi-k2-0905-preview", "max_tokens": 1024, "temperature": 0.2,
             "messages": [{"role": "system", "content": "You are a concise assistant."},
                          {"role": "user", "content": "Hello"},
                          {"role": "assistant", "content": "Hi! How can I help?"},
                          {"role": "user", "content": "Summarise this."}]}
            """)));
    assertThat(response.content()).isEqualTo("Hello! How can I assist you today?");
    assertThat(response.stopReason()).isEqualTo("end_turn");
    assertThat(response.inputTokens()).isEqualTo(19);
    assertThat(response.cachedInputTokens()).isEqualTo(4);
    assertThat(response.outputTokens()).isEqualTo(10);
    assertThat(response.usageReported()).isTrue();
  }

  @Test
  void rateLimitIsRetryableWithRetryAfterMs() {
    answer(429, error("Rate limit reached for gpt-4.1 in organization org-xxx on tokens per min (TPM). Please try "
        + "again in 3.89s.", "tokens", "rate_limit_exceeded"), "retry-after-ms", "3890");
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.RATE_LIMITED);
    assertThat(e.retryAfter()).contains(Duration.ofMillis(3890));
  }

  @Test
  void exhaustedQuotaIsNotRetried() {
    answer(429, error("You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota", "insufficient_quota"));
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.QUOTA_EXHAUSTED);
    assertThat(e.retryable()).isFalse();
  }

  @Test
  void contextLengthExceededIsAContextWindowError() {
    answer(400, error("This model's maximum context length is 128000 tokens. However, your messages resulted in "
        + "130512 tokens. Please reduce the length of the messages.", "invalid_request_error",
        "context_length_exceeded"));
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.CONTEXT_WINDOW);
  }

  @Test
  void invalidValueIsABadRequest() {
    answer(400, error("Invalid value for 'temperature': decimal above maximum value.", "invalid_request_error",
        "invalid_value"));
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.BAD_REQUEST);
  }

  @Test
  void incorrectKeyIsAnAuthError() {
    answer(401, error("Incorrect API key provided: sk-abc***xyz.", "invalid_request_error", "invalid_api_key"));
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.AUTH);
    assertThat(e.getMessage()).doesNotContain("sk-test-key");
  }

  @Test
  void overloadedIsARetryableServerError() {
    answer(503, error("The engine is currently overloaded, please try again later.", "server_error", null));
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.SERVER_ERROR);
    assertThat(e.retryable()).isTrue();
  }

  @Test
  void aSlowAnswerIsATimeout() {
    WIREMOCK.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withFixedDelay(3_000)));
    assertThatThrownBy(() -> provider(Duration.ofMillis(500)).call(request()))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.kind()).isEqualTo(ProviderException.Kind.TIMEOUT));
  }

  @Test
  void aBodyThatIsNotTheApiIsMalformed() {
    answer(200, "not json at all");
    assertThat(failure().kind()).isEqualTo(ProviderException.Kind.MALFORMED_RESPONSE);
  }

  @Test
  void anAnswerWithoutUsageSaysSo() throws Exception {
    answer(200, """
        {"id": "chatcmpl-2", "object": "chat.completion", "created": 1741569952, "model": "llama3.1:8b",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok", "refusal": null},
                      "logprobs": null, "finish_reason": "length"}]}
        """);
    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());
    assertThat(response.usageReported()).isFalse();
    assertThat(response.stopReason()).isEqualTo("max_tokens");
  }
}
