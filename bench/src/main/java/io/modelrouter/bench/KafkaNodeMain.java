package io.modelrouter.bench;

import io.modelrouter.embedded.EmbeddedKafka;
import java.nio.file.Path;

/**
 * One persistent KRaft node as its own JVM, for scenarios in which the broker process dies and is started again
 * ({@link DiskFullBenchmark}): its data in {@code MR_NODE_DIR}, its client and controller ports
 * {@code MR_NODE_PORT} and {@code MR_NODE_CONTROLLER_PORT}, so a restart keeps its address, topics and offsets.
 */
public final class KafkaNodeMain {
  private KafkaNodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    EmbeddedKafka kafka = EmbeddedKafka.builder().dataDirectory(Path.of(System.getenv("MR_NODE_DIR")))
        .port(Integer.parseInt(System.getenv("MR_NODE_PORT")))
        .controllerPort(Integer.parseInt(System.getenv("MR_NODE_CONTROLLER_PORT")))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::close));
    System.out.println("kafka node ready at " + kafka.bootstrapServers());
    Thread.currentThread().join();
  }
}
