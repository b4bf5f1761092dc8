package io.modelrouter.worker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.AttemptOutcome;
import io.modelrouter.avro.UsageEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StripedUsageJournalTest {
  @TempDir
  Path dir;

  private static UsageEvent event(String id) {
    return UsageEvent.newBuilder().setEventId(id).setRequestId(id.substring(0, id.indexOf('#'))).setTeamId("alpha")
        .setProvider("anthropic").setModel("claude-sonnet-4-5").setOutputTokens(7)
        .setOutcome(AttemptOutcome.OK).setEventTime(Instant.parse("2026-12-07T10:00:00Z")).build();
  }

  @Test
  void eventsSpreadOverTheLanesAndEveryLaneIsRecovered() throws Exception {
    // Given a run that journaled 40 events, saw the even ones acknowledged, and stopped
    StripedUsageJournal killed = StripedUsageJournal.open(dir.resolve("w1"), 4);
    List<String> ids = IntStream.range(0, 40).mapToObj(i -> "r" + i + "#1@run.1").toList();
    ids.forEach(id -> killed.sent("cluster-1", "llm.usage", event(id)));
    for (int i = 0; i < ids.size(); i += 2) {
      killed.acknowledged(ids.get(i));
    }
    killed.close();

    // Then the events went to more than one lane's files
    long lanesWithEvents = IntStream.range(0, 4).mapToObj(lane -> lane == 0 ? dir.resolve("w1")
            : dir.resolve("w1").resolve("lane-" + lane))
        .filter(lane -> {
          try (var files = Files.list(lane)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".journal") && f.toFile().length() > 0);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).count();
    assertThat(lanesWithEvents).isGreaterThan(1);

    // and the next run finds exactly the 20 never acknowledged, whichever lane holds them
    StripedUsageJournal next = StripedUsageJournal.open(dir.resolve("w1"), 4);
    List<String> expected = new ArrayList<>();
    for (int i = 1; i < ids.size(); i += 2) {
      expected.add(ids.get(i));
    }
    assertThat(next.recovered()).extracting(p -> p.event().getEventId().toString())
        .containsExactlyInAnyOrderElementsOf(expected);
    next.close();
  }

  @Test
  void aJournalOfTheSingleLaneLayoutIsReadAsLaneZero() {
    // Given the layout of the version before lanes: segments in the directory itself
    UsageJournal single = UsageJournal.open(dir.resolve("w2"));
    single.sent("cluster-1", "llm.usage", event("old#1@run.0"));
    single.close();

    // Then the striped journal recovers it
    StripedUsageJournal striped = StripedUsageJournal.open(dir.resolve("w2"));
    assertThat(striped.recovered()).extracting(p -> p.event().getEventId().toString())
        .containsExactly("old#1@run.0");
    striped.close();
  }

  @Test
  void aSecondProcessWithTheSameDirectoryRunsWithout() {
    StripedUsageJournal first = StripedUsageJournal.open(dir.resolve("w3"));
    try {
      assertThat(StripedUsageJournal.open(dir.resolve("w3"))).isNull();
    } finally {
      first.close();
    }
    // and once the first is gone, the directory opens again (no lane left locked by the refused attempt)
    StripedUsageJournal again = StripedUsageJournal.open(dir.resolve("w3"));
    assertThat(again).isNotNull();
    again.close();
  }
}
