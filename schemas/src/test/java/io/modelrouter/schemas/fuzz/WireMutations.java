package io.modelrouter.schemas.fuzz;

import java.util.Arrays;
import java.util.Random;

/**
 * Generated malformed records on the Confluent wire format: a valid record with its magic byte or schema id changed,
 * truncated, bytes flipped in its Avro body, a 2 GB declared length where its first string's length is, garbage
 * after it, random bytes behind its valid header, nothing at all, its body repeated 50 times, or invalid UTF-8 in
 * its first string.
 */
public final class WireMutations {
  /** Kinds of mutation {@link #mutate} draws from. */
  public static final int KINDS = 10;

  private WireMutations() {}

  /** One mutation of {@code valid}, drawn from {@code random}; {@code valid} is not changed. */
  public static byte[] mutate(byte[] valid, Random random) {
    return mutate(valid, random.nextInt(KINDS), random);
  }

  /** The mutation of kind {@code kind} (0 to {@link #KINDS} - 1). */
  public static byte[] mutate(byte[] valid, int kind, Random random) {
    byte[] out = valid.clone();
    switch (kind) {
      case 0 -> out[0] = (byte) random.nextInt(256); // magic byte
      case 1 -> { // schema id
        out[1] = (byte) random.nextInt(256);
        out[4] = (byte) random.nextInt(256);
      }
      case 2 -> out = Arrays.copyOf(out, random.nextInt(out.length)); // truncated
      case 3 -> { // bytes flipped in the Avro body
        for (int i = 0; i < 1 + random.nextInt(8); i++) {
          out[5 + random.nextInt(out.length - 5)] ^= (byte) (1 + random.nextInt(255));
        }
      }
      case 4 -> { // a huge declared length (zig-zag varint) where the first string's length is
        byte[] bloated = Arrays.copyOf(out, out.length + 5);
        System.arraycopy(out, 5, bloated, 10, out.length - 5);
        bloated[5] = (byte) 0xfe;
        bloated[6] = (byte) 0xff;
        bloated[7] = (byte) 0xff;
        bloated[8] = (byte) 0xff;
        bloated[9] = (byte) 0x0f;
        out = bloated;
      }
      case 5 -> { // garbage after the record
        byte[] longer = Arrays.copyOf(out, out.length + 1 + random.nextInt(200));
        for (int i = out.length; i < longer.length; i++) {
          longer[i] = (byte) random.nextInt(256);
        }
        out = longer;
      }
      case 6 -> { // random bytes behind a valid header
        byte[] noise = new byte[5 + random.nextInt(300)];
        random.nextBytes(noise);
        System.arraycopy(out, 0, noise, 0, 5);
        out = noise;
      }
      case 7 -> out = new byte[random.nextInt(2)]; // nothing at all, or one byte
      case 8 -> { // invalid UTF-8 in the first string: a lone continuation byte, a truncated sequence, 0xFF
        int start = firstText(out);
        if (start >= 0) {
          byte[][] invalid = {{(byte) 0x80}, {(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0,
              (byte) 0x80}};
          byte[] bad = invalid[random.nextInt(invalid.length)];
          System.arraycopy(bad, 0, out, start, Math.min(bad.length, out.length - start));
        }
      }
      default -> { // the body repeated: many records' worth of the same bytes behind one header
        byte[] big = new byte[5 + (out.length - 5) * 50];
        System.arraycopy(out, 0, big, 0, 5);
        for (int i = 0; i < 50; i++) {
          System.arraycopy(out, 5, big, 5 + i * (out.length - 5), out.length - 5);
        }
        out = big;
      }
    }
    return out;
  }

  /** Where the first run of four printable ASCII bytes after the header starts (a string's bytes), or -1. */
  private static int firstText(byte[] record) {
    int run = 0;
    for (int i = 5; i < record.length; i++) {
      run = record[i] >= 0x20 && record[i] < 0x7f ? run + 1 : 0;
      if (run == 4) {
        return i - 3;
      }
    }
    return -1;
  }
}
