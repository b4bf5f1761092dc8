package io.modelrouter.budget.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: Javalin with one wrapper around every endpoint that authenticates (401), lets the endpoint
 * validate its path (400), authorizes (403), runs it, turns errors into JSON bodies, and counts requests by route
 * template and status. {@code GET /health}, {@code GET /metrics} and the dashboard's static {@link #asset assets}
 * need no token.
 */
public final class HttpApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final String ROUTE = "budget.route";
  private static final String BODY = "budget.body";
  /**
   * The server's limits: the largest body (413), the largest request line and headers (431), open connections, and
   * how long an idle connection or a stalled body is kept.
   */
  public record Limits(int maxBodyBytes, int maxHeaderBytes, int maxConnections, Duration idleTimeout) {
    /** The settings' defaults. */
    public static final Limits DEFAULTS = new Limits(1_000_000, 16_384, 1_000, Duration.ofSeconds(30));

    /** The 413 sentence: the limit and the setting that sets it. */
    String bodyTooLarge() {
      return String.format(java.util.Locale.ROOT, "the request body is larger than the limit of %,d bytes "
          + "(budget.http.max.body.bytes)", maxBodyBytes);
    }

    /** The 431 sentence. */
    String headersTooLarge() {
      return String.format(java.util.Locale.ROOT, "the request line and headers are larger than the limit of %,d "
          + "bytes (budget.http.max.header.bytes)", maxHeaderBytes);
    }
  }

  /** An endpoint's work, for an authenticated and authorized principal. */
  @FunctionalInterface
  public interface Endpoint {
    void handle(Context ctx, Principal principal) throws Exception;
  }

  /** What an endpoint needs; may refuse a malformed path with an {@link ApiException} (400). */
  @FunctionalInterface
  public interface Guard {
    Permission permission(Context ctx);
  }

  private final Javalin app;
  private final Gatekeeper gatekeeper;
  private volatile Predicate<String> selfService = team -> false;
  private final PrometheusMeterRegistry registry;
  private final Limits limits;

  /** @param healthProblem null when healthy, else why not */
  public HttpApi(Gatekeeper gatekeeper, PrometheusMeterRegistry registry, Supplier<String> healthProblem) {
    this(gatekeeper, registry, Limits.DEFAULTS, healthProblem);
  }

  public HttpApi(Gatekeeper gatekeeper, PrometheusMeterRegistry registry, Limits limits,
      Supplier<String> healthProblem) {
    this.gatekeeper = gatekeeper;
    this.registry = registry;
    this.limits = limits;
    this.app = Javalin.create(config -> {
      config.showJavalinBanner = false;
      config.useVirtualThreads = true;
      config.startupWatcherEnabled = false;
      config.http.maxRequestSize = limits.maxBodyBytes();
      config.jetty.modifyHttpConfiguration(http -> {
        http.setRequestHeaderSize(limits.maxHeaderBytes());
        http.setSendServerVersion(false);
      });
      config.jetty.modifyServer(server -> {
        // Jetty's own refusals (headers too large, a malformed request line) are JSON too, naming the limit
        server.setErrorHandler(new JsonErrors(limits));
        server.addBean(new org.eclipse.jetty.server.ConnectionLimit(limits.maxConnections(), server));
      });
      // the servlet context's own error handler answers what it refuses (a path it cannot route, PUT *)
      config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrors(limits)));
      config.requestLogger.http(this::count);
    });
    app.get("/health", ctx -> {
      ctx.attribute(ROUTE, "/health");
      String problem = healthProblem.get();
      text(ctx, problem == null ? 200 : 503, problem == null ? "UP budget-service: topics loaded, serving\n"
          : "DOWN budget-service: " + problem + "\n");
    });
    app.get("/metrics", ctx -> {
      ctx.attribute(ROUTE, "/metrics");
      ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(registry.scrape());
    });
    app.error(404, ctx -> {
      if (ctx.attribute(ROUTE) == null) {
        json(ctx, 404, Json.error("no endpoint " + ctx.method() + " " + ctx.path(), List.of()));
      }
    });
  }

  /**
   * Serves a classpath resource at {@code path} without a token: the dashboard's page and assets, which hold no
   * data (the page asks for a token and sends it with each API call). Read once here, so a missing resource fails
   * at start, not on the first visit. The headers keep the page from loading anything from elsewhere or being framed.
   */
  public void asset(String path, String resource, String contentType) {
    byte[] body;
    try (InputStream in = HttpApi.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + resource + " for " + path);
      }
      body = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath resource " + resource, e);
    }
    app.get(path, ctx -> {
      ctx.attribute(ROUTE, path);
      ctx.header("Cache-Control", "no-cache");
      ctx.header("X-Content-Type-Options", "nosniff");
      ctx.header("Referrer-Policy", "no-referrer");
      ctx.header("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
          + " img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      ctx.status(200).contentType(contentType).result(body);
    });
  }

  public void get(String path, Guard guard, Endpoint endpoint) {
    add(HandlerType.GET, path, guard, endpoint);
  }

  public void put(String path, Guard guard, Endpoint endpoint) {
    add(HandlerType.PUT, path, guard, endpoint);
  }

  public void post(String path, Guard guard, Endpoint endpoint) {
    add(HandlerType.POST, path, guard, endpoint);
  }

  /** Where authorization learns whether the admin granted a team self-service (none until set). */
  public void selfService(Predicate<String> granted) {
    this.selfService = granted;
  }

  public void delete(String path, Guard guard, Endpoint endpoint) {
    add(HandlerType.DELETE, path, guard, endpoint);
  }

  private void add(HandlerType method, String path, Guard guard, Endpoint endpoint) {
    app.addHttpHandler(method, path, ctx -> {
      ctx.attribute(ROUTE, path);
      try {
        if (ctx.contentLength() > limits.maxBodyBytes()) {
          throw new io.javalin.http.ContentTooLargeResponse();
        }
        // Authentication comes first, so a caller without a valid token learns nothing about paths or teams.
        Gatekeeper.Decision authenticated = gatekeeper.authenticateHeader(ctx.header("Authorization"));
        if (!authenticated.allowed()) {
          ctx.header("WWW-Authenticate", "Bearer");
          json(ctx, authenticated.status(), Json.error(authenticated.error(), List.of()));
          return;
        }
        Permission permission = guard.permission(ctx);
        Gatekeeper.Decision authorized = Gatekeeper.authorize(authenticated.principal(), permission, selfService);
        if (!authorized.allowed()) {
          ObjectNode refusal = Json.error(authorized.error(), List.of());
          refusal.put("permission", permission.name());
          json(ctx, authorized.status(), refusal);
          return;
        }
        if (method == HandlerType.PUT || method == HandlerType.POST) {
          // Read here, bounded: Javalin's own limit checks only a declared Content-Length, not a chunked body
          byte[] body = ctx.req().getInputStream().readNBytes(limits.maxBodyBytes() + 1);
          if (body.length > limits.maxBodyBytes()) {
            throw new io.javalin.http.ContentTooLargeResponse();
          }
          ctx.attribute(BODY, new String(body, java.nio.charset.StandardCharsets.UTF_8));
        }
        endpoint.handle(ctx, authorized.principal());
      } catch (ApiException e) {
        ObjectNode error = Json.error(e.getMessage(), e.problems());
        if (e.permission() != null) {
          error.put("permission", e.permission());
        }
        json(ctx, e.status(), error);
      } catch (HttpResponseException e) {
        // Javalin's own refusals while reading the request, the body over the limit above all
        json(ctx, e.getStatus(), Json.error(e.getStatus() == 413 ? limits.bodyTooLarge() : e.getMessage(),
            List.of()));
      } catch (IOException e) {
        // the client went away or sent a broken body while it was read
        json(ctx, 400, Json.error("the request body could not be read: " + e.getMessage(), List.of()));
      } catch (RuntimeException e) {
        LOG.error("{} {} failed", method, path, e);
        json(ctx, 500, Json.error("internal error: " + e.getClass().getSimpleName() + " (see the service log)",
            List.of()));
      }
    });
  }

  private void count(Context ctx, Float millis) {
    String route = ctx.attribute(ROUTE);
    Timer.builder("budget.http.requests")
        .description("HTTP requests by method, route template and status")
        .tag("method", ctx.method().name())
        .tag("route", route == null ? "unmatched" : route)
        .tag("status", Integer.toString(ctx.statusCode()))
        .register(registry)
        .record(Duration.ofNanos((long) (millis * 1_000_000)));
  }

  public HttpApi start(String host, int port) {
    try {
      app.start(host, port);
      for (org.eclipse.jetty.server.Connector connector : app.jettyServer().server().getConnectors()) {
        if (connector instanceof org.eclipse.jetty.server.AbstractConnector c) {
          c.setIdleTimeout(limits.idleTimeout().toMillis());
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalStateException("budget-service cannot listen on " + host + ":" + port + ": " + e.getMessage(),
          e);
    }
    return this;
  }

  public int port() {
    return app.port();
  }

  /** The request body, as read (bounded) before the endpoint ran. */
  public static String body(Context ctx) {
    String body = ctx.attribute(BODY);
    return body != null ? body : "";
  }

  public static void json(Context ctx, int status, JsonNode body) {
    ctx.status(status).contentType("application/json").result(Json.write(body));
  }

  public static void text(Context ctx, int status, String body) {
    ctx.status(status).contentType("text/plain; charset=utf-8").result(body);
  }

  @Override
  public void close() {
    app.stop();
  }

  /** Jetty's answers to requests it refuses before Javalin sees them, as JSON bodies like every other error. */
  private static final class JsonErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
    private final Limits limits;

    JsonErrors(Limits limits) {
      this.limits = limits;
      setShowStacks(false);
      setShowServlet(false);
    }

    @Override
    public java.nio.ByteBuffer badMessageError(int status, String reason,
        org.eclipse.jetty.http.HttpFields.Mutable fields) {
      fields.put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
      return java.nio.ByteBuffer.wrap(Json.write(Json.error(error(status, reason), List.of()))
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Every method gets a body (Jetty's default writes none for PUT, DELETE and the like). */
    @Override
    public boolean errorPageForMethod(String method) {
      return true;
    }

    /** Errors Jetty raises while dispatching (a path it cannot route, such as {@code PUT *}), as JSON. */
    @Override
    protected void generateAcceptableResponse(org.eclipse.jetty.server.Request baseRequest,
        jakarta.servlet.http.HttpServletRequest request, jakarta.servlet.http.HttpServletResponse response, int code,
        String message) throws IOException {
      response.setContentType("application/json");
      response.setCharacterEncoding("utf-8");
      response.getWriter().write(Json.write(Json.error(error(code, message), List.of())));
      baseRequest.setHandled(true);
    }

    private String error(int status, String reason) {
      if (status == 431) {
        return limits.headersTooLarge();
      }
      if (status == 413) {
        return limits.bodyTooLarge();
      }
      return (status >= 500 ? "server error: " : "bad request: ") + (reason == null ? "HTTP " + status : reason);
    }
  }
}
