package io.modelrouter.schemas.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Generated hostile input for every JSON surface (policies, budgets, catalog entries, feedback): a valid document
 * with one to four mutations. Mutations in the tree replace a value anywhere with a hostile one (huge and negative
 * numbers, empty and very long strings, NUL and other control characters, emoji, null, the wrong type, deep
 * nesting), remove a field, add an unknown one; mutations of the text truncate it, repeat a key, nest it thousands
 * deep, put a bare NaN or infinity where a number is, or replace it with bytes that are not JSON at all.
 */
public final class HostileJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private HostileJson() {}

  /** Mutations of {@code valid} (a JSON document). */
  public static Arbitrary<String> mutationsOf(String valid) {
    JsonNode base = read(valid);
    return Arbitraries.randomValue(random -> mutate(base, random));
  }

  /** One mutation of {@code valid} (a JSON document), drawn from {@code random}. */
  public static String mutate(String valid, Random random) {
    return mutate(read(valid), random);
  }

  static String mutate(JsonNode base, Random random) {
    JsonNode tree = base.deepCopy();
    int operations = 1 + random.nextInt(4);
    String text = null;
    for (int i = 0; i < operations; i++) {
      int kind = random.nextInt(10);
      if (kind < 6) {
        tree = mutateTree(tree, random);
      } else {
        text = mutateText(text == null ? tree.toString() : text, random);
      }
    }
    return text != null ? text : tree.toString();
  }

  private static JsonNode mutateTree(JsonNode tree, Random random) {
    List<JsonNode> containers = new ArrayList<>();
    collect(tree, containers);
    JsonNode target = containers.get(random.nextInt(containers.size()));
    if (target instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      int what = random.nextInt(3);
      if (what == 0 || names.isEmpty()) {
        object.set("unknown" + random.nextInt(100), hostileValue(random));
      } else if (what == 1) {
        object.remove(names.get(random.nextInt(names.size())));
      } else {
        object.set(names.get(random.nextInt(names.size())), hostileValue(random));
      }
    } else if (target instanceof ArrayNode array) {
      if (array.isEmpty() || random.nextBoolean()) {
        array.add(hostileValue(random));
      } else {
        array.set(random.nextInt(array.size()), hostileValue(random));
      }
    }
    return tree;
  }

  private static void collect(JsonNode node, List<JsonNode> out) {
    if (node.isContainerNode()) {
      out.add(node);
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        collect(it.next(), out);
      }
    }
  }

  static JsonNode hostileValue(Random random) {
    return switch (random.nextInt(20)) {
      case 0 -> NODES.numberNode(Long.MAX_VALUE);
      case 1 -> NODES.numberNode(Long.MIN_VALUE);
      case 2 -> NODES.numberNode(-1);
      case 3 -> NODES.numberNode(0);
      case 4 -> NODES.numberNode(1e308);
      case 5 -> NODES.numberNode(-1e-308);
      case 6 -> NODES.numberNode(new java.math.BigDecimal("1e400"));
      case 7 -> NODES.textNode("");
      case 8 -> NODES.textNode("x".repeat(10_000 + random.nextInt(20_000)));
      case 9 -> NODES.textNode("a\u0000b\u0007\u001b[31m");
      case 10 -> NODES.textNode("😀👍🏽 ../../etc/passwd");
      case 11 -> NODES.nullNode();
      case 12 -> NODES.booleanNode(random.nextBoolean());
      case 13 -> NODES.arrayNode();
      case 14 -> NODES.objectNode();
      case 15 -> NODES.numberNode(0.5);
      case 16 -> NODES.textNode("NaN");
      case 17 -> {
        ObjectNode nested = NODES.objectNode();
        ObjectNode at = nested;
        for (int i = 0; i < 50; i++) {
          at = at.putObject("n");
        }
        yield nested;
      }
      case 18 -> NODES.arrayNode().add(1).add("two").add(NODES.nullNode());
      default -> NODES.textNode(Integer.toString(random.nextInt()));
    };
  }

  static String mutateText(String text, Random random) {
    return switch (random.nextInt(8)) {
      case 0 -> text.substring(0, random.nextInt(Math.max(1, text.length())));
      case 6 -> { // a bare NaN or infinity where the first number is (not JSON; parsers with leniency take it)
        String[] literals = {"NaN", "Infinity", "-Infinity", "1e99999", "-0"};
        yield text.replaceFirst(":\\s*-?[0-9][0-9.eE+-]*", ": " + literals[random.nextInt(literals.length)]);
      }
      case 1 -> {
        // a key repeated: the first field again with another value
        int brace = text.indexOf('{');
        yield brace < 0 ? text : text.substring(0, brace + 1) + "\"version\": -5, \"version\": \"x\", "
            + text.substring(brace + 1);
      }
      case 2 -> "[".repeat(5_000) + "]".repeat(5_000);
      case 3 -> "{\"a\":" + "1".repeat(5_000) + "}";
      case 4 -> new String(bytes(random), java.nio.charset.StandardCharsets.ISO_8859_1);
      case 5 -> text + "garbage after the document";
      default -> text.replace("\"", "'");
    };
  }

  private static byte[] bytes(Random random) {
    byte[] out = new byte[random.nextInt(64)];
    random.nextBytes(out);
    return out;
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a valid base document: " + e.getMessage(), e);
    }
  }
}
