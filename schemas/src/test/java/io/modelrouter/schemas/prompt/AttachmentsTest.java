package io.modelrouter.schemas.prompt;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.BlockType;
import io.modelrouter.avro.ContentBlock;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class AttachmentsTest {

  private static ByteBuffer image(String format, int width, int height) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), format, out);
    return ByteBuffer.wrap(out.toByteArray());
  }

  @Test
  void readsTheSizeOfPngGifAndJpegImagesWrittenByImageIo() throws Exception {
    assertThat(Attachments.imageSize(image("png", 640, 480))).containsExactly(640, 480);
    assertThat(Attachments.imageSize(image("gif", 33, 17))).containsExactly(33, 17);
    assertThat(Attachments.imageSize(image("jpeg", 1024, 768))).containsExactly(1024, 768);
  }

  @Test
  void readsTheSizeOfALosslessWebpFromItsHeader() {
    // RIFF <size> WEBP VP8L <chunk size> 0x2f, then width-1 and height-1 in 14 bits each (the WebP container spec)
    ByteBuffer webp = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
    webp.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(32).put("WEBP".getBytes(StandardCharsets.US_ASCII))
        .put("VP8L".getBytes(StandardCharsets.US_ASCII)).putInt(20).put((byte) 0x2f).putInt(299 | 199 << 14);
    assertThat(Attachments.imageSize(webp.flip())).containsExactly(300, 200);
  }

  @Test
  void somethingThatIsNotAnImageHasNoSize() {
    assertThat(Attachments.imageSize(ByteBuffer.wrap("hello, not an image".getBytes(StandardCharsets.UTF_8))))
        .isNull();
    assertThat(Attachments.imageSize(ByteBuffer.wrap(new byte[] {(byte) 0x89, 'P', 'N', 'G'}))).isNull();
  }

  @Test
  void imageTokensFollowAnthropicsFormulaAfterItsScaling() {
    // 1000 x 500 = 500,000 px / 750 = 666.7
    assertThat(Attachments.imageTokens(1000, 500)).isEqualTo(667);
    // Anthropic's table: 1092 x 1092 is about 1,590 tokens
    assertThat(Attachments.imageTokens(1092, 1092)).isBetween(1_580, 1_600);
    // a 4000 x 3000 photo is scaled down first, and costs the maximum at most
    assertThat(Attachments.imageTokens(4000, 3000)).isLessThanOrEqualTo(Attachments.MAX_IMAGE_TOKENS);
  }

  @Test
  void anImageGivenByUrlOrUnreadableCountsAsTheMaximum() throws Exception {
    ContentBlock byUrl = ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/png")
        .setUrl("https://example.com/a.png").build();
    ContentBlock png = ContentBlock.newBuilder().setType(BlockType.IMAGE).setMediaType("image/png")
        .setData(image("png", 200, 150)).build();
    assertThat(Attachments.tokens(byUrl)).isEqualTo(Attachments.MAX_IMAGE_TOKENS);
    assertThat(Attachments.tokens(png)).isEqualTo(40); // 30,000 px / 750
  }

  @Test
  void aPdfCountsItsPageObjectsNotItsPageTree() {
    String pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        + "2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
        + "3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n4 0 obj << /Type/Page /Parent 2 0 R >> endobj\n"
        + "5 0 obj << /Type\n/Page /Parent 2 0 R >> endobj\n%%EOF";
    ContentBlock block = ContentBlock.newBuilder().setType(BlockType.DOCUMENT).setMediaType("application/pdf")
        .setData(ByteBuffer.wrap(pdf.getBytes(StandardCharsets.US_ASCII))).build();
    assertThat(Attachments.tokens(block)).isEqualTo(3 * Attachments.TOKENS_PER_PDF_PAGE);
  }

  @Test
  void textBlocksAndToolCallsHaveNoAttachmentTokens() {
    assertThat(Attachments.tokens(ContentBlock.newBuilder().setType(BlockType.TEXT).setText("hello").build()))
        .isZero();
  }
}
