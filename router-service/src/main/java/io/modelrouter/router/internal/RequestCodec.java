package io.modelrouter.router.internal;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.avro.Message;
import io.modelrouter.avro.ModelRef;
import io.modelrouter.avro.Priority;
import io.modelrouter.avro.ResponseFormat;
import io.modelrouter.avro.Role;
import io.modelrouter.avro.RoutedRequest;
import io.modelrouter.avro.RoutingDecision;
import io.modelrouter.avro.Tool;
import io.modelrouter.avro.ToolChoice;
import io.modelrouter.avro.ToolChoiceMode;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.prompt.PromptText;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import io.modelrouter.schemas.serde.MalformedPayloadException;
import io.modelrouter.schemas.serde.WireFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * The router's request codec. A request written with exactly our {@code InferenceRequest} schema (the usual case) is
 * decoded by straight-line code that also notes where its prompt texts are, so that they are scanned in place; and
 * its routed record is the request's bytes as they arrived followed by the decision's (Avro encodes a record as its
 * fields one after the other), the decision written by straight-line code too. Any other writer schema (another
 * version, or {@code use.latest.version}) goes through the Avro serde. One per stream task.
 *
 * <p>The straight-line code follows the schemas as they were when it was written, recorded as their fingerprints;
 * if the generated classes' schemas differ, it is not used (and {@code RequestCodecTest} fails until it is updated).
 */
final class RequestCodec {
  /** Parsing Canonical Form fingerprints of the schemas the straight-line code implements. */
  static final long REQUEST_FINGERPRINT = -1560130647058573561L;
  static final long DECISION_FINGERPRINT = -253242855598793313L;
  static final boolean REQUEST_FAST = fingerprint(InferenceRequest.getClassSchema()) == REQUEST_FINGERPRINT;
  static final boolean DECISION_FAST = fingerprint(RoutingDecision.getClassSchema()) == DECISION_FINGERPRINT;
  private static final String CANONICAL_REQUEST = SchemaRegistryState.canonical(InferenceRequest.getClassSchema());
  private static final Role[] ROLES = Role.values();
  private static final Priority[] PRIORITIES = Priority.values();
  private static final BlockType[] BLOCK_TYPES = BlockType.values();
  private static final ToolChoiceMode[] TOOL_CHOICE_MODES = ToolChoiceMode.values();

  private final Topics topics;
  private final boolean copyRequestBytes;
  private final Map<Integer, Boolean> writerIsOurs = new HashMap<>();
  private final AvroBinary.Writer decision = new AvroBinary.Writer();
  private int routedSchemaId = -1;

  RequestCodec(Topics topics) {
    this.topics = topics;
    this.copyRequestBytes = !topics.config().serde().useLatestVersion();
  }

  static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /**
   * Decodes a request; fills {@code text} with where its prompt texts are when it was written with our schema (else
   * leaves it empty: the Strings are scanned). Errors are the serde's {@code SchemaSerdeException}s.
   */
  InferenceRequest decode(byte[] bytes, PromptText text) {
    text.reset(null);
    if (!REQUEST_FAST || !knownToBeOurs(bytes)) {
      // the serde reads other schemas, and names what is wrong with bytes that are not a request
      return topics.requests().deserializeValue(bytes);
    }
    try {
      return read(bytes, text);
    } catch (RuntimeException e) {
      text.reset(null);
      int id = WireFormat.schemaId(topics.requests().name(), bytes);
      throw new MalformedPayloadException("Avro payload of " + bytes.length + " bytes does not decode with schema id "
          + id + ": " + e, topics.requests().name(), id, e);
    }
  }

