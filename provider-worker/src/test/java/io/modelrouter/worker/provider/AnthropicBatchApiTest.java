package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Message Batches API against WireMock answering as its reference documents (create, retrieve, the
 * results JSONL with a succeeded, an errored, a canceled and an expired line, list), through {@link AnthropicProvider}.
 */
class AnthropicBatchApiTest {
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

  private BatchApi api() {
    provider = new AnthropicProvider("anthropic", "http://127.0.0.1:" + WIREMOCK.port(), "sk-ant-test-key",
        Duration.ofSeconds(5));
    return provider.batchApi();
  }

  private static ProviderRequest request(String id, String text) {
    return new ProviderRequest(id, "claude-haiku-4-5-20251001", "Answer briefly.",
        List.of(new Message(Role.USER, text, List.of())), 256, 0.0, 12, Duration.ofSeconds(5), 0);
  }

  private static String batch(String status, String counts, String endedAt, String resultsUrl) {
    return """
        {"id": "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "type": "message_batch", "processing_status": "%s",
         "request_counts": %s, "ended_at": %s, "created_at": "2026-12-06T18:37:24.100435Z",
         "expires_at": "2026-12-07T18:37:24.100435Z", "archived_at": null, "cancel_initiated_at": null,
         "results_url": %s}
        """.formatted(status, counts, endedAt, resultsUrl);
  }

  @Test
  void createsPollsAndReadsTheResultsOfABatchAsTheReferenceDocumentsThem() throws Exception {
    WIREMOCK.stubFor(post(urlEqualTo("/v1/messages/batches")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json")
        .withBody(batch("in_progress", """
            {"processing": 4, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}""", "null", "null"))));
    BatchApi api = api();

    String id = api.submit("w1-0-17", List.of(request("req one", "Hello, world"), request("r2", "Hi again, friend"),
        request("r3", "And again"), request("r4", "Last one")));

    assertThat(id).isEqualTo("msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d");
    // custom ids: 12 hex digits of SHA-256("w1-0-17") and the index (request ids may hold characters Anthropic's
    // ^[a-zA-Z0-9_-]{1,64}$ refuses; another batch's results match none of ours), and each
    // item's params exactly the Messages API request
    WIREMOCK.verify(postRequestedFor(urlEqualTo("/v1/messages/batches"))
        .withHeader("Authorization", equalTo("Bearer sk-ant-test-key"))
        // the SDK's dated API version
        .withHeader("anthropic-version", matching("\\d{4}-\\d{2}-\\d{2}"))
        .withRequestBody(equalToJson("""
            {"requests": [
              {"custom_id": "9500eb49c412-0", "params": {"model": "claude-haiku-4-5-20251001", "max_tokens": 256,
                "system": "Answer briefly.", "temperature": 0.0,
                "messages": [{"role": "user", "content": "Hello, world"}]}},
              {"custom_id": "9500eb49c412-1", "params": {"model": "claude-haiku-4-5-20251001", "max_tokens": 256,
                "system": "Answer briefly.", "temperature": 0.0,
                "messages": [{"role": "user", "content": "Hi again, friend"}]}},
              {"custom_id": "9500eb49c412-2", "params": {"model": "claude-haiku-4-5-20251001", "max_tokens": 256,
                "system": "Answer briefly.", "temperature": 0.0,
                "messages": [{"role": "user", "content": "And again"}]}},
              {"custom_id": "9500eb49c412-3", "params": {"model": "claude-haiku-4-5-20251001", "max_tokens": 256,
                "system": "Answer briefly.", "temperature": 0.0,
                "messages": [{"role": "user", "content": "Last one"}]}}
            ]}""")));

    // While it runs, it is not ended
    WIREMOCK.stubFor(get(urlEqualTo("/v1/messages/batches/" + id)).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(batch("in_progress", """
            {"processing": 4, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}""", "null", "null"))));
    assertThat(api.status(id).ended()).isFalse();

