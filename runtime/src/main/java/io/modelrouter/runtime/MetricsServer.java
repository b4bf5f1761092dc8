package io.modelrouter.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} (Prometheus text format) and {@code GET /health} (200 when healthy, 503 otherwise, with the
 * reason) for a service that has no HTTP server of its own. Port 0 picks a free port.
 */
public final class MetricsServer implements AutoCloseable {
  /** What /health answers: healthy or not, and a one-line reason. */
  public record Health(boolean healthy, String detail) {}

  private final HttpServer server;

  public MetricsServer(String host, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException("metrics endpoint cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/metrics", exchange -> answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
        registry.scrape()));
    server.createContext("/health", exchange -> {
      Health now = health.get();
      answer(exchange, now.healthy() ? 200 : 503, "text/plain; charset=utf-8",
          (now.healthy() ? "UP" : "DOWN") + " " + now.detail() + "\n");
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    try (exchange) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
