package io.modelrouter.worker.provider;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A provider's batch API (Anthropic Message Batches, OpenAI's Batch API, the simulated provider's): requests submitted together and
 * answered within a day at a lower price. Items are named by {@link #customId(String, int)}: a digest of our batch id and
 * the item's index in the batch, since vendors limit custom ids ({@code ^[a-zA-Z0-9_-]{1,64}$} at Anthropic) and
 * request ids are free text; the digest makes the results of any other batch match none of ours. Implementations
 * never retry; the batch coordinator calls again on its next poll.
 */
public interface BatchApi {

  /** How an item ended. SUCCEEDED items carry a response, the others a reason. */
  enum ItemStatus { SUCCEEDED, ERRORED, EXPIRED, CANCELED }

  /** One item's result. */
  record ItemResult(ItemStatus status, ProviderResponse response, String errorType, String errorMessage) {}

  /**
   * A batch as the provider reports it.
   *
   * @param ended whether every item has an outcome (results can be fetched)
   * @param detail the provider's words for its state and counts, for logs and the batch's record
   */
  record Status(boolean ended, String detail) {}

  /** The custom id of the item at this index of our batch {@code batchId}: 12 hex digits of its SHA-256, the index. */
  static String customId(String batchId, int index) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(batchId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 6) + "-" + index;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always there", e);
    }
  }

  /**
   * The fewest requests a batch may have (Bedrock's batch inference takes no job of fewer than its minimum); a batch
   * that closes with fewer goes to the normal path.
   */
  default int minItems() {
    return 1;
  }

  /**
   * Creates a batch of these requests (all for the same model).
   *
   * @param batchId ours, sent along where the provider takes metadata
   * @return the provider's id of the batch
   */
  String submit(String batchId, List<ProviderRequest> items) throws ProviderException;

  Status status(String providerBatchId) throws ProviderException;

  /** The results of an ended batch, by custom id; an item missing from the map has no result. */
  Map<String, ItemResult> results(String providerBatchId) throws ProviderException;

  /**
   * A batch this coordinator may have created without recording it (it stopped between the provider's answer and
   * its own write): the provider's id of it if one is found, so that it is not created twice.
   *
   * @param builtAt when the batch was built (it cannot have been created before)
   * @param items how many requests it has
   * @param known the provider's ids of batches already recorded, never the answer
   */
  Optional<String> find(String batchId, Instant builtAt, int items, Set<String> known) throws ProviderException;
}
