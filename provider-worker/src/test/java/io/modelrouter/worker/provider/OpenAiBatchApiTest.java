package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Batch API against WireMock answering as OpenAI's reference and batch guide document it (file upload,
 * create, retrieve, the output and error files, list). The provider is addressed to api.openai.com (the only host
 * whose batch API the worker uses) and reaches WireMock as its HTTP proxy, as in {@code OpenAiCompatibleProviderTest}.
 */
class OpenAiBatchApiTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private ProxySelector previous;
  private OpenAiCompatibleProvider provider;

  @BeforeAll
  static void startWireMock() {
    WIREMOCK.start();
  }

  @AfterAll
  static void stopWireMock() {
    WIREMOCK.stop();
  }

  @BeforeEach
  void proxy() {
    previous = ProxySelector.getDefault();
    Proxy wiremock = new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", WIREMOCK.port()));
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        return "api.openai.com".equalsIgnoreCase(uri.getHost()) ? List.of(wiremock)
            : previous == null ? List.of(Proxy.NO_PROXY) : previous.select(uri);
      }

      @Override
      public void connectFailed(URI uri, SocketAddress address, IOException failure) {
        // the proxy is WireMock on this machine
      }
    });
  }

  @AfterEach
  void reset() {
    WIREMOCK.resetAll();
    if (provider != null) {
      provider.close();
    }
    ProxySelector.setDefault(previous);
  }

  private BatchApi api() {
    provider = new OpenAiCompatibleProvider("openai", "http://api.openai.com/v1", "sk-test-key", Duration.ofSeconds(5));
    return provider.batchApi();
  }

  private static ProviderRequest request(String id, String text) {
    return new ProviderRequest(id, "gpt-4.1-mini", "You are a helpful assistant.",
        List.of(new Message(Role.USER, text, List.of())), 1000, null, 12, Duration.ofSeconds(5), 0);
  }

  private static void json(com.github.tomakehurst.wiremock.client.MappingBuilder mapping, String body) {
    WIREMOCK.stubFor(mapping.willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
        .withBody(body)));
  }

  private static String batch(String status, String output, String errors, String counts) {
    return """
        {"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
         "input_file_id": "file-abc123", "completion_window": "24h", "status": "%s",
         "output_file_id": %s, "error_file_id": %s, "created_at": 1714508499, "in_progress_at": 1714508500,
         "expires_at": 1714536634, "completed_at": null, "failed_at": null, "expired_at": null,
         "request_counts": %s, "metadata": {"model_router_batch": "w1-0-17"}}
        """.formatted(status, output, errors, counts);
  }

  @Test
  void uploadsTheItemsAsJsonlCreatesTheBatchAndReadsItsOutputAndErrorFiles() throws Exception {
    json(post(urlEqualTo("/v1/files")), """
        {"id": "file-abc123", "object": "file", "bytes": 120000, "created_at": 1677610602,
         "filename": "w1-0-17.jsonl", "purpose": "batch"}""");
    json(post(urlEqualTo("/v1/batches")), batch("validating", "null", "null",
        "{\"total\": 0, \"completed\": 0, \"failed\": 0}"));
    BatchApi api = api();

    String id = api.submit("w1-0-17", List.of(request("r one", "Hello world!"), request("r2", "Hello again"),
        request("r3", "And once more")));

    assertThat(id).isEqualTo("batch_abc123");
    // The file: multipart with purpose=batch, one line per item, each body the chat completions request
    LoggedRequest upload = WIREMOCK.findAll(postRequestedFor(urlEqualTo("/v1/files"))).get(0);
    assertThat(upload.getHeader("Authorization")).isEqualTo("Bearer sk-test-key");
    assertThat(upload.getPart("purpose").getBody().asString()).isEqualTo("batch");
    String file = upload.getPart("file").getBody().asString();
    List<String> lines = file.lines().toList();
    assertThat(lines).hasSize(3);
    ObjectMapper mapper = new ObjectMapper();
    JsonNode first = mapper.readTree(lines.get(0));
    assertThat(first).isEqualTo(mapper.readTree("""
        {"custom_id": "9500eb49c412-0", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4.1-mini", "max_completion_tokens": 1000,
                  "messages": [{"role": "system", "content": "You are a helpful assistant."},
                               {"role": "user", "content": "Hello world!"}]}}"""));
    assertThat(mapper.readTree(lines.get(2)).path("custom_id").asText()).isEqualTo("9500eb49c412-2");
    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/batches")).withRequestBody(equalToJson("""
        {"input_file_id": "file-abc123", "endpoint": "/v1/chat/completions", "completion_window": "24h",
         "metadata": {"model_router_batch": "w1-0-17"}}""")));

    // In progress: not ended
    json(get(urlEqualTo("/v1/batches/batch_abc123")), batch("in_progress", "null", "null",
        "{\"total\": 3, \"completed\": 1, \"failed\": 0}"));
    assertThat(api.status(id).ended()).isFalse();

    // Expired after one answer: the answer in the output file, a failed and an expired request in the error file
    json(get(urlEqualTo("/v1/batches/batch_abc123")), batch("expired", "\"file-cvaTdG\"", "\"file-HOWS94\"",
        "{\"total\": 3, \"completed\": 1, \"failed\": 2}"));
    WIREMOCK.stubFor(get(urlEqualTo("/v1/files/file-cvaTdG/content")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/octet-stream").withBody("""
            {"id": "batch_req_123", "custom_id": "9500eb49c412-1", "response": {"status_code": 200, "request_id": "req_123", "body": {"id": "chatcmpl-123", "object": "chat.completion", "created": 1711652795, "model": "gpt-4.1-mini-2025-04-14", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello."}, "logprobs": null, "finish_reason": "stop"}], "usage": {"prompt_tokens": 22, "completion_tokens": 2, "total_tokens": 24}, "system_fingerprint": "fp_123"}}, "error": null}
            """.getBytes(StandardCharsets.UTF_8))));
    WIREMOCK.stubFor(get(urlEqualTo("/v1/files/file-HOWS94/content")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/octet-stream").withBody("""
            {"id": "batch_req_456", "custom_id": "9500eb49c412-0", "response": {"status_code": 400, "request_id": "req_456", "body": {"error": {"message": "Invalid value for 'max_completion_tokens'.", "type": "invalid_request_error", "param": "max_completion_tokens", "code": null}}}, "error": null}
            {"id": "batch_req_789", "custom_id": "9500eb49c412-2", "response": null, "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}
            """.getBytes(StandardCharsets.UTF_8))));

    BatchApi.Status ended = api.status(id);
    Map<String, BatchApi.ItemResult> results = api.results(id);

    assertThat(ended).isEqualTo(new BatchApi.Status(true, "expired: 3 total, 1 completed, 2 failed"));
    assertThat(results).containsOnlyKeys("9500eb49c412-0", "9500eb49c412-1", "9500eb49c412-2");
    assertThat(results.get("9500eb49c412-1").status()).isEqualTo(BatchApi.ItemStatus.SUCCEEDED);
    assertThat(results.get("9500eb49c412-1").response().content()).isEqualTo("Hello.");
    assertThat(results.get("9500eb49c412-1").response().inputTokens()).isEqualTo(22);
    assertThat(results.get("9500eb49c412-1").response().outputTokens()).isEqualTo(2);
    assertThat(results.get("9500eb49c412-0")).isEqualTo(new BatchApi.ItemResult(BatchApi.ItemStatus.ERRORED, null,
        "invalid_request_error", "400: Invalid value for 'max_completion_tokens'."));
    assertThat(results.get("9500eb49c412-2").status()).isEqualTo(BatchApi.ItemStatus.EXPIRED);
  }

  @Test
  void findsTheBatchThatCarriesOurBatchIdInItsMetadata() throws Exception {
    json(get(urlPathEqualTo("/v1/batches")), """
        {"object": "list", "data": [
          {"id": "batch_other", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
           "input_file_id": "file-1", "completion_window": "24h", "status": "in_progress", "created_at": 1714508600,
           "request_counts": {"total": 3, "completed": 0, "failed": 0}, "metadata": {"model_router_batch": "w1-1-4"}},
          {"id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
           "input_file_id": "file-abc123", "completion_window": "24h", "status": "in_progress",
           "created_at": 1714508499, "request_counts": {"total": 3, "completed": 0, "failed": 0},
           "metadata": {"model_router_batch": "w1-0-17"}}
        ], "first_id": "batch_other", "last_id": "batch_abc123", "has_more": false}""");
    BatchApi api = api();

    Instant built = Instant.ofEpochSecond(1714508490);
    assertThat(api.find("w1-0-17", built, 3, Set.of())).contains("batch_abc123");
    assertThat(api.find("w1-0-17", built, 3, Set.of("batch_abc123"))).isEmpty();
    assertThat(api.find("w1-0-99", built, 3, Set.of())).isEmpty();
    WIREMOCK.verify(com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(urlPathEqualTo("/v1/batches"))
        .withQueryParam("limit", equalTo("100")).withHeader("Host", containing("api.openai.com")));
  }

  @Test
  void anOpenAiCompatibleServerOtherThanOpenAiHasNoBatchApi() {
    try (OpenAiCompatibleProvider moonshot = new OpenAiCompatibleProvider("moonshot", "https://api.moonshot.ai/v1",
        "sk-test-key", Duration.ofSeconds(5))) {
      assertThat(moonshot.batchApi()).isNull();
    }
  }
}