  /** The fields of InferenceRequest in schema order (see InferenceRequest.avsc). */
  static InferenceRequest read(byte[] bytes, PromptText text) {
    text.reset(bytes);
    AvroBinary.Reader in = new AvroBinary.Reader(bytes, WireFormat.HEADER_SIZE, bytes.length);
    String requestId = nullableString(in);
    String teamId = nullableString(in);
    String pipelineId = nullableString(in);
    String sessionId = nullableString(in);
    String taskType = nullableString(in);
    String tier = nullableString(in);
    List<Message> messages = new ArrayList<>(2);
    // The texts are scanned in any order: what the scan counts adds up, or is a set.
    for (long block = in.readBlockCount(2); block != 0; block = in.readBlockCount(2)) {
      for (long i = 0; i < block; i++) {
        Role role = ROLES[in.readEnum(ROLES.length)];
        int length = in.readStringLength();
        int offset = in.position();
        String content = in.readStringAt(offset, length);
        text.add(offset, length);
        messages.add(new Message(role, content, blocks(in, text)));
      }
    }
    String systemPrompt = null;
    if (in.readIndex(2) == 1) {
      int length = in.readStringLength();
      int offset = in.position();
      systemPrompt = in.readStringAt(offset, length);
      text.add(offset, length);
    }
    Integer maxTokens = in.readIndex(2) == 1 ? in.readInt() : null;
    Double temperature = in.readIndex(2) == 1 ? in.readDouble() : null;
    String model = in.readString();
    Priority priority = PRIORITIES[in.readEnum(PRIORITIES.length)];
    Instant deadline = in.readIndex(2) == 1 ? Instant.ofEpochMilli(in.readLong()) : null;
    Map<String, String> metadata = new HashMap<>();
    for (long block = in.readBlockCount(2); block != 0; block = in.readBlockCount(2)) {
      for (long i = 0; i < block; i++) {
        String key = in.readString();
        metadata.put(key, in.readString());
      }
    }
    Instant createdAt = in.readIndex(2) == 1 ? Instant.ofEpochMilli(in.readLong()) : null;
    List<Tool> tools = List.of();
    for (long block = in.readBlockCount(3); block != 0; block = in.readBlockCount(3)) {
      if (tools.isEmpty()) {
        tools = new ArrayList<>((int) block);
      }
      for (long i = 0; i < block; i++) {
        // a tool's definition is sent to the model with every call: scanned (and counted) as prompt text
        int length = in.readStringLength();
        int offset = in.position();
        String name = in.readStringAt(offset, length);
        text.add(offset, length);
        String description = null;
        if (in.readIndex(2) == 1) {
          length = in.readStringLength();
          offset = in.position();
          description = in.readStringAt(offset, length);
          text.add(offset, length);
        }
        length = in.readStringLength();
        offset = in.position();
        String inputSchema = in.readStringAt(offset, length);
        text.add(offset, length);
        tools.add(new Tool(name, description, inputSchema));
      }
    }
    ToolChoice toolChoice = null;
    if (in.readIndex(2) == 1) {
      ToolChoiceMode mode = TOOL_CHOICE_MODES[in.readEnum(TOOL_CHOICE_MODES.length)];
      toolChoice = new ToolChoice(mode, nullableString(in));
    }
    ResponseFormat responseFormat = null;
    if (in.readIndex(2) == 1) {
      String name = in.readString();
      int length = in.readStringLength();
      int offset = in.position();
      String schema = in.readStringAt(offset, length);
      text.add(offset, length);
      responseFormat = new ResponseFormat(name, schema);
    }
    List<String> stopSequences = List.of();
    for (long block = in.readBlockCount(1); block != 0; block = in.readBlockCount(1)) {
      if (stopSequences.isEmpty()) {
        stopSequences = new ArrayList<>((int) block);
      }
      for (long i = 0; i < block; i++) {
        stopSequences.add(in.readString());
      }
    }
    if (in.position() != bytes.length) {
      // Bytes after the record: the routed record copies the request's bytes and appends the decision, which would
      // then be misread (found by RequestRecordFuzzTest). Such a record is malformed.
      throw new IllegalArgumentException((bytes.length - in.position()) + " bytes after the end of the record");
    }
    return new InferenceRequest(requestId, teamId, pipelineId, sessionId, taskType, tier, messages, systemPrompt,
        maxTokens, temperature, model, priority, deadline, metadata, createdAt, tools, toolChoice, responseFormat,
        stopSequences);
  }

  /** A message's blocks (see ContentBlock.avsc); their texts are prompt text, an image's or document's bytes not. */
  private static List<ContentBlock> blocks(AvroBinary.Reader in, PromptText text) {
    List<ContentBlock> blocks = List.of();
    for (long block = in.readBlockCount(9); block != 0; block = in.readBlockCount(9)) {
      if (blocks.isEmpty()) {
        blocks = new ArrayList<>((int) block);
      }
      for (long i = 0; i < block; i++) {
        BlockType type = BLOCK_TYPES[in.readEnum(BLOCK_TYPES.length)];
        String blockText = null;
        if (in.readIndex(2) == 1) {
          int length = in.readStringLength();
          int offset = in.position();
          blockText = in.readStringAt(offset, length);
          text.add(offset, length);
        }
        String mediaType = nullableString(in);
        java.nio.ByteBuffer data = in.readIndex(2) == 1 ? in.readBytes() : null;
        String url = nullableString(in);
        String toolCallId = nullableString(in);
        String toolName = nullableString(in);
        String toolArguments = null;
        if (in.readIndex(2) == 1) {
          int length = in.readStringLength();
          int offset = in.position();
          toolArguments = in.readStringAt(offset, length);
          text.add(offset, length);
        }
        boolean isError = in.readBoolean();
        blocks.add(new ContentBlock(type, blockText, mediaType, data, url, toolCallId, toolName, toolArguments,
            isError));
      }
    }
    return blocks;
  }

  private static String nullableString(AvroBinary.Reader in) {
    return in.readIndex(2) == 1 ? in.readString() : null;
  }

