package io.modelrouter.embedded;

import com.sun.net.httpserver.HttpServer;
import io.modelrouter.embedded.internal.RegistryHttpHandler;
import io.modelrouter.embedded.internal.SchemasTopicStore;
import io.modelrouter.schemas.registry.SchemaRegistryState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry that serves the Confluent REST API (the calls Confluent's serializers and tools make) and
 * keeps its schemas in a compacted {@code _schemas} topic on the broker, so ids survive a restart. One instance
 * per topic: it is the topic's only writer.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final SchemasTopicStore store;
  private final String url;

  private EmbeddedSchemaRegistry(Builder builder) {
    long started = System.nanoTime();
    this.store = new SchemasTopicStore(builder.bootstrapServers, builder.topic);
    SchemaRegistryState state = new SchemaRegistryState();
    int replayed = store.replayInto(state);
    try {
      this.server = HttpServer.create(new InetSocketAddress(builder.host, builder.port), 256);
    } catch (IOException e) {
      store.close();
      throw new UncheckedIOException("schema registry cannot listen on " + builder.host + ":" + builder.port
          + ": " + e.getMessage(), e);
    }
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", new RegistryHttpHandler(state, store, builder.authorizations));
    server.start();
    this.url = "http://" + (builder.host.equals("0.0.0.0") ? "localhost" : builder.host) + ":"
        + server.getAddress().getPort();
    LOG.info("Embedded schema registry ready at {} ({} records replayed from {}) in {} ms", url, replayed,
        builder.topic, (System.nanoTime() - started) / 1_000_000);
  }

  public static Builder builder(String bootstrapServers) {
    return new Builder(bootstrapServers);
  }

  /** Base URL, e.g. {@code http://localhost:8081}. */
  public String url() {
    return url;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
    store.close();
  }

  public static final class Builder {
    private final String bootstrapServers;
    private String host = "localhost";
    private int port = 0;
    private String topic = "_schemas";
    private final Set<String> authorizations = new HashSet<>();

    private Builder(String bootstrapServers) {
      this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    }

    /** Interface to listen on (default localhost; 0.0.0.0 for every interface). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    /** Port (default: a free one). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Topic holding the schemas (default {@code _schemas}). */
    public Builder topic(String topic) {
      this.topic = Objects.requireNonNull(topic);
      return this;
    }

    /** Requires this exact Authorization header value (e.g. "Basic ..." or "Bearer ..."); may be called again. */
    public Builder requireAuthorization(String headerValue) {
      authorizations.add(Objects.requireNonNull(headerValue));
      return this;
    }

    public EmbeddedSchemaRegistry build() {
      return new EmbeddedSchemaRegistry(this);
    }
  }
}
