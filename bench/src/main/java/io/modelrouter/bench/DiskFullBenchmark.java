package io.modelrouter.bench;

import io.modelrouter.aggregator.AggregatorService;
import io.modelrouter.avro.InferenceRequest;
import io.modelrouter.embedded.EmbeddedSchemaRegistry;
import io.modelrouter.embedded.FreePorts;
import io.modelrouter.router.RouterService;
import io.modelrouter.schemas.TopicAdmin;
import io.modelrouter.schemas.Topics;
import io.modelrouter.schemas.TopicsConfig;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import io.modelrouter.worker.WorkerService;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker whose log directory fills up (docs/reliability.md, scenario 11). The broker is its own process
 * ({@link KafkaNodeMain}) with its data on a size-limited filesystem: a tmpfs of {@code --size-mb} mounted for the
 * run (which needs root), or {@code --dir}, a directory on a filesystem you limited yourself. The registry, router,
 * worker (simulated provider) and aggregator run in this JVM; a pipeline sends {@code --rate} requests/s with an
 * idempotent acks=all producer and notes which sends were acknowledged. After {@code --warmup} s a filler file takes
 * every free byte of the filesystem; {@code --full-s} s later it is deleted and, if the broker stopped (Kafka stops a
 * broker whose only log directory failed), the broker is started again on the same data, as a supervisor
 * (systemd, Compose's {@code restart: unless-stopped}) would. The load goes on for {@code --after-s} s more.
 *
 * <p>Then, read_committed: every acknowledged request has exactly one result, no usage event or alert twice, the
 * aggregator's totals equal the usage events; and every service still running. Reported: when the broker stopped,
 * when it was serving again, the services' first output after that, the sends that failed (not acknowledged: the
 * pipeline's to retry) and whether any of them was answered anyway.
 *
 * <pre>bench/run DiskFullBenchmark --rate 200 --full-s 30</pre>
 */
public final class DiskFullBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(DiskFullBenchmark.class);

  private DiskFullBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> broken = run(args);
    if (!broken.isEmpty()) {
      System.exit(broken.get(0).startsWith("cannot") ? 2 : 1);
    }
  }

  /** The run {@code args} describe; prints its report and returns what broke (empty when every invariant held). */
  public static List<String> run(String... args) throws Exception {
    BenchArgs options = new BenchArgs(args, Map.of("rate", "200", "warmup", "15", "full-s", "30", "after-s", "30",
        "size-mb", "256", "dir", "", "latency-ms", "100", "partitions", "4"));
    LOG.info("disk-full benchmark {}", options);
    int rate = options.integer("rate");
    int warmup = options.integer("warmup");
    int fullFor = options.integer("full-s");
    int after = options.integer("after-s");
    Path state = Files.createTempDirectory("diskfull-bench");
    Path mount = null;
    Path disk;
    if (options.string("dir").isBlank()) {
      mount = Files.createTempDirectory("diskfull-fs");
      Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + options.integer("size-mb") + "m",
          "tmpfs", mount.toString()).redirectErrorStream(true).start();
      String said = new String(mounting.getInputStream().readAllBytes()).trim();
      if (mounting.waitFor() != 0) {
        String why = "cannot mount a " + options.integer("size-mb") + " MB tmpfs at " + mount + " (" + said
            + "): run as root, or pass --dir on a filesystem you limited yourself";
        System.out.println(why);
        return List.of(why);
      }
      disk = mount;
    } else {
      disk = Path.of(options.string("dir"));
      Files.createDirectories(disk);
    }
    List<String> broken = new ArrayList<>();
    int port = FreePorts.any();
    int controller = FreePorts.any();
    String bootstrap = "localhost:" + port;
    ChildProcess node = new ChildProcess("kafka", KafkaNodeMain.class.getName(), Map.of(
        "MR_NODE_DIR", disk.resolve("kafka").toString(), "MR_NODE_PORT", Integer.toString(port),
        "MR_NODE_CONTROLLER_PORT", Integer.toString(controller)), state.resolve("kafka.log"));
    try {
      node.start();
      awaitServing(bootstrap, Duration.ofSeconds(90));
      try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder(bootstrap).build();
          Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        Topics topics = Topics.create(TopicsConfig.builder().serde(AvroSerdeConfig.forUrl(registry.url())).build());
        TopicAdmin.ensureTopics(admin, topics.all(), options.integer("partitions"), (short) 1, Duration.ofSeconds(30));
        Map<String, String> common = Map.of("kafka.bootstrap.servers", bootstrap, "schema.registry.url",
            registry.url(), "topics.partitions", options.string("partitions"));
        ChaosCollector collector = new ChaosCollector(bootstrap, topics);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> failed = ConcurrentHashMap.newKeySet();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Instant fullAt;
        Instant freedAt = null;
        Instant stoppedAt = null;
        Instant restartedAt = null;
        Instant servingAt = null;
        long freeWhenFull;
        Instant loadStart;
        int sent = 0;
        boolean running;
        String abortedHanging;
        try (AggregatorService aggregator = new AggregatorService(CommittedReader.settings(common, Map.of(
                "aggregator.state.dir", state + "/agg", "aggregator.instance.id", "diskfull-aggregator")));
            RouterService router = new RouterService(CommittedReader.settings(common, Map.of("router.state.dir", state + "/router",
                "router.instance.id", "diskfull-router")));
            WorkerService worker = new WorkerService(CommittedReader.settings(common, Map.of("worker.instance.id", "diskfull-worker",
                "worker.simulate", "all", "simulator.latency", options.string("latency-ms"),
                "worker.usage.journal.dir", state.resolve("usage-journal").toString())));
            KafkaProducer<String, byte[]> producer = CommittedReader.producer(bootstrap)) {
          aggregator.start();
          router.start();
          worker.start();
          while (router.state() != KafkaStreams.State.RUNNING || aggregator.state() != KafkaStreams.State.RUNNING) {
            Thread.sleep(100);
          }
          Thread reader = Thread.ofPlatform().name("diskfull-collector").start(collector);
          Workload workload = new Workload(13, 40);
          long total = (long) rate * (warmup + fullFor + after);
          loadStart = Instant.now();
          long start = System.nanoTime();
          Path filler = disk.resolve("filler");
          fullAt = null;
          freeWhenFull = -1;
          long nextCheck = 0;
          for (long i = 0; i < total; i++) {
            long due = start + (long) (i * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 1_000_000) {
              Thread.sleep(wait / 1_000_000);
            }
            double second = (System.nanoTime() - start) / 1e9;
            if (fullAt == null && second >= warmup) {
              fullAt = Instant.now();
              freeWhenFull = fill(filler);
              LOG.info("the broker's filesystem is full ({} bytes free)", freeWhenFull);
            }
            if (fullAt != null && stoppedAt == null && !node.alive()) {
              stoppedAt = Instant.now();
              LOG.info("the broker stopped {} ms after its disk filled", Duration.between(fullAt, stoppedAt).toMillis());
            }
            if (freedAt == null && second >= warmup + fullFor) {
              Files.deleteIfExists(filler);
              freedAt = Instant.now();
              LOG.info("the filler is deleted: the broker's filesystem has room again");
              if (!node.alive()) {
                stoppedAt = stoppedAt == null ? freedAt : stoppedAt;
                node.start();
                restartedAt = Instant.now();
              }
            }
            if (restartedAt != null && servingAt == null && System.nanoTime() >= nextCheck) {
              nextCheck = System.nanoTime() + 1_000_000_000L;
              if (serving(bootstrap)) {
                servingAt = Instant.now();
                LOG.info("the broker serves again, {} ms after its restart",
                    Duration.between(restartedAt, servingAt).toMillis());
              }
            }
            InferenceRequest request = workload.next(i);
            String id = "diskfull-" + i;
            request.setRequestId(id);
            producer.send(new ProducerRecord<>(topics.requests().name(), request.getTeamId(),
                topics.requests().serializeValue(request)), (metadata, error) -> {
                  if (error == null) {
                    acked.add(id);
                  } else {
                    failed.add(id);
                    firstFailure.compareAndSet(null, error.toString());
                  }
                });
            sent++;
          }
          producer.flush();
          if (restartedAt != null && servingAt == null) {
            awaitServing(bootstrap, Duration.ofSeconds(120));
            servingAt = Instant.now();
          }
          long deadline = System.currentTimeMillis() + 300_000;
          while (acked.stream().anyMatch(id -> collector.resultSeenAt(id) < 0)
              && System.currentTimeMillis() < deadline) {
            Thread.sleep(1_000);
          }
          long totalsDeadline = System.currentTimeMillis() + 60_000;
          while (!collector.totalsCaughtUp() && System.currentTimeMillis() < totalsDeadline) {
            Thread.sleep(500);
          }
          collector.stop();
          reader.join();
          abortedHanging = "router " + router.hangingTransactionsAborted() + ", worker "
              + worker.hangingTransactionsAborted() + ", aggregator " + aggregator.hangingTransactionsAborted();
          running = worker.isRunning() && router.state() == KafkaStreams.State.RUNNING
              && aggregator.state() == KafkaStreams.State.RUNNING;
          if (!running) {
            broken.add("a service stopped (router " + router.state() + ", aggregator " + aggregator.state()
                + ", worker " + (worker.isRunning() ? "running" : "stopped") + ")");
          }
        }
        long missing = acked.stream().filter(id -> collector.resultSeenAt(id) < 0).count();
        long answeredUnacked = failed.stream().filter(id -> collector.resultSeenAt(id) >= 0).count();
        int window = (int) Duration.between(loadStart, Instant.now()).toSeconds() + 1;
        int[] perSecond = collector.perSecond(topics.results().name(), loadStart, window);
        System.out.println();
        System.out.printf(Locale.ROOT, "DiskFullBenchmark: %,d requests/s; the broker's %s full from %d s for %d s%n",
            rate, mount != null ? options.integer("size-mb") + " MB tmpfs" : disk.toString(), warmup, fullFor);
        System.out.printf(Locale.ROOT, "requests sent %,d: acknowledged %,d, send failed %,d (first: %s)%n", sent,
            acked.size(), failed.size(), firstFailure.get());
        System.out.print(collector.deliveries(sent));
        System.out.printf(Locale.ROOT, "acknowledged without a result: %,d; not acknowledged but answered: %,d%n",
            missing, answeredUnacked);
        System.out.printf(Locale.ROOT, "free bytes left by the filler: %,d%n", freeWhenFull);
        System.out.printf(Locale.ROOT, "the broker %s%n", stoppedAt == null ? "never stopped"
            : "stopped " + Duration.between(fullAt, stoppedAt).toMillis() + " ms after its disk filled");
        if (restartedAt != null) {
          System.out.printf(Locale.ROOT, "restarted %d ms after the room came back; serving %d ms after its start%n",
              Duration.between(freedAt, restartedAt).toMillis(), Duration.between(restartedAt, servingAt).toMillis());
          for (String topic : List.of(topics.routed().name(), topics.results().name(), topics.usageTotals().name())) {
            Instant first = collector.firstAfter(topic, restartedAt);
            System.out.printf(Locale.ROOT, "first %s after the restart: %s%n", topic, first == null ? "NEVER"
                : Duration.between(restartedAt, first).toMillis() + " ms");
          }
        }
        System.out.println("hanging transactions aborted: " + abortedHanging);
        System.out.println("results per second: " + Arrays.toString(perSecond));
        if (missing > 0) {
          broken.add(missing + " acknowledged request(s) without a result");
        }
        for (String violation : collector.violations(0, List.of())) {
          broken.add(violation);
        }
      }
    } finally {
      node.close();
      if (mount != null) {
        new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
      }
    }
    System.out.println(broken.isEmpty() ? "every invariant held" : "FAILED: " + String.join("; ", broken));
    return broken;
  }

  /** Writes zeros to {@code filler} until the filesystem refuses more; the bytes it left free. */
  private static long fill(Path filler) throws IOException {
    ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
    try (FileChannel channel = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      while (true) {
        chunk.clear();
        try {
          while (chunk.hasRemaining()) {
            channel.write(chunk);
          }
        } catch (IOException e) {
          // ENOSPC: the rest of this chunk did not fit
          break;
        }
      }
    }
    return Files.getFileStore(filler).getUsableSpace();
  }

  private static boolean serving(String bootstrap) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 500, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 1_000))) {
      admin.describeCluster().nodes().get(1, TimeUnit.SECONDS);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static void awaitServing(String bootstrap, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!serving(bootstrap)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the broker at " + bootstrap + " did not serve within " + timeout);
      }
      Thread.sleep(500);
    }
  }
}
