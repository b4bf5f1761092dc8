package io.modelrouter.schemas;

import io.modelrouter.schemas.registry.SchemaRegistryClient;
import io.modelrouter.schemas.serde.AvroSerdeConfig;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What {@link Topics} is built from: the serde settings, optionally a registry client to share (otherwise one is
 * built from the settings), and an optional name prefix (so that tests can share one broker).
 */
public final class TopicsConfig {
  private static final Pattern LEGAL_PREFIX = Pattern.compile("[a-zA-Z0-9._-]*");

  private final AvroSerdeConfig serde;
  private final SchemaRegistryClient client;
  private final String prefix;

  private TopicsConfig(Builder builder) {
    this.serde = Objects.requireNonNull(builder.serde, "serde config (schema.registry.url) is required");
    if (!LEGAL_PREFIX.matcher(builder.prefix).matches()) {
      throw new IllegalArgumentException("topic prefix may hold only letters, digits, '.', '_' and '-', got '"
          + builder.prefix + "'");
    }
    this.prefix = builder.prefix;
    this.client = builder.client != null ? builder.client : serde.createClient();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The common case: a registry URL and Confluent's serde defaults. */
  public static TopicsConfig forRegistry(String url) {
    return builder().serde(AvroSerdeConfig.forUrl(url)).build();
  }

  public AvroSerdeConfig serde() {
    return serde;
  }

  public SchemaRegistryClient client() {
    return client;
  }

  public String prefix() {
    return prefix;
  }

  public static final class Builder {
    private AvroSerdeConfig serde;
    private SchemaRegistryClient client;
    private String prefix = "";

    public Builder serde(AvroSerdeConfig serde) {
      this.serde = serde;
      return this;
    }

    public Builder client(SchemaRegistryClient client) {
      this.client = client;
      return this;
    }

    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    public TopicsConfig build() {
      return new TopicsConfig(this);
    }
  }
}
