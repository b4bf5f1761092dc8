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
}
