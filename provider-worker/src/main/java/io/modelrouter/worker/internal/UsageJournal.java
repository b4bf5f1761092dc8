package io.modelrouter.worker.internal;

import io.modelrouter.avro.UsageEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.apache.avro.message.BinaryMessageDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's write-ahead record of its usage events: each event is appended to a local file before it is handed to
 * the usage producer, and marked once the broker acknowledged it. A worker killed between a provider's answer and
 * the broker's acknowledgement (its producer's buffer dies with it) finds the event here at its next start, and
 * {@link UsageWriter#recover} writes it to {@code llm.usage} unless it is already there (same event id). So a call the
 * provider answered is billed even when the worker dies milliseconds later.
 *
 * <p>Before each provider call, the call's intent is journaled too: an estimated event under the id the call's real
 * event will have (its estimated input tokens, outcome UNKNOWN). A worker killed during the call, or between the
 * provider's answer and the real event's journal write, finds the intent without an event and writes the estimate:
 * a call that may have been billed is never left out, and it is marked {@code estimated}.
 *
 * <p>Files {@code usage-<n>.journal} in one directory per worker instance (locked against a second process). Each
 * record is a type byte ({@code I}: a call's intent, {@code S}: an event handed over, {@code A}: an event
 * acknowledged), the payload's length, the payload and its CRC32; a record cut by the kill fails its length or CRC
 * and ends the file's reading. A version older than the intent records stops reading a file at the first {@code I}
 * (as at a cut record): going back to it over a journal this one wrote may leave that file's later events out. The
 * payload of {@code I} and {@code S} is the Kafka cluster id, the topic and the event (Avro single-object encoding, independent of
 * the schema registry); events of another cluster or topic are not replayed (a test's or benchmark's journal left
 * from a different broker). Each write goes straight to the file (the operating system's page cache: it survives the
 * process, not the machine). A segment is deleted once every event in it is acknowledged and a newer one is in use.
 */
public final class UsageJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UsageJournal.class);
  private static final byte INTENT = 'I';
  private static final byte SENT = 'S';
  private static final byte ACKED = 'A';
  /** A new segment starts past this size. */
  static final long SEGMENT_BYTES = 8L * 1024 * 1024;

  /**
   * An event the journal holds without an acknowledgement.
   *
   * @param inFlight the event is a call's intent (an estimate): the run ended before the call's own event was journaled
   */
  public record Pending(String cluster, String topic, UsageEvent event, boolean inFlight) {}

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final TreeMap<Long, Integer> outstanding = new TreeMap<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<String> acknowledgements =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final Map<String, Long> segmentOf = new HashMap<>();
  /** Intents whose call's event is not journaled yet, by event id: the segment each is in. */
  private final Map<String, Long> intentIn = new HashMap<>();
  private final List<Pending> recovered;
  private final List<Path> recoveredFiles;
  private long segment;
  /** The oldest segment of this run still on disk: segments are deleted oldest first. */
  private long oldestOnDisk;
  private FileChannel current;
  private long currentBytes;
  private boolean closed;

  private UsageJournal(Path dir, FileChannel lockChannel, FileLock lock) throws IOException {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    Map<String, Pending> unacknowledged = new LinkedHashMap<>();
    List<Path> files = segments(dir);
    long last = 0;
    for (Path file : files) {
      last = Math.max(last, number(file));
      read(file, unacknowledged);
    }
    this.recovered = List.copyOf(unacknowledged.values());
    this.recoveredFiles = files;
    this.segment = last;
    roll();
    this.oldestOnDisk = segment;
  }

  /**
   * Opens the journal in {@code dir} (created if needed) and reads what an earlier run left; null when another
   * process holds the directory (a second worker with the same instance id: it then runs without a journal).
   */
  public static UsageJournal open(Path dir) {
    try {
      Files.createDirectories(dir);
      FileChannel lockChannel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        lockChannel.close();
        LOG.warn("usage journal {} is in use by another worker with the same instance id: this one runs without a"
            + " usage journal (give each worker its own worker.instance.id)", dir);
        return null;
      }
      return new UsageJournal(dir, lockChannel, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the usage journal in " + dir + " (worker.usage.journal.dir)", e);
    }
  }

  public Path dir() {
    return dir;
  }

  /**
   * Events an earlier run handed over and never saw acknowledged, and the intents of its calls that have no event
   * (as estimates, {@link Pending#inFlight}), in the order it wrote them.
   */
  public List<Pending> recovered() {
    return recovered;
  }

  /** Deletes the earlier run's segments, once their events are reconciled. */
  public synchronized void recoveryDone() {
    for (Path file : recoveredFiles) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.warn("could not delete the reconciled usage journal segment {}: {}", file, e.toString());
      }
    }
  }

  /**
   * Before a provider call: its intent, an estimated event under the id its real event will have, which the next
   * start writes if this run journals no event under that id (the worker died during the call or just after it).
   */
  public void intended(String cluster, String topic, UsageEvent estimate) {
    byte[] record = record(INTENT, payload(cluster, topic, estimate));
    synchronized (this) {
      if (closed) {
        return;
      }
      write(withAcknowledgements(record));
      outstanding.merge(segment, 1, Integer::sum);
      intentIn.put(estimate.getEventId().toString(), segment);
      afterWrite();
    }
  }

  /**
   * Before the event is handed to the producer: one write of its record (and of the acknowledgements that arrived
   * since the last one). Encoding happens before the lock, so call threads hold it only for the write.
   */
  public void sent(String cluster, String topic, UsageEvent event) {
    byte[] record = record(SENT, payload(cluster, topic, event));
    synchronized (this) {
      if (closed) {
        return; // an in-process crash's threads after the crash (a killed process has none)
      }
      write(withAcknowledgements(record));
      String id = event.getEventId().toString();
      outstanding.merge(segment, 1, Integer::sum);
      segmentOf.put(id, segment);
      Long intent = intentIn.remove(id);
      if (intent != null) {
        release(intent); // the event stands for its intent from now on
      }
      afterWrite();
    }
  }

  private static byte[] payload(String cluster, String topic, UsageEvent event) {
    byte[] encoded;
    try {
      ByteBuffer buffer = event.toByteBuffer();
      encoded = new byte[buffer.remaining()];
      buffer.get(encoded);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] clusterBytes = cluster.getBytes(StandardCharsets.UTF_8);
    byte[] topicBytes = topic.getBytes(StandardCharsets.UTF_8);
    ByteBuffer payload = ByteBuffer.allocate(8 + clusterBytes.length + topicBytes.length + encoded.length);
    payload.putInt(clusterBytes.length).put(clusterBytes).putInt(topicBytes.length).put(topicBytes).put(encoded);
    return payload.array();
  }

  private void release(long segmentNumber) {
    if (outstanding.merge(segmentNumber, -1, Integer::sum) <= 0) {
      outstanding.remove(segmentNumber);
    }
  }

  /**
   * Once the broker acknowledged the event: queued without a lock (the producer's network thread calls it), written
   * with the next event or at {@link #flushAcknowledgements}. An acknowledgement a kill loses only makes the next
   * start look the event up on the topic, where it finds it.
   */
  public void acknowledged(String eventId) {
    acknowledgements.add(eventId);
  }

  /** Writes the queued acknowledgements now. */
  public synchronized void flushAcknowledgements() {
    if (!closed) {
      byte[] acks = withAcknowledgements(new byte[0]);
      if (acks.length > 0) {
        write(acks);
        afterWrite();
      }
    }
  }

  /** Events handed over and not acknowledged in this run. */
  public synchronized int unacknowledged() {
    flushAcknowledgements();
    return segmentOf.size();
  }

  /** Intents journaled in this run whose call's event is not journaled yet: calls in flight. */
  public synchronized int inFlight() {
    return intentIn.size();
  }

  /** {@code first} followed by a record per queued acknowledgement of an event this run journaled. */
  private byte[] withAcknowledgements(byte[] first) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(first.length + 64);
    out.writeBytes(first);
    for (String id = acknowledgements.poll(); id != null; id = acknowledgements.poll()) {
      Long in = segmentOf.remove(id);
      if (in == null) {
        continue;
      }
      out.writeBytes(record(ACKED, id.getBytes(StandardCharsets.UTF_8)));
      release(in);
    }
    return out.toByteArray();
  }

  private void afterWrite() {
    if (currentBytes > SEGMENT_BYTES) {
      roll();
    }
    // A segment goes once it and every older one have no event waiting: an acknowledgement in it may only concern
    // events of older segments, which are then gone too
    while (oldestOnDisk < segment && !outstanding.containsKey(oldestOnDisk)) {
      delete(oldestOnDisk++);
    }
  }

  private static byte[] record(byte type, byte[] payload) {
    CRC32 crc = new CRC32();
    crc.update(payload);
    ByteBuffer record = ByteBuffer.allocate(1 + 4 + payload.length + 4);
    record.put(type).putInt(payload.length).put(payload).putInt((int) crc.getValue());
    return record.array();
  }

  private void write(byte[] bytes) {
    try {
      append(bytes);
    } catch (java.nio.channels.ClosedChannelException e) {
      // An interrupt of the writing thread closes a FileChannel (ClosedByInterruptException) for every later writer
      // too: seen after a worker was stopped (SIGSTOP) and went on. Go on in a new segment with the whole write
      // again; a part of it may end the old segment, which a reader takes as a cut record, as after a kill.
      LOG.warn("usage journal {}: its segment was closed under a write ({}); going on in a new segment", dir,
          e.toString());
      boolean interrupted = Thread.interrupted(); // a set flag would close the new channel at once
      try {
        roll();
        append(bytes);
      } catch (IOException again) {
        throw new UncheckedIOException("cannot append to the usage journal in " + dir, again);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the usage journal in " + dir, e);
    }
  }

  private void append(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      currentBytes += current.write(buffer);
    }
  }

  private void roll() {
    try {
      if (current != null) {
        current.close();
      }
      segment++;
      current = FileChannel.open(file(segment), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      currentBytes = 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a usage journal segment in " + dir, e);
    }
  }

  private void delete(long number) {
    try {
      Files.deleteIfExists(file(number));
    } catch (IOException e) {
      LOG.warn("could not delete usage journal segment {}: {}", file(number), e.toString());
    }
  }

  private Path file(long number) {
    return dir.resolve(String.format(java.util.Locale.ROOT, "usage-%012d.journal", number));
  }

  private static long number(Path file) {
    String name = file.getFileName().toString();
    return Long.parseLong(name.substring("usage-".length(), name.length() - ".journal".length()));
  }

  private static List<Path> segments(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("usage-\\d{12}\\.journal"))
          .sorted().toList();
    }
  }

  /** Adds the file's events to {@code pending} and removes those it acknowledges; stops at a cut record. */
  private static void read(Path file, Map<String, Pending> pending) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
    while (in.remaining() >= 9) {
      byte type = in.get();
      int length = in.getInt();
      if (length < 0 || length > in.remaining() - 4 || (type != SENT && type != ACKED && type != INTENT)) {
        LOG.warn("usage journal {}: a record cut at byte {} (the end a kill left); read up to there", file,
            in.position() - 5);
        return;
      }
      byte[] payload = new byte[length];
      in.get(payload);
      CRC32 crc = new CRC32();
      crc.update(payload);
      if (in.getInt() != (int) crc.getValue()) {
        LOG.warn("usage journal {}: a record with a wrong checksum at byte {}; read up to there", file,
            in.position() - length - 9);
        return;
      }
      if (type == ACKED) {
        pending.remove(new String(payload, StandardCharsets.UTF_8));
      } else {
        ByteBuffer p = ByteBuffer.wrap(payload);
        String cluster = string(p);
        String topic = string(p);
        UsageEvent event;
        try {
          event = DECODER.decode(p.slice());
        } catch (IOException | RuntimeException e) {
          // written by a version whose UsageEvent schema this one does not keep: say so, read on
          LOG.error("usage journal {}: an event this version cannot read ({}); it is left out of the replay, and the "
              + "file is kept as {}", file, e.toString(), file.getFileName() + ".unreadable");
          keepUnreadable(file);
          continue;
        }
        if (type == INTENT) {
          // written before the call, so before any record of its event: an event journaled later replaces it
          pending.putIfAbsent(event.getEventId().toString(), new Pending(cluster, topic, event, true));
        } else {
          pending.put(event.getEventId().toString(), new Pending(cluster, topic, event, false));
        }
      }
    }
  }

  /**
   * Today's UsageEvent schema and every earlier one a journal may hold (single-object encoding names the writer's
   * schema by fingerprint): a worker upgraded over a journal its previous version wrote still reads it. Add the
   * schema of the day to {@code usage-journal/} whenever UsageEvent changes.
   */
  static final List<String> PAST_SCHEMAS = List.of("UsageEvent-2026-12-06.avsc", "UsageEvent-2026-12-06-b.avsc",
      "UsageEvent-2026-12-06-c.avsc");
  private static final BinaryMessageDecoder<UsageEvent> DECODER = decoder();

  private static BinaryMessageDecoder<UsageEvent> decoder() {
    BinaryMessageDecoder<UsageEvent> decoder = UsageEvent.createDecoder(null);
    for (String name : PAST_SCHEMAS) {
      try (java.io.InputStream in = UsageJournal.class.getResourceAsStream("/usage-journal/" + name)) {
        if (in == null) {
          throw new IllegalStateException("missing resource /usage-journal/" + name);
        }
        decoder.addSchema(new org.apache.avro.Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return decoder;
  }

  private static void keepUnreadable(Path file) {
    try {
      Files.copy(file, file.resolveSibling(file.getFileName() + ".unreadable"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      LOG.warn("could not keep {}: {}", file, e.toString());
    }
  }

  private static String string(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.getInt()];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Live-run helper for tests: the segment files now on disk. */
  List<Path> files() {
    try {
      return segments(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    flushAcknowledgements();
    closed = true;
    try {
      current.close();
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      LOG.warn("closing the usage journal {}: {}", dir, e.toString());
    }
  }

  /** For log lines. */
  @Override
  public String toString() {
    return "usage journal " + dir + " (" + new ArrayList<>(outstanding.keySet()) + ")";
  }
}
