package io.modelrouter.router.learned;

/** Turns a request's text into a unit-length vector; texts that mean alike point alike. */
@FunctionalInterface
public interface PromptEmbedder {
  float[] embed(String text);
}
