package io.modelrouter.router.routing;

/**
 * What a request may carry beyond text (settings {@code router.request.*}); the record's total size is bounded by
 * {@code router.max.request.bytes}. The defaults follow the providers' own limits: Anthropic takes images of up to
 * 5 MB and PDFs of up to 32 MB, OpenAI up to 128 tools, Anthropic up to 8,191 stop sequences (OpenAI 4).
 */
public record RequestLimits(int maxImages, int maxImageBytes, int maxDocuments, int maxDocumentBytes, int maxTools,
    int maxSchemaBytes, int maxStopSequences) {

  public static final RequestLimits DEFAULTS = new RequestLimits(20, 5 * 1024 * 1024, 5, 32 * 1024 * 1024, 128,
      64 * 1024, 16);
}
