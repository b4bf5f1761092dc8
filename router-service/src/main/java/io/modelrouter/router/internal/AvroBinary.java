package io.modelrouter.router.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Avro's binary encoding (zig-zag varints, length-prefixed UTF-8, little-endian doubles) over a plain byte array,
 * for the router's two hot records. Avro's own datum readers and writers walk the schema for every record and write
 * byte by byte to a synchronized stream; these do neither. {@link RequestCodec} uses them only for the exact schemas
 * they were written for, and its tests check them against Avro's own byte for byte.
 */
final class AvroBinary {
  private AvroBinary() {}

  /** Reads a record's fields in order; bounds-checked, so malformed input throws instead of over-allocating. */
  static final class Reader {
    private final byte[] buf;
    private int pos;
    private final int end;

    Reader(byte[] buf, int offset, int end) {
      this.buf = buf;
      this.pos = offset;
      this.end = end;
    }

    int position() {
      return pos;
    }

    long readLong() {
      long value = 0;
      int shift = 0;
      while (true) {
        if (pos >= end) {
          throw new IllegalArgumentException("truncated varint at byte " + pos);
        }
        int b = buf[pos++] & 0xff;
        value |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return (value >>> 1) ^ -(value & 1);
        }
        shift += 7;
        if (shift > 63) {
          throw new IllegalArgumentException("varint longer than 10 bytes at byte " + pos);
        }
      }
    }

    int readInt() {
      long value = readLong();
      if (value != (int) value) {
        throw new IllegalArgumentException("int out of range: " + value);
      }
      return (int) value;
    }

    /** A union's branch index, checked against the number of branches. */
    int readIndex(int branches) {
      int index = readInt();
      if (index < 0 || index >= branches) {
        throw new IllegalArgumentException("union index " + index + " of " + branches + " branches");
      }
      return index;
    }

    boolean readBoolean() {
      if (pos >= end) {
        throw new IllegalArgumentException("boolean past the end");
      }
      int b = buf[pos++];
      if (b != 0 && b != 1) {
        throw new IllegalArgumentException("boolean byte " + b);
      }
      return b == 1;
    }

    int readEnum(int symbols) {
      return readIndex(symbols);
    }

    double readDouble() {
      if (end - pos < 8) {
        throw new IllegalArgumentException("truncated double at byte " + pos);
      }
      long bits = 0;
      for (int i = 7; i >= 0; i--) {
        bits = (bits << 8) | (buf[pos + i] & 0xff);
      }
      pos += 8;
      return Double.longBitsToDouble(bits);
    }

    /** The length of the string that starts here; afterwards {@link #position()} is at its first byte. */
    int readStringLength() {
      long length = readLong();
      if (length < 0 || length > end - pos) {
        throw new IllegalArgumentException("string of " + length + " bytes with " + (end - pos) + " left");
      }
      return (int) length;
    }

    String readString() {
      int length = readStringLength();
      return readStringAt(pos, length);
    }

    /** The string of {@code length} bytes at {@code offset}, the current position ({@link #readStringLength}). */
    String readStringAt(int offset, int length) {
      String s = new String(buf, offset, length, StandardCharsets.UTF_8);
      pos = offset + length;
      return s;
    }

    /** A {@code bytes} value, copied. */
    java.nio.ByteBuffer readBytes() {
      int length = readStringLength();
      byte[] copy = java.util.Arrays.copyOfRange(buf, pos, pos + length);
      pos += length;
      return java.nio.ByteBuffer.wrap(copy);
    }

    /** The item count of an array or map block (the byte size of a negative-count block is skipped). */
    long readBlockCount(int minItemBytes) {
      long count = readLong();
      if (count < 0) {
        count = -count;
        readLong();
      }
      if (count > (long) (end - pos) / Math.max(1, minItemBytes)) {
        throw new IllegalArgumentException("block of " + count + " items with " + (end - pos) + " bytes left");
      }
      return count;
    }
  }

  /** Writes a record's fields in order into a growing buffer, reused from record to record. */
  static final class Writer {
    private byte[] buf = new byte[512];
    private int pos;

    void reset() {
      pos = 0;
    }

    int size() {
      return pos;
    }

    /** Copies what was written to {@code target} at {@code offset}. */
    void copyTo(byte[] target, int offset) {
      System.arraycopy(buf, 0, target, offset, pos);
    }

    private void ensure(int more) {
      if (pos + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
      }
    }

    void writeLong(long n) {
      ensure(10);
      long z = (n << 1) ^ (n >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[pos++] = (byte) z;
    }

    void writeInt(int n) {
      writeLong(n);
    }

    void writeBoolean(boolean b) {
      ensure(1);
      buf[pos++] = (byte) (b ? 1 : 0);
    }

    void writeDouble(double d) {
      ensure(8);
      long bits = Double.doubleToRawLongBits(d);
      for (int i = 0; i < 8; i++) {
        buf[pos++] = (byte) (bits >>> (8 * i));
      }
    }

    void writeString(String s) {
      if (s.isEmpty()) {
        writeLong(0);
        return;
      }
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      writeLong(bytes.length);
      ensure(bytes.length);
      System.arraycopy(bytes, 0, buf, pos, bytes.length);
      pos += bytes.length;
    }
  }
}