  /** The routed record: the request's bytes as they arrived and the decision, or the serde's encoding of both. */
  byte[] encode(byte[] requestBytes, InferenceRequest request, RoutingDecision routing) {
    if (!copyRequestBytes || !writtenWithOurSchema(requestBytes)) {
      return topics.routed().serializeValue(new RoutedRequest(request, routing));
    }
    if (routedSchemaId < 0) {
      // the id the routed topic's serializer uses for RoutedRequest (registered or looked up as configured)
      routedSchemaId = WireFormat.schemaId(topics.routed().name(),
          topics.routed().serializeValue(new RoutedRequest(request, routing)));
    }
    byte[] decisionBytes = null;
    decision.reset();
    if (DECISION_FAST) {
      write(routing, decision);
    } else {
      decisionBytes = DecisionFallback.encode(routing);
    }
    int body = requestBytes.length - WireFormat.HEADER_SIZE;
    int tail = decisionBytes == null ? decision.size() : decisionBytes.length;
    byte[] out = new byte[WireFormat.HEADER_SIZE + body + tail];
    out[0] = WireFormat.MAGIC_BYTE;
    out[1] = (byte) (routedSchemaId >>> 24);
    out[2] = (byte) (routedSchemaId >>> 16);
    out[3] = (byte) (routedSchemaId >>> 8);
    out[4] = (byte) routedSchemaId;
    System.arraycopy(requestBytes, WireFormat.HEADER_SIZE, out, WireFormat.HEADER_SIZE, body);
    if (decisionBytes == null) {
      decision.copyTo(out, WireFormat.HEADER_SIZE + body);
    } else {
      System.arraycopy(decisionBytes, 0, out, WireFormat.HEADER_SIZE + body, tail);
    }
    return out;
  }

  /** The fields of RoutingDecision in schema order (see RoutingDecision.avsc). */
  static void write(RoutingDecision d, AvroBinary.Writer out) {
    out.writeString(d.getProfile());
    out.writeString(d.getProvider());
    out.writeString(d.getModel());
    out.writeString(d.getProviderModelId());
    out.writeInt(d.getMaxTokens());
    if (d.getTemperature() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeDouble(d.getTemperature());
    }
    List<ModelRef> fallbacks = d.getFallbacks();
    if (!fallbacks.isEmpty()) {
      out.writeLong(fallbacks.size());
      for (ModelRef ref : fallbacks) {
        out.writeString(ref.getModel());
        out.writeString(ref.getProvider());
        out.writeString(ref.getProviderModelId());
      }
    }
    out.writeLong(0);
    out.writeString(d.getReason());
    out.writeDouble(d.getComplexity());
    out.writeInt(d.getEstimatedInputTokens());
    out.writeInt(d.getEstimatedOutputTokens());
    out.writeLong(d.getEstimatedCostMicros());
    BudgetState state = d.getBudgetState();
    out.writeInt(state.ordinal());
    out.writeString(d.getPolicyVersion());
    out.writeLong(d.getReservedTokens());
    if (d.getDecidedAt() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeLong(d.getDecidedAt().toEpochMilli());
    }
    if (d.getLearnedModel() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeString(d.getLearnedModel());
    }
    ModelRef shadow = d.getShadow();
    if (shadow == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeString(shadow.getModel());
      out.writeString(shadow.getProvider());
      out.writeString(shadow.getProviderModelId());
    }
    if (d.getPromptCache() == null) {
      out.writeLong(0);
    } else {
      out.writeLong(1);
      out.writeString(d.getPromptCache());
    }
    out.writeBoolean(d.getCacheConversation());
    out.writeLong(d.getRateLimitWaitMs());
    out.writeBoolean(d.getBatchApi());
  }

  /** Whether the bytes carry our schema's id; false when that cannot be told (not wire format, unknown id...). */
  private boolean knownToBeOurs(byte[] bytes) {
    if (bytes.length < WireFormat.HEADER_SIZE || bytes[0] != WireFormat.MAGIC_BYTE) {
      return false;
    }
    try {
      return writtenWithOurSchema(bytes);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean writtenWithOurSchema(byte[] bytes) {
    int writerId = WireFormat.schemaId(topics.requests().name(), bytes);
    Boolean ours = writerIsOurs.get(writerId);
    if (ours == null) {
      ours = CANONICAL_REQUEST.equals(SchemaRegistryState.canonical(topics.config().client().schemaById(writerId)));
      writerIsOurs.put(writerId, ours);
    }
    return ours;
  }

  /** Avro's own writer, for a RoutingDecision schema the straight-line code does not know. */
  private static final class DecisionFallback {
    private static final org.apache.avro.specific.SpecificDatumWriter<RoutingDecision> WRITER =
        new org.apache.avro.specific.SpecificDatumWriter<>(RoutingDecision.class);

    static byte[] encode(RoutingDecision decision) {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256);
      org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(bytes, null);
      try {
        WRITER.write(decision, encoder);
        encoder.flush();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }
  }
}
