package io.modelrouter.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.router.routing.Requests;
import io.modelrouter.schemas.fuzz.WireMutations;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Generated malformed request records through the router topology ({@link WireMutations}: a valid request on the
 * Confluent wire format with its magic byte, schema id, Avro body or length changed, truncated, bloated or replaced
 * by random bytes). Each record ends in exactly one of a routed request, a REJECTED result or a DLQ record (with its
 * headers), and the router goes on.
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
    return Arbitraries.randomValue(random -> WireMutations.mutate(valid, random));
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
