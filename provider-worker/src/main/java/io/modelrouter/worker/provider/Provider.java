package io.modelrouter.worker.provider;

/**
 * One LLM provider endpoint (Anthropic, an OpenAI-compatible API, Bedrock, or a simulation). Calls block; the worker
 * runs each on a virtual thread. Implementations never retry (Resilience4j is the only retry loop) and never put
 * credentials in an exception, a log line or a result.
 */
public interface Provider extends AutoCloseable {

  /** The provider's configured name, e.g. {@code anthropic}; models in the catalog name it. */
  String name();

  /** True for the simulated provider: its results say so. */
  default boolean simulated() {
    return false;
  }

  /** Sends one request; returns the normalized answer or throws a classified {@link ProviderException}. */
  ProviderResponse call(ProviderRequest request) throws ProviderException;

  /** The provider's batch API, or null when it has none (or none this worker uses). */
  default BatchApi batchApi() {
    return null;
  }

  @Override
  default void close() {}
}
