package io.modelrouter.worker.internal;

import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a producer's transaction, making a commit that timed out again. A {@code commitTransaction} that times
 * out (the broker away for longer than {@code max.block.ms}) may have reached the transaction coordinator, which
 * then commits it: aborting is refused by the producer in that state, and a new producer for the same transactional
 * id would complete that commit while its records were sent again with the next transaction, written twice. Kafka's
 * producer documents the way out: call {@code commitTransaction} again, which finishes the same commit.
 */
public final class TransactionCommit {
  private static final Logger LOG = LoggerFactory.getLogger(TransactionCommit.class);

  private TransactionCommit() {}

  /**
   * Commits, trying again after each timeout while {@code goOn} holds.
   *
   * @throws TimeoutException the last timeout, once {@code goOn} no longer holds (the outcome is unknown)
   */
  public static void commit(Producer<?, ?> producer, BooleanSupplier goOn) {
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        if (attempt > 1) {
          LOG.info("transaction committed at attempt {}", attempt);
        }
        return;
      } catch (TimeoutException e) {
        if (!goOn.getAsBoolean()) {
          throw e;
        }
        LOG.warn("committing a transaction timed out (attempt {}; its outcome is unknown until the same commit"
            + " is made again): {}", attempt, e.toString());
      }
    }
  }
}
