package io.modelrouter.router.learned;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A prompt labelled with the cheapest tier that answers it well enough (see docs/exemplars.md for the rubric).
 * The shipped sets are {@code exemplars/train.jsonl} and {@code exemplars/test.jsonl} on the classpath; the test
 * set is never fitted or tuned on.
 */
public record Exemplar(String id, String taskType, String system, String prompt, Tier tier) {
  public static final String TRAIN = "/exemplars/train.jsonl";
  public static final String TEST = "/exemplars/test.jsonl";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public Exemplar {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(taskType, "taskType");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(tier, "tier");
  }

  /** The text an exemplar or a request is embedded as: its task type, then its system prompt and prompt. */
  public static String text(String taskType, String system, String prompt) {
    StringBuilder text = new StringBuilder();
    text.append(taskType == null ? "" : taskType).append(": ");
    if (system != null && !system.isBlank()) {
      text.append(system).append('\n');
    }
    return text.append(prompt == null ? "" : prompt).toString();
  }

  public String text() {
    return text(taskType, system, prompt);
  }

  /** Reads a JSON-lines resource of exemplars; a bad line fails naming its number. */
  public static List<Exemplar> load(String resource) {
    InputStream in = Exemplar.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException("no exemplar set " + resource + " on the classpath");
    }
    List<Exemplar> out = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        try {
          JsonNode json = MAPPER.readTree(line);
          out.add(new Exemplar(json.path("id").asText(null), json.path("taskType").asText(null),
              json.hasNonNull("system") ? json.get("system").asText() : null, json.path("prompt").asText(null),
              Tier.parse(json.path("label").asText(null))));
        } catch (IOException | RuntimeException e) {
          throw new IllegalStateException(resource + ":" + number + ": not an exemplar: " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
