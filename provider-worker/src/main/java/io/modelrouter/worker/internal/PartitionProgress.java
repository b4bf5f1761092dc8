package io.modelrouter.worker.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * What the worker knows about one input partition: the records it received (in offset order) and whether each is in
 * flight, finished with its outputs waiting for the next transaction, or committed (its outputs are in a committed
 * transaction). Records finish out of order, so a transaction commits the offset after the leading run of
 * committed records and lists the committed records above it in the offset metadata ({@link CompletedOffsets});
 * after a restart or a rebalance the new owner skips exactly those. Offsets need not be contiguous (transaction
 * markers take offsets). Used by the worker's poll thread only.
 */
final class PartitionProgress {
  enum State { IN_FLIGHT, FINISHED, COMMITTED }

  private static final class Entry {
    final long offset;
    State state = State.IN_FLIGHT;
    List<Object> outputs = List.of();

    Entry(long offset) {
      this.offset = offset;
    }
  }

  /** What one transaction would commit for this partition. */
  record Plan(long commitOffset, String metadata, List<Long> offsets, List<Object> outputs) {}

  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private final Map<Long, Entry> byOffset = new HashMap<>();
  /** Offsets at or above {@link #committedOffset} whose results were committed before this worker owned them. */
  private final NavigableSet<Long> doneBefore;
  private long committedOffset;
  private int inFlight;
  private int finished;

  /**
   * @param committedOffset the group's committed offset (-1 if none yet)
   * @param doneBefore offsets above it that already have results (from the committed metadata)
   */
  PartitionProgress(long committedOffset, NavigableSet<Long> doneBefore) {
    this.committedOffset = committedOffset;
    this.doneBefore = new TreeSet<>(doneBefore);
  }

  /** Whether a received record already has a committed result (a previous owner's), so must not be processed. */
  boolean alreadyDone(long offset) {
    return (committedOffset >= 0 && offset < committedOffset) || doneBefore.contains(offset);
  }

  /** A record that already had a result: it counts as committed without being processed again. */
  void skipped(long offset) {
    Entry entry = new Entry(offset);
    entry.state = State.COMMITTED;
    add(entry);
  }

  void started(long offset) {
    add(new Entry(offset));
    inFlight++;
  }

  private void add(Entry entry) {
    entries.addLast(entry);
    byOffset.put(entry.offset, entry);
  }

  /** A record is done; its outputs (records to produce) wait for the next transaction. */
  void finished(long offset, List<Object> outputs) {
    Entry entry = byOffset.get(offset);
    if (entry == null || entry.state != State.IN_FLIGHT) {
      throw new IllegalStateException("offset " + offset + " finished but was not in flight");
    }
    entry.state = State.FINISHED;
    entry.outputs = outputs;
    inFlight--;
    finished++;
  }

  int inFlight() {
    return inFlight;
  }

  boolean hasFinished() {
    return finished > 0;
  }

  /**
   * The next transaction's share: every finished record whose outputs can go now, and the offset and metadata to
   * commit with them. If the metadata would exceed {@code maxMetadataChars}, the highest finished records wait
   * (their outputs stay pending) until the leading run catches up; already committed records always fit, because
   * they fitted in the previous commit.
   */
  Plan plan(int maxMetadataChars) {
    long cutoff = Long.MAX_VALUE;
    // No committed offset yet: the first record received is where this partition starts.
    long base = committedOffset >= 0 || entries.isEmpty() ? committedOffset : entries.peekFirst().offset;
    while (true) {
      long commit = base;
      boolean leading = true;
      List<Long> above = new ArrayList<>();
      List<Long> offsets = new ArrayList<>();
      List<Object> outputs = new ArrayList<>();
      long highestCandidate = -1;
      for (Entry entry : entries) {
        boolean candidate = entry.state == State.FINISHED && entry.offset <= cutoff;
        if (candidate) {
          offsets.add(entry.offset);
          outputs.addAll(entry.outputs);
          highestCandidate = entry.offset;
        }
        boolean done = candidate || entry.state == State.COMMITTED;
        if (leading && done) {
          commit = entry.offset + 1;
        } else {
          leading = false;
          if (done) {
            above.add(entry.offset);
          }
        }
      }
      for (long offset : doneBefore.tailSet(commit, true)) {
        above.add(offset);
      }
      String metadata = CompletedOffsets.encode(commit, above);
      if (metadata.length() <= maxMetadataChars || offsets.isEmpty()) {
        return new Plan(commit, metadata, offsets, outputs);
      }
      // Too many completed records above the leading run: hold back the highest one and try again.
      cutoff = highestCandidate - 1;
    }
  }

  /** The plan's transaction committed: its records are committed, and the leading run is released. */
  void committed(Plan plan) {
    for (long offset : plan.offsets()) {
      Entry entry = byOffset.get(offset);
      entry.state = State.COMMITTED;
      entry.outputs = List.of();
      finished--;
    }
    committedOffset = plan.commitOffset();
    Iterator<Entry> it = entries.iterator();
    while (it.hasNext()) {
      Entry entry = it.next();
      if (entry.state != State.COMMITTED || entry.offset >= committedOffset) {
        break;
      }
      it.remove();
      byOffset.remove(entry.offset);
    }
    doneBefore.headSet(committedOffset).clear();
  }

  long committedOffset() {
    return committedOffset;
  }

  /** Offsets of records still in flight, for logs when a partition is given up. */
  List<Long> inFlightOffsets() {
    return entries.stream().filter(e -> e.state == State.IN_FLIGHT).map(e -> e.offset).toList();
  }
}
