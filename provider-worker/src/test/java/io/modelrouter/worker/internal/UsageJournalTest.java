package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.UsageEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageJournalTest {
  @TempDir
  Path dir;

  private static UsageEvent event(String id, long outputTokens) {
    return UsageEvent.newBuilder().setEventId(id).setRequestId(id.substring(0, id.indexOf('#'))).setTeamId("alpha")
        .setProvider("anthropic").setModel("claude-sonnet-4-5").setOutputTokens(outputTokens)
        .setOutcome(AttemptOutcome.OK).setEventTime(Instant.parse("2026-12-06T10:00:00Z")).build();
  }

  @Test
  void eventsHandedOverButNeverAcknowledgedAreFoundByTheNextRunAsTheyWere() {
    // Given: a run that acknowledged one of three events and was killed (nothing closed)
    UsageJournal killed = UsageJournal.open(dir.resolve("w1"));
    killed.sent("cluster-1", "llm.usage", event("r1#1@a.1", 10));
    killed.sent("cluster-1", "llm.usage", event("r2#1@a.2", 20));
    killed.sent("cluster-1", "llm.usage", event("r3#1@a.3", 30));
    killed.acknowledged("r2#1@a.2");
    killed.close(); // releases the lock as the process's death would; writes nothing more

    // When
    UsageJournal next = UsageJournal.open(dir.resolve("w1"));

    // Then
    assertThat(next.recovered()).extracting(p -> p.event().getEventId().toString())
        .containsExactly("r1#1@a.1", "r3#1@a.3");
    assertThat(next.recovered().get(1).event().getOutputTokens()).isEqualTo(30);
    assertThat(next.recovered().get(1).cluster()).isEqualTo("cluster-1");
    assertThat(next.recovered().get(1).topic()).isEqualTo("llm.usage");
  }

  private static UsageEvent intent(String id) {
    return UsageEvent.newBuilder(event(id, 0)).setInputTokens(120).setEstimated(true)
        .setOutcome(AttemptOutcome.UNKNOWN).build();
  }

  @Test
  void aCallsIntentStandsForItsEventUntilTheEventIsJournaled() {
    // Given a run killed with three calls made: one in flight (intent only), one answered and handed over (intent,
    // then its event), one answered and acknowledged
    UsageJournal killed = UsageJournal.open(dir.resolve("w1"));
    killed.intended("c", "llm.usage", intent("r1#1@a.1"));
    killed.intended("c", "llm.usage", intent("r2#1@a.2"));
    killed.sent("c", "llm.usage", event("r2#1@a.2", 20));
    killed.intended("c", "llm.usage", intent("r3#1@a.3"));
    killed.sent("c", "llm.usage", event("r3#1@a.3", 30));
    killed.acknowledged("r3#1@a.3");
    killed.flushAcknowledgements();
    int inFlight = killed.inFlight();
    killed.close();

    // When
    UsageJournal next = UsageJournal.open(dir.resolve("w1"));

    // Then the call in flight is found as its estimate, the answered one as its own event, the acknowledged one not
    assertThat(inFlight).isEqualTo(1);
    assertThat(next.recovered()).hasSize(2);
    assertThat(next.recovered().get(0)).satisfies(p -> {
      assertThat(p.event().getEventId()).isEqualTo("r1#1@a.1");
      assertThat(p.inFlight()).isTrue();
      assertThat(p.event().getEstimated()).isTrue();
      assertThat(p.event().getInputTokens()).isEqualTo(120);
    });
    assertThat(next.recovered().get(1)).satisfies(p -> {
      assertThat(p.event().getEventId()).isEqualTo("r2#1@a.2");
      assertThat(p.inFlight()).isFalse();
      assertThat(p.event().getOutputTokens()).isEqualTo(20);
      assertThat(p.event().getOutcome()).isEqualTo(AttemptOutcome.OK);
    });
    next.close();
  }

  @Test
  void aSegmentHoldingAnIntentIsKeptUntilItsCallsEventIsJournaledElsewhere() {
    // Given an intent in the first segment, and enough acknowledged events after it to fill several more
    UsageJournal journal = UsageJournal.open(dir.resolve("w1"));
    String padding = "x".repeat(4_000);
    journal.intended("c", "llm.usage", intent("slow#1@a.0"));
    for (int i = 1; i <= 6_000; i++) {
      String id = "r" + i + padding + "#1@a." + i;
      journal.sent("c", "llm.usage", event(id, i));
      journal.acknowledged(id);
    }
    journal.flushAcknowledgements();
    int whileInFlight = journal.files().size();

    // When the slow call's event is journaled, and acknowledged
    journal.sent("c", "llm.usage", event("slow#1@a.0", 7));
    journal.acknowledged("slow#1@a.0");
    journal.flushAcknowledgements();

    // Then the intent held every segment after it; once its event stood for it and was acknowledged, one is left
    assertThat(whileInFlight).isGreaterThan(2);
    assertThat(journal.files()).hasSize(1);
    assertThat(journal.inFlight()).isZero();
    assertThat(journal.unacknowledged()).isZero();
  }

  @Test
  void aWriterInterruptedMidWriteDoesNotBreakTheJournalForEveryoneAfter() throws Exception {
    // Given: a call thread interrupted while it journals (its FileChannel write closes the channel)
    UsageJournal journal = UsageJournal.open(dir.resolve("w1"));
    journal.sent("cluster-1", "llm.usage", event("r1#1@a.1", 10));
    Thread interrupted = new Thread(() -> {
      Thread.currentThread().interrupt();
      journal.sent("cluster-1", "llm.usage", event("r2#1@a.2", 20));
      // its interrupt is kept for the code that follows
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    });
    interrupted.start();
    interrupted.join();

    // When other threads journal after it
    journal.sent("cluster-1", "llm.usage", event("r3#1@a.3", 30));
    journal.acknowledged("r1#1@a.1");
    journal.flushAcknowledgements();
    journal.close();

    // Then nothing was lost: the next run finds the unacknowledged events, the interrupted one among them
    assertThat(UsageJournal.open(dir.resolve("w1")).recovered()).extracting(p -> p.event().getEventId().toString())
        .containsExactly("r2#1@a.2", "r3#1@a.3");
  }

  @Test
  void aRecordCutByTheKillEndsTheReadingAndWhatCameBeforeIsKept() throws IOException {
    // Given: two events, then half a record, as a kill in the middle of a write leaves it
    UsageJournal killed = UsageJournal.open(dir.resolve("w1"));
    killed.sent("c", "llm.usage", event("r1#1@a.1", 10));
    killed.sent("c", "llm.usage", event("r2#1@a.2", 20));
    killed.close();
    Path segment = killed.files().getLast();
    Files.write(segment, new byte[] {'S', 0, 0, 1, 0, 42, 42}, StandardOpenOption.APPEND);

    // When
    UsageJournal next = UsageJournal.open(dir.resolve("w1"));

    // Then
    assertThat(next.recovered()).extracting(p -> p.event().getEventId().toString())
        .containsExactly("r1#1@a.1", "r2#1@a.2");
  }

  @Test
  void recoveryDoneDropsThePreviousRunsSegmentsAndANewRunStartsEmpty() {
    // Given
    UsageJournal killed = UsageJournal.open(dir.resolve("w1"));
    killed.sent("c", "llm.usage", event("r1#1@a.1", 10));
    killed.close();
    UsageJournal next = UsageJournal.open(dir.resolve("w1"));

    // When
    next.recoveryDone();
    next.close();

    // Then
    assertThat(UsageJournal.open(dir.resolve("w1")).recovered()).isEmpty();
  }

  @Test
  void fullyAcknowledgedSegmentsAreDeletedOldestFirst() {
    // Given: enough events to fill several segments, all acknowledged but the very first
    UsageJournal journal = UsageJournal.open(dir.resolve("w1"));
    String padding = "x".repeat(4_000);
    journal.sent("c", "llm.usage", event("first#1@a.0", 1));
    for (int i = 1; i <= 6_000; i++) {
      String id = "r" + i + padding + "#1@a." + i;
      journal.sent("c", "llm.usage", event(id, i));
      journal.acknowledged(id);
    }
    journal.flushAcknowledgements();
    int whileFirstOpen = journal.files().size();

    // When
    journal.acknowledged("first#1@a.0");
    journal.sent("c", "llm.usage", event("last#1@a.9", 1));
    journal.acknowledged("last#1@a.9");
    journal.flushAcknowledgements();

    // Then: the first segment held every later one back; once it is done, only the current one stays
    assertThat(whileFirstOpen).isGreaterThan(2);
    assertThat(journal.files()).hasSize(1);
    assertThat(journal.unacknowledged()).isZero();
  }

  @Test
  void aSecondWorkerWithTheSameInstanceIdRunsWithoutAJournal() {
    // Given
    UsageJournal first = UsageJournal.open(dir.resolve("w1"));

    // When
    UsageJournal second = UsageJournal.open(dir.resolve("w1"));

    // Then
    assertThat(first).isNotNull();
    assertThat(second).isNull();
  }

  @Test
  void aJournalWrittenByThePreviousVersionIsReadAfterAnUpgradeAndWhatNoVersionKnowsIsKeptAside() throws Exception {
    // Given: a segment the worker of 2026-12-06 wrote (its UsageEvent schema, before the cache fields), and a record
    // whose schema no version keeps
    org.apache.avro.Schema old;
    try (java.io.InputStream in = getClass().getResourceAsStream("/usage-journal/UsageEvent-2026-12-06.avsc")) {
      old = new org.apache.avro.Schema.Parser().parse(in);
    }
    org.apache.avro.generic.GenericRecord event = new org.apache.avro.generic.GenericData.Record(old);
    event.put("eventId", "r9#1@old.1");
    event.put("requestId", "r9");
    event.put("teamId", "alpha");
    event.put("provider", "anthropic");
    event.put("model", "claude-sonnet-4-5");
    event.put("inputTokens", 120L);
    event.put("outputTokens", 30L);
    event.put("cachedInputTokens", 0L);
    event.put("estimated", false);
    event.put("costMicros", 810L);
    event.put("creditsMicros", 0L);
    event.put("latencyMs", 5L);
    event.put("outcome", new org.apache.avro.generic.GenericData.EnumSymbol(old.getField("outcome").schema(), "OK"));
    event.put("finalCall", true);
    event.put("simulated", false);
    event.put("shadow", false);
    event.put("eventTime", 1_765_000_000_000L);
    java.nio.ByteBuffer encoded = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
        org.apache.avro.generic.GenericData.get(), old).encode(event);
    java.nio.ByteBuffer unknown = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
        org.apache.avro.generic.GenericData.get(), org.apache.avro.SchemaBuilder.record("Other").fields()
            .requiredString("x").endRecord()).encode(new org.apache.avro.generic.GenericRecordBuilder(
                org.apache.avro.SchemaBuilder.record("Other").fields().requiredString("x").endRecord())
            .set("x", "y").build());
    Path w1 = Files.createDirectories(dir.resolve("w1"));
    Files.write(w1.resolve("usage-000000000001.journal"), concat(sentRecord("c", "llm.usage", unknown),
        sentRecord("c", "llm.usage", encoded)));

    // When today's worker opens it
    UsageJournal next = UsageJournal.open(w1);

    // Then the old event is replayed, its new fields at their defaults, and the unreadable one is kept aside
    assertThat(next.recovered()).singleElement().satisfies(p -> {
      assertThat(p.event().getEventId()).isEqualTo("r9#1@old.1");
      assertThat(p.event().getCostMicros()).isEqualTo(810);
      assertThat(p.event().getCacheWriteTokens()).isZero();
    });
    assertThat(w1.resolve("usage-000000000001.journal.unreadable")).exists();
    next.close();
  }

  /** A SENT record as the journal writes one: type, length, payload (cluster, topic, event), CRC32 of the payload. */
  private static byte[] sentRecord(String cluster, String topic, java.nio.ByteBuffer event) {
    byte[] c = cluster.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] t = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.ByteBuffer payload = java.nio.ByteBuffer.allocate(8 + c.length + t.length + event.remaining());
    payload.putInt(c.length).put(c).putInt(t.length).put(t).put(event.duplicate());
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(payload.array());
    return java.nio.ByteBuffer.allocate(9 + payload.capacity()).put((byte) 'S').putInt(payload.capacity())
        .put(payload.array()).putInt((int) crc.getValue()).array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
