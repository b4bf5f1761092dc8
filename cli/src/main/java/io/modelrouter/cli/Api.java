package io.modelrouter.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** budget-service's HTTP API: a refused call becomes a {@link CliException} with the service's error and problems. */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  private final String base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  Api(String base, String token) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    this.token = token;
  }

  /** The response, whatever its status. */
  HttpResponse<String> call(String method, String path, String accept, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("Accept", accept)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new CliException("cannot reach budget-service at " + base + " (--url or MR_URL)");
    } catch (IOException e) {
      throw new CliException("budget-service at " + base + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }

  /** The body of a 2xx answer; any other status is a CliException saying what the service said. */
  String ok(String method, String path, String accept, String body) {
    HttpResponse<String> response = call(method, path, accept, body);
    if (response.statusCode() / 100 != 2) {
      throw refused(method, path, response);
    }
    return response.body();
  }

  JsonNode json(String method, String path, String body) {
    String text = ok(method, path, "application/json", body);
    try {
      return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    } catch (IOException e) {
      throw new CliException(method + " " + path + ": the answer is not JSON: " + e.getMessage());
    }
  }

  static CliException refused(String method, String path, HttpResponse<String> response) {
    String error = response.body();
    List<String> problems = new ArrayList<>();
    try {
      JsonNode node = JSON.readTree(response.body());
      if (node.has("error")) {
        error = node.get("error").asText();
        node.path("problems").forEach(p -> problems.add(p.asText()));
        if (node.has("permission")) {
          problems.add("permission: " + node.get("permission").asText());
        }
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the body as it is
    }
    return new CliException(method + " " + path + ": " + response.statusCode() + " " + error, problems);
  }
}
