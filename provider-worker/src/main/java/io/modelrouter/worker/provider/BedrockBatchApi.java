package io.modelrouter.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.bedrock.BedrockClient;
import software.amazon.awssdk.services.bedrock.BedrockClientBuilder;
import software.amazon.awssdk.services.bedrock.model.CreateModelInvocationJobRequest;
import software.amazon.awssdk.services.bedrock.model.GetModelInvocationJobResponse;
import software.amazon.awssdk.services.bedrock.model.ListModelInvocationJobsRequest;
import software.amazon.awssdk.services.bedrock.model.ListModelInvocationJobsResponse;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobInputDataConfig;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobOutputDataConfig;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobS3InputDataConfig;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobS3OutputDataConfig;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationJobSummary;
import software.amazon.awssdk.services.bedrock.model.ModelInvocationType;
import software.amazon.awssdk.services.bedrock.model.S3InputFormat;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.ContentBlock;
import software.amazon.awssdk.services.bedrockruntime.model.ConversationRole;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseRequest;
import software.amazon.awssdk.services.bedrockruntime.model.ConverseResponse;
import software.amazon.awssdk.services.bedrockruntime.model.Message;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Amazon Bedrock batch inference (a "model invocation job") through the AWS SDK v2, Converse type: the items as one
 * JSONL file in S3, each line {@code {recordId, modelInput}} with {@code modelInput} exactly the Converse request body
 * {@link BedrockProvider} would send (marshalled by the SDK itself, see {@link ConverseCodec}), then
 * {@code CreateModelInvocationJob} with the configured service role, {@code GetModelInvocationJob} until the job has
 * ended (Completed, PartiallyCompleted, Failed, Stopped or Expired), then the job's output file
 * ({@code <output>/<job id>/input.jsonl.out}): per record its {@code modelOutput} (a Converse response, parsed by the
 * SDK) or its {@code error} ({@code errorCode}, {@code errorMessage}). A record missing from the output has no
 * result (its request goes to the normal path).
 *
 * <p>Record ids are our custom ids without the hyphen (Bedrock wants alphanumeric ones): 12 hex digits then the
 * index. The job's name and client request token are {@value #JOB_PREFIX} and 24 hex digits of SHA-256 of our batch
 * id, so a create sent again is the same job to Bedrock (its idempotency), and {@link #find} finds a job by name.
 * Bedrock takes no job of fewer records than its quota (100 for most models): {@link #minItems}.
 */
final class BedrockBatchApi implements BatchApi {
  static final String JOB_PREFIX = "model-router-";
  static final String INPUT_FILE = "input.jsonl";
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Set<String> ENDED = Set.of("Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired");

  private final BedrockProvider provider;
  private final BedrockClient bedrock;
  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final String roleArn;
  private final int minItems;
  private final ConverseCodec codec = new ConverseCodec();

  BedrockBatchApi(BedrockProvider provider, BedrockClient bedrock, S3Client s3, String s3Uri, String roleArn,
      int minItems) {
    this.provider = provider;
    this.bedrock = bedrock;
    this.s3 = s3;
    URI uri = URI.create(s3Uri);
    if (!"s3".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("the batch location must be s3://bucket/prefix, not " + s3Uri);
    }
    this.bucket = uri.getHost();
    String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+|/+$", "");
    this.prefix = path.isEmpty() ? "" : path + "/";
    this.roleArn = roleArn;
    this.minItems = minItems;
  }

  static BedrockBatchApi create(BedrockProvider provider, Region region, AwsCredentialsProvider credentials,
      BedrockProvider.BatchSettings settings) {
    BedrockClientBuilder control = BedrockClient.builder().region(region).credentialsProvider(credentials)
        .httpClientBuilder(ApacheHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    if (settings.endpoint() != null) {
      control.endpointOverride(settings.endpoint());
    }
    S3ClientBuilder storage = S3Client.builder().region(region).credentialsProvider(credentials)
        .httpClientBuilder(ApacheHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofSeconds(120)))
        // the file is sent whole with its length: no chunked trailer checksum (S3 does not require one for PUT)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
    if (settings.s3Endpoint() != null) {
      storage.endpointOverride(settings.s3Endpoint()).forcePathStyle(true);
    }
    return new BedrockBatchApi(provider, control.build(), storage.build(), settings.s3Uri(), settings.roleArn(),
        settings.minItems());
  }

  @Override
  public int minItems() {
    return minItems;
  }

  /** The job's name (and client request token) for our batch id. */
  static String jobName(String batchId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(batchId.getBytes(StandardCharsets.UTF_8));
      return JOB_PREFIX + HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always there", e);
    }
  }

  /** A custom id as a Bedrock record id (alphanumeric): without its hyphen. */
  static String recordId(String customId) {
    return customId.replace("-", "");
  }

  /** A record id back as our custom id: the first 12 characters are the digest, the rest the index. */
  static String customIdOf(String recordId) {
    return recordId.length() <= 12 ? recordId : recordId.substring(0, 12) + "-" + recordId.substring(12);
  }

  @Override
  public String submit(String batchId, List<ProviderRequest> items) throws ProviderException {
    String job = jobName(batchId);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      ObjectNode line = JSON.createObjectNode();
      line.put("recordId", recordId(BatchApi.customId(batchId, i)));
      line.set("modelInput", codec.body(provider.converseRequest(items.get(i))));
      lines.append(line).append('\n');
    }
    String input = prefix + job + "/" + INPUT_FILE;
    call(() -> s3.putObject(b -> b.bucket(bucket).key(input).contentType("application/jsonl"),
        RequestBody.fromBytes(lines.toString().getBytes(StandardCharsets.UTF_8))));
    return call(() -> bedrock.createModelInvocationJob(CreateModelInvocationJobRequest.builder()
        .jobName(job)
        .clientRequestToken(job)
        .roleArn(roleArn)
        .modelId(items.get(0).providerModelId())
        .modelInvocationType(ModelInvocationType.CONVERSE)
        .timeoutDurationInHours(24)
        .inputDataConfig(ModelInvocationJobInputDataConfig.fromS3InputDataConfig(
            ModelInvocationJobS3InputDataConfig.builder().s3InputFormat(S3InputFormat.JSONL)
                .s3Uri("s3://" + bucket + "/" + input).build()))
        .outputDataConfig(ModelInvocationJobOutputDataConfig.fromS3OutputDataConfig(
            ModelInvocationJobS3OutputDataConfig.builder().s3Uri("s3://" + bucket + "/" + prefix + job + "/output/")
                .build()))
        .build())).jobArn();
  }

  @Override
  public Status status(String providerBatchId) throws ProviderException {
    GetModelInvocationJobResponse job = call(() -> bedrock.getModelInvocationJob(b -> b.jobIdentifier(providerBatchId)));
    String status = job.statusAsString();
    StringBuilder detail = new StringBuilder(status);
    if (job.totalRecordCount() != null) {
      detail.append(": ").append(job.totalRecordCount()).append(" total, ").append(job.successRecordCount())
          .append(" succeeded, ").append(job.errorRecordCount()).append(" errored");
    }
    if (job.message() != null && !job.message().isBlank()) {
      detail.append(" (").append(job.message()).append(')');
    }
    return new Status(ENDED.contains(status), detail.toString());
  }

  @Override
  public Map<String, ItemResult> results(String providerBatchId) throws ProviderException {
    GetModelInvocationJobResponse job = call(() -> bedrock.getModelInvocationJob(b -> b.jobIdentifier(providerBatchId)));
    URI output = URI.create(job.outputDataConfig().s3OutputDataConfig().s3Uri());
    String outputPrefix = output.getPath().replaceAll("^/+", "");
    outputPrefix = outputPrefix.isEmpty() || outputPrefix.endsWith("/") ? outputPrefix : outputPrefix + "/";
    String jobId = providerBatchId.substring(providerBatchId.lastIndexOf('/') + 1);
    String key = outputPrefix + jobId + "/" + INPUT_FILE + ".out";
    Map<String, ItemResult> out = new LinkedHashMap<>();
    String outputBucket = output.getHost();
    List<JsonNode> lines = call(() -> {
      try (ResponseInputStream<GetObjectResponse> body = s3.getObject(b -> b.bucket(outputBucket).key(key))) {
        return read(body);
      } catch (NoSuchKeyException e) {
        // A job that failed before any record ran writes no output: every item goes to the normal path
        return List.of();
      } catch (IOException e) {
        throw SdkClientException.create("reading s3://" + outputBucket + "/" + key + ": " + e.getMessage(), e);
      }
    });
    for (JsonNode line : lines) {
      String recordId = line.path("recordId").asText("");
      out.put(customIdOf(recordId), item(recordId, line));
    }
    return out;
  }

  private ItemResult item(String recordId, JsonNode line) {
    JsonNode error = line.path("error");
    if (!error.isMissingNode() && !error.isNull()) {
      return new ItemResult(ItemStatus.ERRORED, null, "http_" + error.path("errorCode").asText("error"),
          error.path("errorMessage").asText(""));
    }
    JsonNode output = line.path("modelOutput");
    if (!output.isObject()) {
      return new ItemResult(ItemStatus.ERRORED, null, "invalid_response",
          "the output record " + recordId + " has neither modelOutput nor error");
    }
    try {
      return new ItemResult(ItemStatus.SUCCEEDED, provider.answer((String) null, codec.response(output, recordId)),
          null, null);
    } catch (ProviderException e) {
      return new ItemResult(ItemStatus.ERRORED, null, e.errorCode(), e.getMessage());
    } catch (SdkClientException e) {
      return new ItemResult(ItemStatus.ERRORED, null, "invalid_response",
          "the output record " + recordId + "'s modelOutput is not a Converse response: " + e.getMessage());
    }
  }

  private static List<JsonNode> read(InputStream body) throws IOException {
    List<JsonNode> read = new java.util.ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    String line;
    while ((line = reader.readLine()) != null) {
      if (!line.isBlank()) {
        read.add(JSON.readTree(line));
      }
    }
    return read;
  }

  @Override
  public Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known)
      throws ProviderException {
    String job = jobName(batchId);
    String next = null;
    do {
      String token = next;
      ListModelInvocationJobsResponse page = call(() -> bedrock.listModelInvocationJobs(
          ListModelInvocationJobsRequest.builder().nameContains(job).submitTimeAfter(builtAt.minusSeconds(120))
              .maxResults(100).nextToken(token).build()));
      for (ModelInvocationJobSummary summary : page.invocationJobSummaries()) {
        if (job.equals(summary.jobName()) && !known.contains(summary.jobArn())) {
          return Optional.of(summary.jobArn());
        }
      }
      next = page.nextToken();
    } while (next != null && !next.isEmpty());
    return Optional.empty();
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(Call<T> call) throws ProviderException {
    try {
      return call.run();
    } catch (AwsServiceException e) {
      throw provider.failure(e);
    } catch (SdkClientException e) {
      throw HttpFailures.transport(provider.name(), e, null);
    }
  }

  /**
   * Converse requests to their JSON bodies and JSON bodies to Converse responses, by the SDK's own marshalling: a
   * Bedrock runtime client whose HTTP client is this object, which answers in memory (nothing leaves the process;
   * the credentials only sign a request that is never sent). A Converse-type batch record holds exactly what a
   * Converse call sends and answers, so the wire format is the SDK's, not a copy of ours.
   */
  static final class ConverseCodec implements SdkHttpClient {
    private final BedrockRuntimeClient client = BedrockRuntimeClient.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("codec", "codec")))
        .endpointOverride(URI.create("http://converse-codec.invalid"))
        .httpClient(this)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
    private byte[] sent;
    private byte[] answer;
    private String requestId;

    /** The JSON body of this Converse request (its model id goes in the URL, not the body). */
    synchronized JsonNode body(ConverseRequest request) {
      answer = "{}".getBytes(StandardCharsets.UTF_8);
      requestId = "codec";
      client.converse(request);
      try {
        return JSON.readTree(sent);
      } catch (IOException e) {
        throw new IllegalStateException("the SDK wrote a Converse body that is not JSON", e);
      }
    }

    /** This JSON (a Converse response body) as the SDK reads it. */
    synchronized ConverseResponse response(JsonNode body, String recordId) {
      answer = body.toString().getBytes(StandardCharsets.UTF_8);
      requestId = recordId;
      return client.converse(ConverseRequest.builder().modelId("codec").messages(Message.builder()
          .role(ConversationRole.USER).content(ContentBlock.fromText("codec")).build()).build());
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() throws IOException {
          sent = request.contentStreamProvider().isPresent()
              ? request.contentStreamProvider().get().newStream().readAllBytes() : new byte[0];
          return HttpExecuteResponse.builder()
              .response(SdkHttpResponse.builder().statusCode(200).putHeader("Content-Type", "application/json")
                  .putHeader("x-amzn-RequestId", requestId)
                  .putHeader("Content-Length", String.valueOf(answer.length)).build())
              .responseBody(AbortableInputStream.create(new ByteArrayInputStream(answer)))
              .build();
        }

        @Override
        public void abort() {
          // answered in memory
        }
      };
    }

    @Override
    public void close() {
      // nothing held
    }
  }
}