    // Then it ends, and its results are one JSONL line per request, in no particular order
    String resultsUrl = "http://127.0.0.1:" + WIREMOCK.port() + "/v1/messages/batches/" + id + "/results";
    WIREMOCK.stubFor(get(urlEqualTo("/v1/messages/batches/" + id)).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody(batch("ended", """
            {"processing": 0, "succeeded": 1, "errored": 1, "canceled": 1, "expired": 1}""",
            "\"2026-12-06T19:02:11.100435Z\"", "\"" + resultsUrl + "\""))));
    WIREMOCK.stubFor(get(urlPathEqualTo("/v1/messages/batches/" + id + "/results")).willReturn(aResponse()
        .withStatus(200).withHeader("Content-Type", "application/binary").withBody("""
            {"custom_id":"9500eb49c412-1","result":{"type":"succeeded","message":{"id":"msg_014VwiXbi91y3JMjcpyGBHX5","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":[{"type":"text","text":"Hello again! It's nice to see you."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":36}}}}
            {"custom_id":"9500eb49c412-0","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}}}
            {"custom_id":"9500eb49c412-2","result":{"type":"canceled"}}
            {"custom_id":"9500eb49c412-3","result":{"type":"expired"}}
            """)));

    BatchApi.Status ended = api.status(id);
    Map<String, BatchApi.ItemResult> results = api.results(id);

    assertThat(ended.ended()).isTrue();
    assertThat(ended.detail()).isEqualTo("ended: 0 processing, 1 succeeded, 1 errored, 1 canceled, 1 expired");
    assertThat(results).containsOnlyKeys("9500eb49c412-0", "9500eb49c412-1", "9500eb49c412-2", "9500eb49c412-3");
    BatchApi.ItemResult succeeded = results.get("9500eb49c412-1");
    assertThat(succeeded.status()).isEqualTo(BatchApi.ItemStatus.SUCCEEDED);
    assertThat(succeeded.response().content()).isEqualTo("Hello again! It's nice to see you.");
    assertThat(succeeded.response().inputTokens()).isEqualTo(11);
    assertThat(succeeded.response().outputTokens()).isEqualTo(36);
    assertThat(succeeded.response().stopReason()).isEqualTo("end_turn");
    assertThat(results.get("9500eb49c412-0")).isEqualTo(new BatchApi.ItemResult(BatchApi.ItemStatus.ERRORED, null,
        "invalid_request_error", "max_tokens: Field required"));
    assertThat(results.get("9500eb49c412-2").status()).isEqualTo(BatchApi.ItemStatus.CANCELED);
    assertThat(results.get("9500eb49c412-3").status()).isEqualTo(BatchApi.ItemStatus.EXPIRED);
    WIREMOCK.verify(getRequestedFor(urlPathEqualTo("/v1/messages/batches/" + id + "/results")));
  }

  @Test
  void findsABatchCreatedAfterTheBuildWithTheSameCountThatNoRecordNames() throws Exception {
    // The list, most recent first: one batch of 3 already recorded, one of 3 not recorded, one of 3 too old
    WIREMOCK.stubFor(get(urlPathEqualTo("/v1/messages/batches")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("""
            {"data": [
              {"id": "msgbatch_known", "type": "message_batch", "processing_status": "in_progress",
               "request_counts": {"processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
               "ended_at": null, "created_at": "2026-12-06T18:40:00Z", "expires_at": "2026-12-07T18:40:00Z",
               "archived_at": null, "cancel_initiated_at": null, "results_url": null},
              {"id": "msgbatch_mine", "type": "message_batch", "processing_status": "in_progress",
               "request_counts": {"processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
               "ended_at": null, "created_at": "2026-12-06T18:39:00Z", "expires_at": "2026-12-07T18:39:00Z",
               "archived_at": null, "cancel_initiated_at": null, "results_url": null},
              {"id": "msgbatch_old", "type": "message_batch", "processing_status": "ended",
               "request_counts": {"processing": 0, "succeeded": 3, "errored": 0, "canceled": 0, "expired": 0},
               "ended_at": "2026-12-06T12:00:00Z", "created_at": "2026-12-06T11:00:00Z",
               "expires_at": "2026-12-07T11:00:00Z", "archived_at": null, "cancel_initiated_at": null,
               "results_url": null}
            ], "has_more": false, "first_id": "msgbatch_known", "last_id": "msgbatch_old"}""")));
    BatchApi api = api();

    assertThat(api.find("w1-0-17", Instant.parse("2026-12-06T18:38:30Z"), 3, Set.of("msgbatch_known")))
        .contains("msgbatch_mine");
    assertThat(api.find("w1-0-17", Instant.parse("2026-12-06T18:38:30Z"), 4, Set.of("msgbatch_known"))).isEmpty();
    assertThat(api.find("w1-0-17", Instant.parse("2026-12-06T18:45:00Z"), 3, Set.of("msgbatch_known"))).isEmpty();
  }

  @Test
  void anUnknownBatchIsANotFoundError() {
    WIREMOCK.stubFor(get(urlEqualTo("/v1/messages/batches/msgbatch_gone")).willReturn(aResponse().withStatus(404)
        .withHeader("Content-Type", "application/json").withBody("""
            {"type": "error", "error": {"type": "not_found_error", "message": "Batch not found"},
             "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"}""")));

    assertThatThrownBy(() -> api().status("msgbatch_gone")).isInstanceOf(ProviderException.class)
        .satisfies(e -> assertThat(((ProviderException) e).httpStatus()).isEqualTo(404))
        .hasMessageNotContaining("sk-ant-test-key");
  }
}
