package io.modelrouter.local;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelrouter.config.Setting;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The containers of {@code docker-compose.yml} can be built and run: each build names {@code docker/Dockerfile},
 * a module of the reactor and a main class there; every service runs somewhere; env files have committed examples
 * and are git-ignored; health checks, restarts and start order are in place.
 */
class ComposeBuildTest {
  private static final Pattern HEALTH_URL = Pattern.compile("https?://(?:localhost|127\\.0\\.0\\.1):(\\d+)/health\\b");

  private static ComposeFile compose;

  @BeforeAll
  static void readCompose() {
    compose = ComposeFile.read();
  }

  /** Each build names a Dockerfile, a module directory of the reactor and a main class that exists there. */
  @TestFactory
  Stream<DynamicTest> buildsReferenceModulesAndMainClasses() {
    Path root = compose.root;
    return compose.services.entrySet().stream().filter(e -> e.getValue().has("build"))
        .map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
          String service = entry.getKey();
          JsonNode build = entry.getValue().get("build");
          List<String> problems = new ArrayList<>();
          Path dockerfile = compose.dockerfile(entry.getValue()).orElseThrow();
          if (!Files.isRegularFile(dockerfile)) {
            fail(service + ": build.dockerfile " + root.relativize(dockerfile) + " does not exist");
          }
          String dockerfileText = Files.readString(dockerfile);
          Map<String, String> args = new LinkedHashMap<>();
          build.path("args").properties().forEach(a -> args.put(a.getKey(), a.getValue().asText()));
          for (String arg : args.keySet()) {
            if (!Pattern.compile("(?m)^ARG\\s+" + Pattern.quote(arg) + "\\b").matcher(dockerfileText).find()) {
              problems.add(service + ": build arg " + arg + " is not declared (ARG) in " + root.relativize(dockerfile));
            }
          }
          String module = args.get("MODULE");
          String mainClass = args.get("MAIN_CLASS");
          if (module == null || mainClass == null) {
            fail(service + ": build.args must give MODULE and MAIN_CLASS, got " + args.keySet());
          }
          Path moduleDir = compose.buildContext(entry.getValue()).orElseThrow().resolve(module);
          if (!Files.isRegularFile(moduleDir.resolve("pom.xml"))) {
            problems.add(service + ": MODULE=" + module + " is not a module directory (no " + module + "/pom.xml)");
          } else {
            String artifactId = pomValue(moduleDir.resolve("pom.xml"), "artifactId");
            if (!module.equals(artifactId)) {
              problems.add(service + ": MODULE=" + module + " but its artifactId is " + artifactId
                  + "; the Dockerfile copies target/${MODULE}-${VERSION}.jar");
            }
            if (!pomModules(root.resolve("pom.xml")).contains(module)) {
              problems.add(service + ": MODULE=" + module + " is not a <module> of the root pom.xml");
            }
          }
          Matcher version = Pattern.compile("(?m)^ARG\\s+VERSION=(\\S+)").matcher(dockerfileText);
          String projectVersion = pomValue(root.resolve("pom.xml"), "version");
          if (!version.find() || !version.group(1).equals(projectVersion)) {
            problems.add(service + ": " + root.relativize(dockerfile) + " must declare ARG VERSION=" + projectVersion
                + " (the project version, part of the jar's name)");
          }
          try {
            Class<?> type = Class.forName(mainClass, false, ComposeBuildTest.class.getClassLoader());
            Method main = type.getMethod("main", String[].class);
            if (!Modifier.isStatic(main.getModifiers())) {
              problems.add(service + ": MAIN_CLASS=" + mainClass + " has no static main(String[])");
            }
          } catch (ClassNotFoundException | NoSuchMethodException e) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " does not exist or has no main(String[]): " + e);
          }
          Path source = moduleDir.resolve("src/main/java/" + mainClass.replace('.', '/') + ".java");
          if (!Files.isRegularFile(source)) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " is not in module " + module + " (no "
                + root.relativize(source) + ")");
          }
          Optional<ComposeFile.ServiceSpec> spec = ComposeFile.SPECS.stream()
              .filter(s -> s.mainClass().equals(mainClass)).findFirst();
          if (spec.isEmpty()) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " is not a service these tests know: add it to "
                + "ComposeFile.SPECS with the settings it reads");
          } else if (!spec.get().module().equals(module)) {
            problems.add(service + ": MAIN_CLASS=" + mainClass + " lives in " + spec.get().module() + ", not " + module);
          }
          assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        }));
  }

  /** Every service main class runs in some container. */
  @Test
  void everyServiceRuns() {
    Set<String> run = compose.modelRouterServices().values().stream().map(ComposeFile.ServiceSpec::mainClass)
        .collect(Collectors.toSet());
    List<String> missing = ComposeFile.SPECS.stream().map(ComposeFile.ServiceSpec::mainClass)
        .filter(m -> !run.contains(m)).toList();
    assertTrue(missing.isEmpty(), () -> "docker-compose.yml runs no container for " + missing);
  }

  /** Each env_file has a committed .example, and the real file is git-ignored. */
  @TestFactory
  Stream<DynamicTest> envFilesHaveExamples() {
    Path root = compose.root;
    return compose.services.entrySet().stream().filter(e -> e.getValue().has("env_file"))
        .map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
          String service = entry.getKey();
          List<String> problems = new ArrayList<>();
          Set<String> ignored = Files.readAllLines(root.resolve(".gitignore")).stream().map(String::trim)
              .collect(Collectors.toSet());
          for (String envFile : ComposeFile.envFiles(entry.getValue())) {
            Path example = root.resolve(envFile + ".example");
            if (!Files.isRegularFile(example)) {
              problems.add(service + ": env_file " + envFile + " has no " + root.relativize(example));
            }
            String name = root.relativize(root.resolve(envFile).normalize()).toString();
            if (!ignored.contains(name) && !ignored.contains("/" + name)) {
              problems.add(service + ": env_file " + envFile + " holds secrets but is not in .gitignore");
            }
          }
          assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
        }));
  }

  /** Health checks everywhere, start order on health, restarts; the services' checks use their own port. */
  @TestFactory
  Stream<DynamicTest> healthChecksAndStartOrder() {
    return compose.services.entrySet().stream().map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
      String service = entry.getKey();
      JsonNode node = entry.getValue();
      List<String> problems = new ArrayList<>();
      JsonNode test = node.path("healthcheck").path("test");
      String command = test.isArray()
          ? String.join(" ", ComposeFile.streamOf(test).map(JsonNode::asText).toList())
          : test.asText("");
      if (command.isBlank()) {
        problems.add(service + ": has no healthcheck");
      }
      if (!node.path("restart").asText("").equals("unless-stopped")) {
        problems.add(service + ": restart should be unless-stopped, is '" + node.path("restart").asText("") + "'");
      }
      ComposeFile.dependsOn(node).forEach((dependency, condition) -> {
        if (!compose.services.containsKey(dependency)) {
          problems.add(service + ": depends on " + dependency + ", which is not a service");
        } else if (!condition.equals("service_healthy")) {
          problems.add(service + ": depends on " + dependency + " with condition '" + condition
              + "', should be service_healthy");
        }
      });
      Optional<ComposeFile.ServiceSpec> spec = ComposeFile.specOf(node);
      if (spec.isPresent() && !command.isBlank()) {
        String portKey = spec.get().healthPortKey();
        Optional<Setting<?>> portSetting = spec.get().settings().get().stream()
            .filter(s -> s.key().equals(portKey)).findFirst();
        Matcher url = HEALTH_URL.matcher(command);
        if (!url.find()) {
          problems.add(service + ": its healthcheck should GET http://localhost:<" + portKey + ">/health, is: "
              + command);
        } else if (portSetting.isEmpty()) {
          // Without the setting nothing says which port the service serves /health on, so the healthcheck's port
          // (and the ports published) could not be checked: that is a failure, not a reason to skip.
          problems.add(service + ": " + spec.get().simpleName() + " declares no setting " + portKey + " (ComposeFile"
              + ".SPECS names it as the port of GET /health), so its healthcheck's port " + url.group(1)
              + " cannot be checked against the port the service listens on: declare " + portKey + " in "
              + spec.get().simpleName().replace("Main", "") + "Config's settings, or name the setting it has in "
              + "ComposeFile.SPECS");
        } else {
          Object port = compose.effective(service, portSetting.get());
          if (!String.valueOf(port).equals(url.group(1))) {
            problems.add(service + ": its healthcheck uses port " + url.group(1) + " but " + portKey + " ("
                + portSetting.get().envVar() + ") is " + port);
          }
          for (JsonNode published : node.path("ports")) {
            String[] parts = published.asText().split(":");
            if (!parts[parts.length - 1].equals(String.valueOf(port))) {
              problems.add(service + ": publishes container port " + parts[parts.length - 1] + " but listens on "
                  + port + " (" + portSetting.get().envVar() + ")");
            }
          }
        }
      }
      assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }));
  }

  /** A direct child of the pom's project element. */
  private static String pomValue(Path pom, String element) throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
        .getDocumentElement();
    for (Node child = project.getFirstChild(); child != null; child = child.getNextSibling()) {
      if (child instanceof Element e && e.getTagName().equals(element)) {
        return e.getTextContent().trim();
      }
    }
    return null;
  }

  private static List<String> pomModules(Path pom) throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
        .getDocumentElement();
    List<String> modules = new ArrayList<>();
    var nodes = project.getElementsByTagName("module");
    for (int i = 0; i < nodes.getLength(); i++) {
      modules.add(nodes.item(i).getTextContent().trim());
    }
    return modules;
  }
}
