package io.modelrouter.client;

import io.modelrouter.config.Setting;
import java.time.Duration;
import java.util.List;

/**
 * The client's own settings for {@link RouterClient#fromSettings}, next to {@link io.modelrouter.config.CommonSettings}
 * (bootstrap servers, registry, topic prefix, {@code kafka.*} pass-through). Same sources and {@code MR_*}
 * variables as every service.
 */
public final class ClientSettings {
  public static final Setting<Duration> TIMEOUT = Setting.duration("client.timeout", RouterClient.DEFAULT_TIMEOUT,
      "How long submit() waits for a result by default (ms, or ISO-8601 like PT2M).");
  public static final Setting<Boolean> DEADLINE_FROM_TIMEOUT = Setting.bool("client.deadline.from.timeout", true,
      "Give requests without a deadline one at submit time + timeout, so no provider is called for a request "
          + "whose caller stopped waiting.");
  public static final Setting<String> CLIENT_ID = Setting.string("client.id", "",
      "Prefix of the Kafka client ids (default router-client-<n>).");

  public static final List<Setting<?>> ALL = List.of(TIMEOUT, DEADLINE_FROM_TIMEOUT, CLIENT_ID);

  private ClientSettings() {}
}
