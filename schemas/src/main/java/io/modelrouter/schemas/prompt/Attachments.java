package io.modelrouter.schemas.prompt;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import io.modelrouter.avro.Message;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Estimated input tokens of a request's images and documents, for budgets and context checks before any provider
 * has counted them. Images: Anthropic's published formula, {@code width × height / 750}, after scaling the image to
 * fit its limits (long edge 1,568 px, about 1.2 megapixels: its table gives 1,092 × 1,092 px for 1:1), so at most about 1,600 tokens; an image whose size
 * cannot be read from its header (a URL, or a format not recognised) counts as that maximum. PDFs: each page costs
 * its text and an image of the page (Anthropic: 1,500 to 3,000 tokens a page), counted as 2,500 a page, the pages
 * counted as the page objects in the file or one per 100 KB, whichever is more. Plain-text documents: their text's
 * estimate. The size of an image is read from its header by a few lines of ours (PNG, GIF, JPEG, WebP): ImageIO does
 * not read WebP and costs a service lookup per image.
 */
public final class Attachments {
  /** The most an image costs, and what one of unknown size is counted as. */
  public static final int MAX_IMAGE_TOKENS = 1_600;
  static final int TOKENS_PER_PDF_PAGE = 2_500;
  private static final int LONG_EDGE = 1_568;
  private static final double MAX_PIXELS = 1_200_000;
  private static final byte[] PAGE = "/Type".getBytes(StandardCharsets.US_ASCII);

  private Attachments() {}

  /** The estimated tokens of every image and document in the messages. */
  public static int tokens(List<Message> messages) {
    long total = 0;
    for (Message message : messages) {
      if (message == null || message.getBlocks() == null) {
        continue;
      }
      for (ContentBlock block : message.getBlocks()) {
        total += tokens(block);
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, total);
  }

  /** The estimated tokens of one block's attachment; 0 for a block without one (text, tool call, tool result). */
  public static int tokens(ContentBlock block) {
    if (block == null) {
      return 0;
    }
    if (block.getType() == BlockType.IMAGE) {
      int[] size = block.getData() == null ? null : imageSize(block.getData());
      return size == null ? MAX_IMAGE_TOKENS : imageTokens(size[0], size[1]);
    }
    if (block.getType() == BlockType.DOCUMENT) {
      if ("text/plain".equals(block.getMediaType()) && block.getData() != null) {
        ByteBuffer data = block.getData().duplicate();
        byte[] text = new byte[data.remaining()];
        data.get(text);
        return new TokenEstimator().estimate(new String(text, StandardCharsets.UTF_8));
      }
      return pdfPages(block.getData()) * TOKENS_PER_PDF_PAGE;
    }
    return 0;
  }

  /** Anthropic's image tokens for an image of this size, after the API's own scaling. */
  static int imageTokens(int width, int height) {
    double w = width;
    double h = height;
    double edge = Math.max(w, h);
    if (edge > LONG_EDGE) {
      w = w * LONG_EDGE / edge;
      h = h * LONG_EDGE / edge;
    }
    if (w * h > MAX_PIXELS) {
      double scale = Math.sqrt(MAX_PIXELS / (w * h));
      w *= scale;
      h *= scale;
    }
    return (int) Math.max(1, Math.min(MAX_IMAGE_TOKENS, Math.ceil(w * h / 750)));
  }

  /** The pages of a PDF: its page objects, or one per 100 KB when more (page objects in compressed streams). */
  static int pdfPages(ByteBuffer data) {
    if (data == null) {
      return 1; // a URL: one page at least; the provider's count is billed
    }
    ByteBuffer bytes = data.duplicate();
    int start = bytes.position();
    int end = bytes.limit();
    int pages = 0;
    for (int i = start; i + PAGE.length < end; i++) {
      if (bytes.get(i) != '/' || !matches(bytes, i, PAGE)) {
        continue;
      }
      int j = i + PAGE.length;
      while (j < end && (bytes.get(j) == ' ' || bytes.get(j) == '\r' || bytes.get(j) == '\n')) {
        j++;
      }
      // "/Type /Page" but not "/Type /Pages"
      if (j + 5 <= end && bytes.get(j) == '/' && bytes.get(j + 1) == 'P' && bytes.get(j + 2) == 'a'
          && bytes.get(j + 3) == 'g' && bytes.get(j + 4) == 'e' && (j + 5 == end || bytes.get(j + 5) != 's')) {
        pages++;
      }
    }
    return Math.max(Math.max(1, pages), (end - start + 99_999) / 100_000);
  }

  private static boolean matches(ByteBuffer bytes, int at, byte[] word) {
    for (int k = 0; k < word.length; k++) {
      if (bytes.get(at + k) != word[k]) {
        return false;
      }
    }
    return true;
  }

  /** Width and height from a PNG, GIF, JPEG or WebP header; null when not one of those or cut short. */
  public static int[] imageSize(ByteBuffer data) {
    ByteBuffer b = data.duplicate();
    int p = b.position();
    int n = b.remaining();
    try {
      if (n >= 24 && u8(b, p) == 0x89 && u8(b, p + 1) == 'P' && u8(b, p + 2) == 'N' && u8(b, p + 3) == 'G') {
        return new int[] {be32(b, p + 16), be32(b, p + 20)};
      }
      if (n >= 10 && u8(b, p) == 'G' && u8(b, p + 1) == 'I' && u8(b, p + 2) == 'F') {
        return new int[] {u8(b, p + 6) | u8(b, p + 7) << 8, u8(b, p + 8) | u8(b, p + 9) << 8};
      }
      if (n >= 4 && u8(b, p) == 0xFF && u8(b, p + 1) == 0xD8) {
        return jpegSize(b, p, p + n);
      }
      if (n >= 16 && u8(b, p) == 'R' && u8(b, p + 1) == 'I' && u8(b, p + 8) == 'W' && u8(b, p + 9) == 'E') {
        return webpSize(b, p);
      }
    } catch (IndexOutOfBoundsException e) {
      return null;
    }
    return null;
  }

  private static int[] jpegSize(ByteBuffer b, int p, int end) {
    int i = p + 2;
    while (i + 9 < end) {
      if (u8(b, i) != 0xFF) {
        return null;
      }
      int marker = u8(b, i + 1);
      if (marker == 0xFF) {
        i++;
        continue;
      }
      int length = u8(b, i + 2) << 8 | u8(b, i + 3);
      // start-of-frame markers carry the size: C0-CF but not C4 (DHT), C8 (JPG) or CC (DAC)
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
        int height = u8(b, i + 5) << 8 | u8(b, i + 6);
        int width = u8(b, i + 7) << 8 | u8(b, i + 8);
        return new int[] {width, height};
      }
      if (length < 2) {
        return null;
      }
      i += 2 + length;
    }
    return null;
  }

