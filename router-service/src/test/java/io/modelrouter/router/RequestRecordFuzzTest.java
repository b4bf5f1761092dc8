package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.router.routing.Requests;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Generated malformed request records through the router topology: a valid request on the Confluent wire format
 * with its magic byte, schema id, Avro body or length changed, truncated, bloated or replaced by random bytes. Each
 * record ends in exactly one of a routed request, a REJECTED result or a DLQ record (with its headers), and the
 * router goes on.
 */
class RequestRecordFuzzTest {
  private RouterDriver router;
  private byte[] valid;

  @BeforeProperty
  void start() {
    router = new RouterDriver("router-fuzz");
    valid = router.topics.requests().serializeValue(Requests.request("interactiveChat",
        "Explain the retry budget of the payment client in src/pay/Retry.java").setRequestId("fuzz-base").build());
  }

  @AfterProperty
  void stop() {
    router.close();
  }

  @Provide
  Arbitrary<byte[]> records() {
    return Arbitraries.randomValue(random -> mutate(valid, random));
  }

  static byte[] mutate(byte[] valid, Random random) {
    byte[] out = valid.clone();
    switch (random.nextInt(9)) {
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
      case 7 -> { // nothing at all, or one byte
        out = new byte[random.nextInt(2)];
      }
      default -> { // a deeply repeated body: many messages' worth of the same bytes
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

  @Property(tries = 300, seed = "20261206")
  void everyRecordEndsInExactlyOneOutputAndTheRouterGoesOn(@ForAll("records") byte[] record) {
    router.requests.pipeInput("team-a", record);
    long outputs = router.routed.getQueueSize() + router.results.getQueueSize() + router.dlq.getQueueSize();
    assertThat(outputs).as("outputs of one record").isEqualTo(1);
    if (!router.dlq.isEmpty()) {
      assertThat(router.dlq.readRecord().headers().lastHeader("dlq.error.message")).isNotNull();
    }
    router.routed.readRecordsToList();
    router.results.readRecordsToList();
    // and a valid request still routes
    router.send(Requests.request("interactiveChat", "hello").setRequestId("after-" + record.length).build());
    assertThat(router.routed.readRecordsToList()).hasSize(1);
  }
}
