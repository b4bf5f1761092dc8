package io.modelrouter.schemas.prompt;

import java.util.Arrays;

/**
 * Where a request's prompt texts are in the bytes it arrived as (UTF-8, as Avro carries strings): the system prompt,
 * if any, then each message's content, in order. The router scans these bytes in place instead of the decoded
 * Strings. Reused from request to request by one stream task: not thread-safe.
 */
public final class PromptText {
  private byte[] bytes;
  private int[] offsets = new int[4];
  private int[] lengths = new int[4];
  private int count;

  /** Starts over for the texts of a request held in {@code bytes}. */
  public void reset(byte[] bytes) {
    this.bytes = bytes;
    this.count = 0;
  }

  /** Adds the next text: {@code length} bytes at {@code offset}. */
  public void add(int offset, int length) {
    if (count == offsets.length) {
      offsets = Arrays.copyOf(offsets, count * 2);
      lengths = Arrays.copyOf(lengths, count * 2);
    }
    offsets[count] = offset;
    lengths[count] = length;
    count++;
  }

  public int count() {
    return count;
  }

  public byte[] bytes() {
    return bytes;
  }

  public int offset(int i) {
    return offsets[i];
  }

  public int length(int i) {
    return lengths[i];
  }
}
