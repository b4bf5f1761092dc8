package io.modelrouter.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README and every page under {@code docs/}: each relative link leads to a file of the repository and each
 * {@code #anchor} to a heading of its target (GitHub's slugs); nothing points outside the repository; the README
 * stays short.
 */
class DocumentationLinksTest {
  /** {@code [text](target)}, the target without spaces; images too. */
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");

  private static Path root;
  private static List<Path> pages;

  @BeforeAll
  static void find() throws IOException {
    root = ProjectFiles.root();
    pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
  }

  @Test
  void everyRelativeLinkLeadsToAFileAndEveryAnchorToAHeading() throws IOException {
    Map<Path, Set<String>> anchors = new HashMap<>();
    List<String> problems = new ArrayList<>();
    int links = 0;
    for (Path page : pages) {
      List<String> lines = prose(page);
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = LINK.matcher(lines.get(i));
        while (m.find()) {
          String target = m.group(1);
          if (target.matches("^[a-z]+:.*")) {
            continue; // https:, mailto: ...
          }
          links++;
          String where = root.relativize(page) + ":" + (i + 1) + ": " + target;
          int hash = target.indexOf('#');
          String file = hash < 0 ? target : target.substring(0, hash);
          Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
          if (!resolved.startsWith(root)) {
            problems.add(where + " leaves the repository");
          } else if (!Files.exists(resolved)) {
            problems.add(where + " names a file that does not exist");
          } else if (hash >= 0 && resolved.toString().endsWith(".md")) {
            Set<String> headings = anchors.computeIfAbsent(resolved, DocumentationLinksTest::headingSlugs);
            if (!headings.contains(target.substring(hash + 1))) {
              problems.add(where + " names no heading of " + root.relativize(resolved));
            }
          }
        }
      }
    }
    assertThat(links).as("relative links checked").isGreaterThan(20);
    assertThat(problems).isEmpty();
  }

  @Test
  void noPageCitesADocumentOutsideTheRepository() throws IOException {
    List<String> problems = new ArrayList<>();
    for (Path page : pages) {
      List<String> lines = Files.readAllLines(page);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.contains("../shared") || line.contains("DESIGN.md") || line.contains("STYLE.md")) {
          problems.add(root.relativize(page) + ":" + (i + 1) + ": " + line.strip());
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void theReadmeStaysShort() throws IOException {
    assertThat(Files.size(root.resolve("README.md"))).as("README.md bytes; the rest belongs in docs/")
        .isLessThanOrEqualTo(10 * 1024);
  }

  @Test
  void slugsFollowGitHubsRules() {
    assertThat(slug("Where to make a change")).isEqualTo("where-to-make-a-change");
    assertThat(slug("Serde and schema registry")).isEqualTo("serde-and-schema-registry");
    assertThat(slug("The contract (`schemas/`)")).isEqualTo("the-contract-schemas");
    assertThat(slug("Worker (`provider-worker`, `WorkerMain`)")).isEqualTo("worker-provider-worker-workermain");
    assertThat(slug("1. Crash: kill -9")).isEqualTo("1-crash-kill--9");
  }

  /** The lines outside fenced code blocks. */
  private static List<String> prose(Path page) throws IOException {
    List<String> out = new ArrayList<>();
    boolean fenced = false;
    for (String line : Files.readAllLines(page)) {
      if (FENCE.matcher(line).find()) {
        fenced = !fenced;
        out.add("");
        continue;
      }
      out.add(fenced ? "" : line);
    }
    return out;
  }

  private static Set<String> headingSlugs(Path page) {
    Set<String> slugs = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    try {
      for (String line : prose(page)) {
        if (line.startsWith("#")) {
          String slug = slug(line.replaceFirst("^#+\\s*", ""));
          int n = seen.merge(slug, 1, Integer::sum);
          slugs.add(n == 1 ? slug : slug + "-" + (n - 1));
        }
        Matcher anchor = Pattern.compile("<a (?:name|id)=\"([^\"]+)\"").matcher(line);
        while (anchor.find()) {
          slugs.add(anchor.group(1));
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return slugs;
  }

  /** GitHub's heading anchor: lower case, punctuation but '-' and '_' removed, each space a '-'. */
  static String slug(String heading) {
    String text = heading.strip().toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
        out.appendCodePoint(c);
      } else if (c == ' ') {
        out.append('-');
      }
      i += Character.charCount(c);
    }
    return out.toString();
  }
}
