package io.modelrouter.worker.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.MultipartField;
import com.openai.core.ObjectMappers;
import com.openai.core.http.HttpResponse;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListPage;
import com.openai.models.batches.BatchListParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * OpenAI's Batch API through its Java SDK: the items as a JSONL file ({@code {custom_id, method: "POST", url:
 * "/v1/chat/completions", body}}, the body exactly the chat completions request {@link OpenAiCompatibleProvider}
 * would send) uploaded with {@code purpose=batch}, then {@code POST /v1/batches} with a 24 h completion window and our
 * batch id in its metadata ({@value #METADATA_KEY}), which {@link #find} looks for. A batch has ended when its status
 * is completed, expired, cancelled or failed; its results are the lines of its output file (a response with its status
 * code and body) and of its error file (an error with its code: {@code batch_expired} for the items the window cut).
 */
final class OpenAiBatchApi implements BatchApi {
  static final String METADATA_KEY = "model_router_batch";
  private static final String ENDPOINT = "/v1/chat/completions";

  private final OpenAiCompatibleProvider provider;
  private final OpenAIClient client;
  private final String apiKey;
  private final ObjectMapper json = ObjectMappers.jsonMapper();

  OpenAiBatchApi(OpenAiCompatibleProvider provider, OpenAIClient client, String apiKey) {
    this.provider = provider;
    this.client = client;
    this.apiKey = apiKey;
  }

  @Override
  public String submit(String batchId, List<ProviderRequest> items) throws ProviderException {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      ObjectNode line = json.createObjectNode();
      line.put("custom_id", BatchApi.customId(batchId, i));
      line.put("method", "POST");
      line.put("url", ENDPOINT);
      line.set("body", json.valueToTree(provider.params(items.get(i))._body()));
      lines.append(line).append('\n');
    }
    byte[] file = lines.toString().getBytes(StandardCharsets.UTF_8);
    String fileId = call(() -> client.files().create(FileCreateParams.builder()
        .file(MultipartField.<InputStream>builder().value(new ByteArrayInputStream(file))
            .filename(batchId + ".jsonl").contentType("application/jsonl").build())
        .purpose(FilePurpose.BATCH).build())).id();
    return call(() -> client.batches().create(BatchCreateParams.builder()
        .inputFileId(fileId)
        .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
        .completionWindow(BatchCreateParams.CompletionWindow._24H)
        .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty(METADATA_KEY, JsonValue.from(batchId))
            .build())
        .build())).id();
  }

  @Override
  public Status status(String providerBatchId) throws ProviderException {
    Batch batch = call(() -> client.batches().retrieve(providerBatchId));
    String status = batch.status().asString();
    boolean ended = switch (status) {
      case "completed", "expired", "cancelled", "failed" -> true;
      default -> false;
    };
    String counts = batch.requestCounts().map(c -> ": " + c.total() + " total, " + c.completed() + " completed, "
        + c.failed() + " failed").orElse("");
    return new Status(ended, status + counts);
  }

  @Override
  public Map<String, ItemResult> results(String providerBatchId) throws ProviderException {
    Batch batch = call(() -> client.batches().retrieve(providerBatchId));
    Map<String, ItemResult> out = new LinkedHashMap<>();
    if (batch.outputFileId().isPresent()) {
      for (JsonNode line : lines(batch.outputFileId().get())) {
        out.put(line.path("custom_id").asText(), item(line));
      }
    }
    if (batch.errorFileId().isPresent()) {
      for (JsonNode line : lines(batch.errorFileId().get())) {
        out.put(line.path("custom_id").asText(), item(line));
      }
    }
    return out;
  }

  /** One output or error line: {@code {id, custom_id, response: {status_code, request_id, body}, error}}. */
  private ItemResult item(JsonNode line) throws ProviderException {
    JsonNode error = line.path("error");
    JsonNode response = line.path("response");
    if (!error.isMissingNode() && !error.isNull()) {
      String code = error.path("code").asText("error");
      return new ItemResult("batch_expired".equals(code) ? ItemStatus.EXPIRED : ItemStatus.ERRORED, null, code,
          HttpFailures.redact(error.path("message").asText(""), apiKey));
    }
    int status = response.path("status_code").asInt(0);
    JsonNode body = response.path("body");
    if (status != 200) {
      return new ItemResult(ItemStatus.ERRORED, null, body.path("error").path("type").asText("http_" + status),
          HttpFailures.redact(status + ": " + body.path("error").path("message").asText(""), apiKey));
    }
    try {
      return new ItemResult(ItemStatus.SUCCEEDED, provider.answer(json.treeToValue(body, ChatCompletion.class)),
          null, null);
    } catch (IOException | OpenAIInvalidDataException e) {
      return new ItemResult(ItemStatus.ERRORED, null, "invalid_response",
          HttpFailures.redact("the output line's body is not a chat completion: " + e.getMessage(), apiKey));
    }
  }

  private List<JsonNode> lines(String fileId) throws ProviderException {
    return call(() -> {
      try (HttpResponse response = client.files().content(fileId);
          BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        List<JsonNode> read = new java.util.ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
          if (!line.isBlank()) {
            read.add(json.readTree(line));
          }
        }
        return read;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  @Override
  public Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known)
      throws ProviderException {
    BatchListPage page = call(() -> client.batches().list(BatchListParams.builder().limit(100).build()));
    while (true) {
      boolean older = false;
      for (Batch batch : page.data()) {
        if (Instant.ofEpochSecond(batch.createdAt()).isBefore(builtAt.minusSeconds(120))) {
          older = true;
          continue;
        }
        String ours = batch.metadata().map(m -> json.<JsonNode>valueToTree(m).path(METADATA_KEY).asText(null))
            .orElse(null);
        if (batchId.equals(ours) && !known.contains(batch.id())) {
          return Optional.of(batch.id());
        }
      }
      if (older || !page.hasNextPage()) {
        return Optional.empty();
      }
      BatchListPage current = page;
      page = call(current::nextPage);
    }
  }

  private interface Call<T> {
    T run();
  }

  private <T> T call(Call<T> call) throws ProviderException {
    try {
      return call.run();
    } catch (OpenAIServiceException e) {
      throw provider.failure(e);
    } catch (OpenAIIoException e) {
      throw HttpFailures.transport(provider.name(), e, apiKey);
    } catch (OpenAIInvalidDataException e) {
      throw provider.malformed(e);
    } catch (UncheckedIOException e) {
      throw new ProviderException(ProviderException.Kind.NETWORK, null, "io_error",
          HttpFailures.redact(provider.name() + ": reading a batch file: " + e.getCause().getMessage(), apiKey));
    }
  }
}
