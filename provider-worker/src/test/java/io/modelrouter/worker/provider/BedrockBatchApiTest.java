package io.modelrouter.worker.provider;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.Role;
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
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Bedrock batch inference against WireMock answering as AWS documents it: S3 (path-style PutObject, GetObject, a
 * NoSuchKey error) and Bedrock's control plane (CreateModelInvocationJob, GetModelInvocationJob,
 * ListModelInvocationJobs), the output file's records being Converse responses or {@code error} objects.
 */
class BedrockBatchApiTest {
  private static final WireMockServer WIREMOCK = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
  private static final String MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
  private static final String ROLE = "arn:aws:iam::123456789012:role/BedrockBatchRole";
  private static final String ARN = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/k3x9q2m7p1ab";
  private static final String BATCH = "worker-1-3-1042";
  private static final ObjectMapper JSON = new ObjectMapper();
  private BedrockProvider provider;

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
    URI endpoint = URI.create("http://127.0.0.1:" + WIREMOCK.port());
    provider = new BedrockProvider("bedrock", Region.US_EAST_1, endpoint,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "test-secret")), Duration.ofSeconds(5),
        new BedrockProvider.BatchSettings("s3://mr-batches/jobs/", ROLE, 100, endpoint, endpoint));
    return provider.batchApi();
  }

  private static ProviderRequest request(String id, String text) {
    return new ProviderRequest(id, MODEL, "Answer briefly.", List.of(new Message(Role.USER, text, List.of())), 256, 0.0,
        12, Duration.ofSeconds(5), 0);
  }

  /** The job name for {@link #BATCH}: model-router- and 24 hex digits of its SHA-256 (printf ... | sha256sum). */
  private static final String JOB = "model-router-12b9aa8e755199cfb4a6d0d9";
  /** The first 12 of them: every record id of the batch starts with it. */
  private static final String DIGEST = "12b9aa8e7551";

  /**
   * A PutObject's payload: over plain HTTP the SDK signs it in chunks ({@code STREAMING-AWS4-HMAC-SHA256-PAYLOAD},
   * each chunk {@code <hex length>;chunk-signature=<sig>\r\n<bytes>\r\n}, the last of length 0), as S3 takes it.
   */
  private static String payload(LoggedRequest put) {
    String body = put.getBodyAsString();
    if (!put.getHeader("x-amz-content-sha256").startsWith("STREAMING-")) {
      return body;
    }
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int header = body.indexOf("\r\n", at);
      int length = Integer.parseInt(body.substring(at, body.indexOf(';', at)), 16);
      if (length == 0) {
        return out.toString();
      }
      out.append(body, header + 2, header + 2 + length);
      at = header + 2 + length + 2;
    }
  }

  private static String job(String status, String counts) {
    return """
        {"jobArn": "%s", "jobName": "%s", "modelId": "%s", "clientRequestToken": "%s", "roleArn": "%s",
         "status": "%s", %s "submitTime": "2026-12-06T18:37:24.100Z", "lastModifiedTime": "2026-12-06T19:02:10.000Z",
         "inputDataConfig": {"s3InputDataConfig": {"s3InputFormat": "JSONL",
             "s3Uri": "s3://mr-batches/jobs/%s/input.jsonl"}},
         "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://mr-batches/jobs/%s/output/"}},
         "timeoutDurationInHours": 24, "jobExpirationTime": "2026-12-07T18:37:24.100Z",
         "modelInvocationType": "Converse"}
        """.formatted(ARN, JOB, MODEL, JOB, ROLE, status, counts, JOB, JOB);
  }

  @Test
  void uploadsTheRecordsCreatesTheJobPollsItAndReadsItsOutputAsAwsDocumentsThem() throws Exception {
    BatchApi api = api();
    String input = "/mr-batches/jobs/" + JOB + "/input.jsonl";
    WIREMOCK.stubFor(put(urlEqualTo(input)).willReturn(aResponse().withStatus(200)
        .withHeader("ETag", "\"6805f2cfc46c0f04559748bb039d69ae\"")));
    WIREMOCK.stubFor(post(urlEqualTo("/model-invocation-job")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("{\"jobArn\": \"" + ARN + "\"}")));

    String created = api.submit(BATCH, List.of(request("r-1", "What is 2+2?"), request("r-2", "Name a prime."),
        request("r-3", "Spell cat backwards.")));

    assertThat(created).isEqualTo(ARN);
    // The input file: one record per request, alphanumeric record ids, each modelInput the Converse body
    List<LoggedRequest> puts = WIREMOCK.findAll(putRequestedFor(urlEqualTo(input)));
    assertThat(puts).hasSize(1);
    String[] lines = payload(puts.get(0)).split("\n");
    assertThat(lines).hasSize(3);
    String digest = DIGEST;
    JsonNode first = JSON.readTree(lines[0]);
    assertThat(first.path("recordId").asText()).isEqualTo(digest + "0").matches("[A-Za-z0-9]+");
    assertThat(JSON.readTree(lines[2]).path("recordId").asText()).isEqualTo(digest + "2");
    assertThat(first.path("modelInput")).isEqualTo(JSON.readTree("""
        {"messages": [{"role": "user", "content": [{"text": "What is 2+2?"}]}],
         "system": [{"text": "Answer briefly."}],
         "inferenceConfig": {"maxTokens": 256, "temperature": 0.0}}
        """));
    WIREMOCK.verify(postRequestedFor(urlEqualTo("/model-invocation-job")).withRequestBody(equalToJson("""
        {"jobName": "%s", "clientRequestToken": "%s", "roleArn": "%s", "modelId": "%s",
         "modelInvocationType": "Converse", "timeoutDurationInHours": 24,
         "inputDataConfig": {"s3InputDataConfig": {"s3InputFormat": "JSONL", "s3Uri": "s3:/%s"}},
         "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://mr-batches/jobs/%s/output/"}}}
        """.formatted(JOB, JOB, ROLE, MODEL, input, JOB))));

    WIREMOCK.stubFor(get(urlPathMatching("/model-invocation-job/.*k3x9q2m7p1ab")).willReturn(aResponse()
        .withStatus(200).withHeader("Content-Type", "application/json").withBody(job("InProgress", ""))));
    assertThat(api.status(ARN).ended()).isFalse();
    WIREMOCK.stubFor(get(urlPathMatching("/model-invocation-job/.*k3x9q2m7p1ab")).willReturn(aResponse()
        .withStatus(200).withHeader("Content-Type", "application/json").withBody(job("PartiallyCompleted",
            "\"totalRecordCount\": 3, \"processedRecordCount\": 2, \"successRecordCount\": 1, "
                + "\"errorRecordCount\": 1,"))));
    BatchApi.Status ended = api.status(ARN);
    assertThat(ended.ended()).isTrue();
    assertThat(ended.detail()).isEqualTo("PartiallyCompleted: 3 total, 1 succeeded, 1 errored");

    // The output: record 1 answered, record 0 errored, record 2 missing (no result: the normal path)
    WIREMOCK.stubFor(get(urlEqualTo("/mr-batches/jobs/" + JOB + "/output/k3x9q2m7p1ab/input.jsonl.out"))
        .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "binary/octet-stream").withBody(
            "{\"recordId\": \"" + digest + "1\", \"modelInput\": " + lines[1].substring(lines[1].indexOf("{", 5),
                lines[1].length() - 1) + ", \"modelOutput\": {\"output\": {\"message\": {\"role\": \"assistant\", "
                + "\"content\": [{\"text\": \"7\"}]}}, \"stopReason\": \"end_turn\", \"usage\": {\"inputTokens\": 19, "
                + "\"outputTokens\": 2, \"totalTokens\": 21}, \"metrics\": {\"latencyMs\": 402}}}\n"
                + "{\"recordId\": \"" + digest + "0\", \"modelInput\": {}, \"error\": {\"errorCode\": 400, "
                + "\"errorMessage\": \"Malformed input request, please reformat your input and try again.\"}}\n")));
    Map<String, BatchApi.ItemResult> results = api.results(ARN);

    assertThat(results).containsOnlyKeys(BatchApi.customId(BATCH, 0), BatchApi.customId(BATCH, 1));
    BatchApi.ItemResult answered = results.get(BatchApi.customId(BATCH, 1));
    assertThat(answered.status()).isEqualTo(BatchApi.ItemStatus.SUCCEEDED);
    assertThat(answered.response().content()).isEqualTo("7");
    assertThat(answered.response().providerRequestId()).isEqualTo(digest + "1");
    assertThat(answered.response().inputTokens()).isEqualTo(19);
    assertThat(answered.response().outputTokens()).isEqualTo(2);
    assertThat(answered.response().stopReason()).isEqualTo("end_turn");
    BatchApi.ItemResult errored = results.get(BatchApi.customId(BATCH, 0));
    assertThat(errored.status()).isEqualTo(BatchApi.ItemStatus.ERRORED);
    assertThat(errored.errorType()).isEqualTo("http_400");
    assertThat(errored.errorMessage()).startsWith("Malformed input request");
  }

  @Test
  void aJobThatFailedBeforeWritingOutputHasNoResults() throws Exception {
    BatchApi api = api();
    WIREMOCK.stubFor(get(urlPathMatching("/model-invocation-job/.*k3x9q2m7p1ab")).willReturn(aResponse()
        .withStatus(200).withHeader("Content-Type", "application/json").withBody(job("Failed",
            "\"message\": \"The role does not have access to the input location.\","))));
    WIREMOCK.stubFor(get(urlPathEqualTo("/mr-batches/jobs/" + JOB + "/output/k3x9q2m7p1ab/input.jsonl.out"))
        .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/xml").withBody("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
            <Key>jobs/output/k3x9q2m7p1ab/input.jsonl.out</Key><RequestId>4442587FB7D0A2F9</RequestId>
            <HostId>hostid</HostId></Error>""")));

    BatchApi.Status status = api.status(ARN);
    assertThat(status.ended()).isTrue();
    assertThat(status.detail()).isEqualTo("Failed (The role does not have access to the input location.)");
    assertThat(api.results(ARN)).isEmpty();
  }

  @Test
  void findsAJobCreatedBeforeAStopByItsNameAndNeverOneAlreadyRecorded() throws Exception {
    BatchApi api = api();
    String known = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/aaaaaaaaaaaa";
    WIREMOCK.stubFor(get(urlPathEqualTo("/model-invocation-jobs")).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "application/json").withBody("""
            {"invocationJobSummaries": [
              {"jobArn": "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/zzzzzzzzzzzz",
               "jobName": "%s-other", "modelId": "%s", "roleArn": "%s", "status": "InProgress",
               "submitTime": "2026-12-06T18:37:24Z",
               "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://mr-batches/x.jsonl"}},
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://mr-batches/out/"}}},
              {"jobArn": "%s", "jobName": "%s", "modelId": "%s", "roleArn": "%s", "status": "InProgress",
               "submitTime": "2026-12-06T18:37:24Z",
               "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://mr-batches/x.jsonl"}},
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://mr-batches/out/"}}},
              {"jobArn": "%s", "jobName": "%s", "modelId": "%s", "roleArn": "%s", "status": "Submitted",
               "submitTime": "2026-12-06T18:37:25Z",
               "inputDataConfig": {"s3InputDataConfig": {"s3Uri": "s3://mr-batches/x.jsonl"}},
               "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": "s3://mr-batches/out/"}}}
            ]}
            """.formatted(JOB, MODEL, ROLE, known, JOB, MODEL, ROLE, ARN, JOB, MODEL, ROLE))));

    assertThat(api.find(BATCH, Instant.parse("2026-12-06T18:37:00Z"), 3, Set.of(known))).contains(ARN);
    WIREMOCK.verify(getRequestedFor(urlPathEqualTo("/model-invocation-jobs"))
        .withQueryParam("nameContains", equalTo(JOB)));
    assertThat(api.find(BATCH, Instant.parse("2026-12-06T18:37:00Z"), 3, Set.of(known, ARN))).isEmpty();
  }

  @Test
  void takesNoJobBelowTheConfiguredMinimum() {
    assertThat(api().minItems()).isEqualTo(100);
  }
}
