package io.modelrouter.schemas.serde;

import java.nio.ByteBuffer;

/** Confluent's wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary encoding. */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** The schema id of a wire-format payload; throws {@link WireFormatException} when it is not one. */
  public static int schemaId(String topic, byte[] payload) {
    if (payload.length < HEADER_SIZE) {
      throw new WireFormatException("Payload of " + payload.length
          + " bytes is shorter than the 5-byte Confluent wire format header", topic);
    }
    if (payload[0] != MAGIC_BYTE) {
      throw new WireFormatException(String.format("Unknown magic byte 0x%02x (expected 0x00)", payload[0]), topic);
    }
    return ByteBuffer.wrap(payload, 1, 4).getInt();
  }

  static void writeHeader(ByteBuffer target, int schemaId) {
    target.put(MAGIC_BYTE).putInt(schemaId);
  }
}
