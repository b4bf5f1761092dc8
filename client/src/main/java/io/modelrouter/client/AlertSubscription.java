package io.modelrouter.client;

/**
 * A listener registered with {@link RouterClient#onAlert}. Closing it stops delivery to that listener (an alert
 * being delivered at that moment may still reach it); the other subscriptions are not affected. Closing twice is
 * harmless.
 */
public interface AlertSubscription extends AutoCloseable {

  /** The team whose alerts this subscription receives. */
  String teamId();

  /** Stops delivery to this subscription's listener. */
  @Override
  void close();
}
