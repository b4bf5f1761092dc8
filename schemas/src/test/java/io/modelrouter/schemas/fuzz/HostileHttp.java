package io.modelrouter.schemas.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

/**
 * Generated HTTP requests for budget-service, written byte for byte on a socket (so nothing a client library would
 * refuse is left out): odd methods, every route of the API with a known, another and a hostile team (traversal,
 * encoded NUL, 5,000 characters, emoji), unknown routes, missing, wrong and malformed tokens, odd and oversized
 * headers, and bodies from empty to over 1 MB: valid ones, hostile JSON, not JSON, 3,000-deep arrays.
 */
public final class HostileHttp {
  private static final String[] METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE",
      "BREW", "get"};
  /** budget-service's routes; {team} and {id} are filled in per request. */
  private static final String[] ROUTES = {"/teams", "/teams/{team}/budget", "/teams/{team}/budget/reset",
      "/teams/{team}/policy", "/teams/{team}/state", "/teams/{team}/usage", "/teams/{team}/alerts",
      "/teams/{team}/feedback", "/teams/{team}/learned-model", "/teams/{team}/learned-model/pin", "/models",
      "/models/{id}", "/policies/default", "/health", "/metrics", "/", "/nope", "*", "/teams/{team}/usage?window=%zz",
      "/teams/{team}/budget/" + "x/".repeat(200)};
  private static final String[] HOSTILE_TEAMS = {"..%2F..%2Fetc", "%00", "t".repeat(5_000), "alpha%2Fbeta", "",
      "😀", "a b"};
  private static final String BUDGET = """
      {"daily": {"inputTokens": 500000, "costUsd": 12.5, "alertThresholds": [0.5, 0.8], "action": "pause"}}""";
  private static final String FEEDBACK = """
      {"requestId": "r-1", "score": 0.5, "source": "TEST", "neededProfile": "primary"}""";
  private static final String PIN = """
      {"version": 0, "reason": "fuzz"}""";

  private HostileHttp() {}

  /**
   * One request, drawn from {@code random}, with {@code Connection: close}; {@code team} is a team {@code teamToken}
   * may act for, {@code adminToken} the admin's.
   */
  public static String request(Random random, String adminToken, String team, String teamToken) {
    String method = METHODS[random.nextInt(METHODS.length)];
    String teamInPath = switch (random.nextInt(4)) {
      case 0, 1 -> team;
      case 2 -> "other-team";
      default -> HOSTILE_TEAMS[random.nextInt(HOSTILE_TEAMS.length)];
    };
    String path = ROUTES[random.nextInt(ROUTES.length)].replace("{team}", teamInPath)
        .replace("{id}", random.nextBoolean() ? "qwen3-8b" : "x".repeat(1 + random.nextInt(300)));
    String[] tokens = {null, "Bearer " + adminToken, "Bearer " + teamToken, "Bearer wrong", "Bearer ",
        "Basic YWxhZGRpbg==", "Bearer " + "x".repeat(10_000), "bearer " + adminToken};
    String token = tokens[random.nextInt(tokens.length)];
    String body = switch (random.nextInt(8)) {
      case 0 -> "";
      case 1 -> random.nextBoolean() ? BUDGET : FEEDBACK;
      case 2 -> HostileJson.mutate(BUDGET, random);
      case 3 -> HostileJson.mutate(random.nextBoolean() ? FEEDBACK : PIN, random);
      case 4 -> HostileJson.mutate(PolicyDocuments.Kind.MODEL.sample(), random);
      case 5 -> "not json at all \u0000";
      case 6 -> "[" + "[".repeat(3_000) + "]".repeat(3_000) + "]";
      default -> "b".repeat(random.nextBoolean() ? 500_000 : 1_200_000);
    };
    StringBuilder request = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: localhost\r\nConnection: close\r\n");
    if (token != null) {
      request.append("Authorization: ").append(token).append("\r\n");
    }
    if (random.nextInt(4) == 0) {
      request.append("X-Odd: ").append("v".repeat(random.nextBoolean() ? 100 : 20_000)).append("\r\n");
    }
    request.append(random.nextInt(5) == 0 ? "Content-Type: text/plain\r\n" : "Content-Type: application/json\r\n");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    request.append("Content-Length: ").append(bytes.length).append("\r\n\r\n").append(body);
    return request.toString();
  }

  /** What a server answered: status, head (lower-cased) and body. */
  public record Answer(int status, String head, String body) {
    /**
     * Null when the answer is what every request must get: a 2xx or 3xx, or a 4xx whose body is JSON with an
     * {@code error} (the dashboard's page and HEAD answers aside); never a 5xx, never a stack trace. Otherwise what
     * is wrong.
     */
    public String problem(String request) {
      if (status < 200 || status > 499) {
        return "status " + status;
      }
      if (body.contains("Exception") || body.contains("\tat ")) {
        return "a stack trace in the body";
      }
      boolean page = request.startsWith("GET / ") || request.startsWith("HEAD ");
      if (status >= 400 && !page) {
        if (!head.contains("content-type: application/json")) {
          return "a " + status + " that is not JSON";
        }
        if (!body.matches("(?s)\\s*\\{.*\"error\"\\s*:\\s*\"[^\"]+.*")) {
          return "a " + status + " without an error: " + body.substring(0, Math.min(200, body.length()));
        }
      }
      return null;
    }
  }

  /** Writes the request on a socket to {@code port} and reads the whole answer (the request says Connection: close). */
  public static Answer exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket("localhost", port)) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        // the server may answer (413, 431) and close before the whole request is written: read what it said
      }
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (!response.startsWith("HTTP/1.1 ") || response.length() < 12) {
        return new Answer(-1, "", response);
      }
      int split = response.indexOf("\r\n\r\n");
      String head = split < 0 ? response : response.substring(0, split);
      String body = split < 0 ? "" : response.substring(split + 4);
      return new Answer(Integer.parseInt(response.substring(9, 12)), head.toLowerCase(Locale.ROOT), body);
    }
  }

  /** The request's first line, cut to 120 characters, to name it in a report. */
  public static String firstLine(String request) {
    String line = request.substring(0, Math.max(0, request.indexOf("\r\n")));
    return line.length() > 120 ? line.substring(0, 117) + "..." : line;
  }
}
