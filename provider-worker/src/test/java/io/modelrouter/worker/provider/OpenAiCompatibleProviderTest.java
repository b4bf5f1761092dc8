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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
        List.of(new Message(Role.USER, "Hello", List.of()), new Message(Role.ASSISTANT, "Hi! How can I help?", List.of()),
            new Message(Role.USER, "Summarise this.", List.of())), 1024, 0.2, 42, Duration.ofSeconds(5), 1);
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
  void incorrectKeyIsAnAuthErrorThatNeverShowsTheKey() {
    // OpenAI's own 401 shows the key masked ("sk-abc***xyz"); a proxy in front of a compatible server may echo the
    // Authorization header it was sent in full, as here: the key must not reach the exception, nor the result.
    WIREMOCK.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(401)
        .withHeader("Content-Type", "application/json")
        .withBody(error("Incorrect API key provided: {{request.headers.Authorization}}. You can find your API key at "
            + "https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"))
        .withTransformers("response-template")));

    ProviderException e = failure();

    assertThat(e.kind()).isEqualTo(ProviderException.Kind.AUTH);
    AnthropicProviderTest.assertNoKeyIn(e, "sk-test-key");
    // The error body did carry the key, so the assertion above could fail
    assertThat(WIREMOCK.getAllServeEvents()).singleElement()
        .satisfies(served -> assertThat(served.getResponse().getBodyAsString()).contains("Bearer sk-test-key"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"credit_balance_exhausted", "organization_spend_limit_exceeded",
      "project_spend_limit_exceeded", "organization_usage_limit_exceeded"})
  void aBillingOrSpendLimitIsAnExhaustedQuotaWhateverItsMessage(String code) {
    // OpenAI answers each of these 429 with error.type insufficient_quota and the reason in error.code ("Troubleshooting
    // API usage and spend limits"); retrying does not restore access. Its message wording is not documented, so
    // the classification must rest on type and code.
    answer(429, error("Request refused.", "insufficient_quota", code));
    ProviderException e = failure();
    assertThat(e.kind()).as(code).isEqualTo(ProviderException.Kind.QUOTA_EXHAUSTED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.retryAfter()).isEmpty();
  }

  @Test
  void aPromptRejectedByMoonshotsContentFilterIsAContentPolicyError() {
    // Moonshot's error reference: 400, type content_filter, this message, no code or param
    answer(400, """
        {"error": {"type": "content_filter",
                   "message": "The request was rejected because it was considered high risk"}}
        """);
    ProviderException e = failure();
    assertThat(e.kind()).isEqualTo(ProviderException.Kind.CONTENT_POLICY);
    assertThat(e.retryable()).isFalse();
    assertThat(e.errorCode()).isEqualTo("content_filter");
    assertThat(e.httpStatus()).isEqualTo(400);
  }

  @Test
  void anAnswerOmittedByOpenAisContentFilterEndsWithTheContentFilterStop() throws Exception {
    // Chat completions: finish_reason "content_filter" when content was omitted by a flag from the content filters
    answer(200, """
        {"id": "chatcmpl-3", "object": "chat.completion", "created": 1741569952, "model": "kimi-k2-0905-preview",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": null,
                      "annotations": []}, "logprobs": null, "finish_reason": "content_filter"}],
         "usage": {"prompt_tokens": 19, "completion_tokens": 0, "total_tokens": 19}}
        """);
    ProviderResponse response = provider(Duration.ofSeconds(5)).call(request());
    assertThat(response.stopReason()).isEqualTo("content_filter");
    assertThat(response.content()).isEmpty();
    assertThat(response.inputTokens()).isEqualTo(19);
  }

  @Test
  void openAiItselfGetsMaxCompletionTokensInsteadOfMaxTokens() throws Exception {
    // The adapter tells OpenAI by its host, api.openai.com: the request is addressed to http://api.openai.com/v1
    // and reaches WireMock as its HTTP proxy (the JVM's default ProxySelector, which OkHttp reads when the client is
    // built), so nothing leaves this machine. Any other host keeps max_tokens (sendsTheDocumentedRequest...).
    answer(200, """
        {"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion", "created": 1741569952,
         "model": "gpt-4.1-mini-2025-04-14",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi.", "refusal": null,
                      "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 19, "completion_tokens": 2, "total_tokens": 21}}
        """);
    ProxySelector previous = ProxySelector.getDefault();
    Proxy wiremock = new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", WIREMOCK.port()));
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        if ("api.openai.com".equalsIgnoreCase(uri.getHost())) {
          return List.of(wiremock);
        }
        return previous == null ? List.of(Proxy.NO_PROXY) : previous.select(uri);
      }

      @Override
      public void connectFailed(URI uri, SocketAddress address, IOException failure) {
        // the proxy is WireMock on this machine; nothing to fall back to
      }
    });
    ProviderResponse response;
    try (OpenAiCompatibleProvider openAi = new OpenAiCompatibleProvider("openai", "http://api.openai.com/v1",
        "sk-test-key", Duration.ofSeconds(5))) {
      response = openAi.call(new ProviderRequest("r-1", "gpt-4.1-mini", null,
          List.of(new Message(Role.USER, "Hello", List.of())), 1024, 0.2, 42, Duration.ofSeconds(5), 1));
    } finally {
      ProxySelector.setDefault(previous);
    }

    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
        .withHeader("Host", equalTo("api.openai.com"))
        .withHeader("Authorization", equalTo("Bearer sk-test-key"))
        .withRequestBody(equalToJson("""
            {"model": "gpt-4.1-mini", "max_completion_tokens": 1024, "temperature": 0.2,
             "messages": [{"role": "user", "content": "Hello"}]}
            """)));
    assertThat(response.content()).isEqualTo("Hi.");
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
