package io.modelrouter.worker.internal;

import io.modelrouter.avro.UsageEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The usage journal in several lanes, each a {@link UsageJournal} with its own lock and segments, an event's lane
 * chosen by its id: call threads that journal at the same moment mostly take different locks. Under load on a small
 * machine one lock made every call thread wait behind the one holding it, and an operating system that deschedules
 * that holder for a few milliseconds held all of them; a kill then lost every call answered meanwhile (CrashBenchmark:
 * 58 calls answered 8-16 ms before the kill). Lane 0 is the directory itself (a journal left by an earlier version
 * is read as lane 0), lane k &gt; 0 its subdirectory {@code lane-<k>}.
 */
public final class StripedUsageJournal implements AutoCloseable {
  /** Lanes of a journal opened by {@link #open(Path)}. */
  public static final int LANES = 8;

  private final Path dir;
  private final List<UsageJournal> lanes;

  private StripedUsageJournal(Path dir, List<UsageJournal> lanes) {
    this.dir = dir;
    this.lanes = List.copyOf(lanes);
  }

  /** {@link #open(Path, int)} with {@value #LANES} lanes. */
  public static StripedUsageJournal open(Path dir) {
    return open(dir, LANES);
  }

  /**
   * Opens every lane and reads what an earlier run left in each; null when another process holds the directory
   * (as {@link UsageJournal#open}).
   */
  public static StripedUsageJournal open(Path dir, int count) {
    List<UsageJournal> lanes = new ArrayList<>(count);
    for (int lane = 0; lane < count; lane++) {
      UsageJournal journal = UsageJournal.open(lane == 0 ? dir : dir.resolve("lane-" + lane));
      if (journal == null) {
        lanes.forEach(UsageJournal::close);
        return null;
      }
      lanes.add(journal);
    }
    return new StripedUsageJournal(dir, lanes);
  }

  public Path dir() {
    return dir;
  }

  private UsageJournal lane(String eventId) {
    return lanes.get(Math.floorMod(eventId.hashCode(), lanes.size()));
  }

  /** As {@link UsageJournal#intended}, in the lane of the event it stands for. */
  public void intended(String cluster, String topic, UsageEvent estimate) {
    lane(estimate.getEventId().toString()).intended(cluster, topic, estimate);
  }

  /** As {@link UsageJournal#sent}, in the event's lane. */
  public void sent(String cluster, String topic, UsageEvent event) {
    lane(event.getEventId().toString()).sent(cluster, topic, event);
  }

  /** As {@link UsageJournal#acknowledged}, in the event's lane. */
  public void acknowledged(String eventId) {
    lane(eventId).acknowledged(eventId);
  }

  /** What an earlier run left unacknowledged, every lane's. */
  public List<UsageJournal.Pending> recovered() {
    List<UsageJournal.Pending> all = new ArrayList<>();
    lanes.forEach(lane -> all.addAll(lane.recovered()));
    return all;
  }

  public void recoveryDone() {
    lanes.forEach(UsageJournal::recoveryDone);
  }

  /** Events handed over and not acknowledged in this run, in every lane. */
  public int unacknowledged() {
    return lanes.stream().mapToInt(UsageJournal::unacknowledged).sum();
  }

  /** Calls in flight: intents of this run whose event is not journaled yet, in every lane. */
  public int inFlight() {
    return lanes.stream().mapToInt(UsageJournal::inFlight).sum();
  }

  @Override
  public void close() {
    lanes.forEach(UsageJournal::close);
  }

  @Override
  public String toString() {
    return "usage journal " + dir + " (" + lanes.size() + " lanes)";
  }
}