  private static int[] webpSize(ByteBuffer b, int p) {
    int chunk = p + 12;
    if (u8(b, chunk) == 'V' && u8(b, chunk + 1) == 'P' && u8(b, chunk + 2) == '8') {
      int kind = u8(b, chunk + 3);
      if (kind == ' ') { // lossy: 14-bit sizes after the frame tag and start code
        return new int[] {le16(b, chunk + 14) & 0x3FFF, le16(b, chunk + 16) & 0x3FFF};
      }
      if (kind == 'L') { // lossless: 14-bit width-1 and height-1 packed after the signature byte
        int bits = u8(b, chunk + 9) | u8(b, chunk + 10) << 8 | u8(b, chunk + 11) << 16 | u8(b, chunk + 12) << 24;
        return new int[] {(bits & 0x3FFF) + 1, ((bits >>> 14) & 0x3FFF) + 1};
      }
      if (kind == 'X') { // extended: 24-bit canvas width-1 and height-1
        return new int[] {(u8(b, chunk + 12) | u8(b, chunk + 13) << 8 | u8(b, chunk + 14) << 16) + 1,
            (u8(b, chunk + 15) | u8(b, chunk + 16) << 8 | u8(b, chunk + 17) << 16) + 1};
      }
    }
    return null;
  }

  private static int u8(ByteBuffer b, int i) {
    return b.get(i) & 0xFF;
  }

  private static int be32(ByteBuffer b, int i) {
    return u8(b, i) << 24 | u8(b, i + 1) << 16 | u8(b, i + 2) << 8 | u8(b, i + 3);
  }

  private static int le16(ByteBuffer b, int i) {
    return u8(b, i) | u8(b, i + 1) << 8;
  }
}
