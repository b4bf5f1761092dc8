package io.modelrouter.worker.internal;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.BitSet;
import java.util.Collection;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The offsets above a committed offset whose results are already committed, written into the consumer group's
 * offset metadata in the same transaction as those results: {@code mr1:} and the Base64 of a deflated bitmap, bit
 * {@code i} meaning offset {@code committed + i}. Deflate keeps thousands of completed offsets within the broker's
 * 4 KB metadata limit ({@code offset.metadata.max.bytes}). Empty string when there are none.
 */
final class CompletedOffsets {
  static final String PREFIX = "mr1:";

  private CompletedOffsets() {}

  static String encode(long committed, Collection<Long> offsets) {
    if (offsets.isEmpty()) {
      return "";
    }
    BitSet bits = new BitSet();
    for (long offset : offsets) {
      long index = offset - committed;
      if (index < 0 || index > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("offset " + offset + " is not above the committed offset " + committed);
      }
      bits.set((int) index);
    }
    byte[] raw = bits.toByteArray();
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(raw);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 4 + 16);
    byte[] buffer = new byte[1024];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return PREFIX + Base64.getEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  /** The absolute offsets listed in metadata written by {@link #encode}; empty for anything else. */
  static NavigableSet<Long> decode(long committed, String metadata) {
    NavigableSet<Long> offsets = new TreeSet<>();
    if (metadata == null || !metadata.startsWith(PREFIX)) {
      return offsets;
    }
    byte[] compressed = Base64.getDecoder().decode(metadata.substring(PREFIX.length()));
    Inflater inflater = new Inflater();
    inflater.setInput(compressed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1024];
    try {
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          break;
        }
        out.write(buffer, 0, n);
      }
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("corrupt completed-offsets metadata: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
    BitSet bits = BitSet.valueOf(out.toByteArray());
    for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
      offsets.add(committed + i);
    }
    return offsets;
  }
}
