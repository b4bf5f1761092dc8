package io.modelrouter.worker.provider;

import com.anthropic.client.AnthropicClient;
import com.anthropic.core.ObjectMappers;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicInvalidDataException;
import com.anthropic.errors.AnthropicIoException;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.BatchListPage;
import com.anthropic.models.messages.batches.BatchListParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import com.anthropic.models.messages.batches.MessageBatchResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Anthropic's Message Batches API through its Java SDK: {@code POST /v1/messages/batches} with one
 * {@code {custom_id, params}} per item ({@code params} exactly the Messages request {@link AnthropicProvider} would
 * send), {@code GET /v1/messages/batches/{id}} until {@code processing_status} is {@code ended}, then the results
 * (JSONL, one line per item: {@code succeeded} with its message, {@code errored}, {@code canceled} or {@code expired}).
 * Batches carry no metadata, so {@link #find} matches a batch created since the build with the same number of
 * requests that no record names (documented in docs/worker.md).
 */
final class AnthropicBatchApi implements BatchApi {
  /** Clock skew allowed between this machine and Anthropic's {@code created_at}. */
  private static final java.time.Duration SKEW = java.time.Duration.ofMinutes(2);

  private final AnthropicProvider provider;
  private final AnthropicClient client;
  private final String apiKey;

  AnthropicBatchApi(AnthropicProvider provider, AnthropicClient client, String apiKey) {
    this.provider = provider;
    this.client = client;
    this.apiKey = apiKey;
  }

  @Override
  public String submit(String batchId, List<ProviderRequest> items) throws ProviderException {
    BatchCreateParams.Builder create = BatchCreateParams.builder();
    for (int i = 0; i < items.size(); i++) {
      // The same body as a Messages API call: converted through the SDK's own JSON mapping
      BatchCreateParams.Request.Params params = ObjectMappers.jsonMapper().convertValue(
          provider.params(items.get(i))._body(), BatchCreateParams.Request.Params.class);
      create.addRequest(BatchCreateParams.Request.builder().customId(BatchApi.customId(batchId, i)).params(params).build());
    }
    return call(() -> client.messages().batches().create(create.build())).id();
  }

  @Override
  public Status status(String providerBatchId) throws ProviderException {
    MessageBatch batch = call(() -> client.messages().batches().retrieve(providerBatchId));
    var counts = batch.requestCounts();
    String state = batch.processingStatus().asString();
    return new Status("ended".equals(state), state + ": " + counts.processing() + " processing, "
        + counts.succeeded() + " succeeded, " + counts.errored() + " errored, " + counts.canceled() + " canceled, "
        + counts.expired() + " expired");
  }

  @Override
  public Map<String, ItemResult> results(String providerBatchId) throws ProviderException {
    Map<String, MessageBatchResult> lines = call(() -> {
      Map<String, MessageBatchResult> read = new LinkedHashMap<>();
      try (StreamResponse<MessageBatchIndividualResponse> stream =
          client.messages().batches().resultsStreaming(providerBatchId)) {
        stream.stream().forEach(line -> read.put(line.customId(), line.result()));
      }
      return read;
    });
    Map<String, ItemResult> out = new LinkedHashMap<>();
    for (Map.Entry<String, MessageBatchResult> line : lines.entrySet()) {
      out.put(line.getKey(), item(line.getValue()));
    }
    return out;
  }

  private ItemResult item(MessageBatchResult result) throws ProviderException {
    if (result.isSucceeded()) {
      return new ItemResult(ItemStatus.SUCCEEDED, provider.answer(result.asSucceeded().message()), null, null);
    }
    if (result.isErrored()) {
      // {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}
      var error = ObjectMappers.jsonMapper().valueToTree(result.asErrored().error()).path("error");
      String type = error.path("type").asText("error");
      String message = error.path("message").asText("");
      return new ItemResult(ItemStatus.ERRORED, null, type, HttpFailures.redact(message, apiKey));
    }
    if (result.isExpired()) {
      return new ItemResult(ItemStatus.EXPIRED, null, "expired", "the batch ended before this request was processed");
    }
    return new ItemResult(ItemStatus.CANCELED, null, "canceled", "the batch was canceled");
  }

  @Override
  public Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known)
      throws ProviderException {
    BatchListPage page = call(() -> client.messages().batches().list(BatchListParams.builder().limit(100).build()));
    while (true) {
      boolean older = false;
      for (MessageBatch batch : page.data()) {
        Instant created = batch.createdAt().toInstant();
        if (created.isBefore(builtAt.minus(SKEW))) {
          older = true;
          continue;
        }
        var counts = batch.requestCounts();
        long total = counts.processing() + counts.succeeded() + counts.errored() + counts.canceled()
            + counts.expired();
        if (total == items && !known.contains(batch.id())) {
          return Optional.of(batch.id());
        }
      }
      // Newest first: once a page reaches batches older than the build, none further can be it
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
    } catch (AnthropicServiceException e) {
      throw provider.failure(e);
    } catch (AnthropicIoException e) {
      throw HttpFailures.transport(provider.name(), e, apiKey);
    } catch (AnthropicInvalidDataException e) {
      throw malformed(e);
    }
  }

  private ProviderException malformed(AnthropicInvalidDataException e) {
    return new ProviderException(ProviderException.Kind.MALFORMED_RESPONSE, 200, "invalid_response",
        HttpFailures.redact(provider.name() + " answered with a body that is not a Message Batches API response: "
            + e.getMessage(), apiKey), null, e);
  }
}
