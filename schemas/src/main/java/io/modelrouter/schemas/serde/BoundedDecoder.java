package io.modelrouter.schemas.serde;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A binary decoder over one payload that refuses lengths and item counts the payload cannot hold. Avro's own
 * decoder allocates what a length prefix or a block count claims before reading it (a 5-byte record can claim a
 * 2 GB string or two billion array items), and the OutOfMemoryError that follows is not an exception a stream
 * thread or a consumer loop recovers from. Here a string or bytes value longer than the bytes left, or an array or
 * map block with more items than bytes left, is an {@link EOFException}: the payload is malformed.
 *
 * <p>Every item takes at least one byte except those of type {@code null} (or an empty record), so an array of more
 * than the remaining bytes of such items is refused too; no schema of this project has one.
 */
final class BoundedDecoder extends Decoder {
  private final BinaryDecoder in;

  BoundedDecoder(BinaryDecoder in) {
    this.in = in;
  }

  private int remaining() throws IOException {
    return in.inputStream().available();
  }

  private int length(String what) throws IOException {
    long length = in.readLong();
    int remaining = remaining();
    if (length < 0 || length > remaining) {
      throw new EOFException(what + " of " + length + " bytes, but only " + remaining + " bytes are left");
    }
    return (int) length;
  }

  private long items(long count, String what) throws IOException {
    int remaining = remaining();
    if (count > remaining) {
      throw new EOFException(what + " block of " + count + " items, but only " + remaining + " bytes are left");
    }
    return count;
  }

  @Override
  public Utf8 readString(Utf8 old) throws IOException {
    int length = length("string");
    Utf8 result = old != null ? old : new Utf8();
    result.setByteLength(length);
    in.readFixed(result.getBytes(), 0, length);
    return result;
  }

  @Override
  public String readString() throws IOException {
    int length = length("string");
    byte[] bytes = new byte[length];
    in.readFixed(bytes, 0, length);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public ByteBuffer readBytes(ByteBuffer old) throws IOException {
    int length = length("bytes value");
    ByteBuffer result = old != null && old.capacity() >= length ? old.clear() : ByteBuffer.allocate(length);
    in.readFixed(result.array(), result.arrayOffset(), length);
    return result.limit(length);
  }

  @Override
  public long readArrayStart() throws IOException {
    return items(in.readArrayStart(), "array");
  }

  @Override
  public long arrayNext() throws IOException {
    return items(in.arrayNext(), "array");
  }

  @Override
  public long readMapStart() throws IOException {
    return items(in.readMapStart(), "map");
  }

  @Override
  public long mapNext() throws IOException {
    return items(in.mapNext(), "map");
  }

  @Override
  public void readNull() throws IOException {
    in.readNull();
  }

  @Override
  public boolean readBoolean() throws IOException {
    return in.readBoolean();
  }

  @Override
  public int readInt() throws IOException {
    return in.readInt();
  }

  @Override
  public long readLong() throws IOException {
    return in.readLong();
  }

  @Override
  public float readFloat() throws IOException {
    return in.readFloat();
  }

  @Override
  public double readDouble() throws IOException {
    return in.readDouble();
  }

  @Override
  public void skipString() throws IOException {
    in.skipString();
  }

  @Override
  public void skipBytes() throws IOException {
    in.skipBytes();
  }

  @Override
  public void readFixed(byte[] bytes, int start, int length) throws IOException {
    in.readFixed(bytes, start, length);
  }

  @Override
  public void skipFixed(int length) throws IOException {
    in.skipFixed(length);
  }

  @Override
  public int readEnum() throws IOException {
    return in.readEnum();
  }

  @Override
  public long skipArray() throws IOException {
    return in.skipArray();
  }

  @Override
  public long skipMap() throws IOException {
    return in.skipMap();
  }

  @Override
  public int readIndex() throws IOException {
    return in.readIndex();
  }
}
