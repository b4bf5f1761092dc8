package io.modelrouter.local;

import io.modelrouter.config.Setting;
import io.modelrouter.config.Settings;
import io.modelrouter.worker.WorkerConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Which environment variables a container reads, so that the compose tests can refuse any other: a model-router
 * service reads its {@code MR_*} settings, plus the few non-{@code MR_} variables listed here, each with the
 * reason it is read; the Kafka and registry images have vocabularies of their own.
 */
final class ServiceVariables {
  /** Read by the JVM itself (every container): extra options without touching the image's command line. */
  static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
  /** Read by the worker's Providers when providers.<name>.api.key is not set. */
  static final Set<String> VENDOR_KEY_VARIABLES = Set.of("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "MOONSHOT_API_KEY");
  /**
   * Read by the AWS SDK's default credential chain in the worker's Bedrock provider (Providers treats Bedrock as
   * real when one of the first four is defined, even empty).
   */
  static final Set<String> AWS_CREDENTIAL_VARIABLES = Set.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
      "AWS_ROLE_SESSION_NAME", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  /** Read by Providers for Bedrock's region when providers.<name>.region is not set. */
  static final Set<String> AWS_OTHER_VARIABLES = Set.of("AWS_REGION", "AWS_DEFAULT_REGION");
  /**
   * Images that are not ours, by image name: the prefixes of the variables each one reads (apache/kafka turns
   * KAFKA_* into server properties and formats storage with CLUSTER_ID; grafana reads GF_*; cp-schema-registry turns SCHEMA_REGISTRY_*
   * into its properties). Anything else set on them is ignored by the image.
   */
  static final Map<String, List<String>> IMAGE_VOCABULARIES = Map.of(
      "apache/kafka", List.of("KAFKA_", "CLUSTER_ID"),
      "confluentinc/cp-schema-registry", List.of("SCHEMA_REGISTRY_"),
      // Grafana reads GF_<SECTION>_<KEY> as its ini settings; Prometheus is configured by its file, not variables
      "grafana/grafana", List.of("GF_"),
      "prom/prometheus", List.of());

  private static final Pattern ENTRYPOINT = Pattern.compile("(?m)^(?:ENTRYPOINT|CMD)\\s+(.*)$");
  private static final Pattern SHELL_VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");

  private ServiceVariables() {}

  /**
   * Every variable of a model-router container that its program does not read, or reads but would refuse.
   *
   * @param entrypointVariables what the image's entrypoint expands itself (JAVA_OPTS, MAIN_CLASS)
   */
  static List<String> problems(String service, ComposeFile.ServiceSpec spec, Map<String, String> env,
      Set<String> entrypointVariables) {
    List<Setting<?>> declared = spec.settings().get();
    Map<String, Setting<?>> plain = declared.stream().filter(s -> !s.isTemplate())
        .collect(Collectors.toMap(Setting::envVar, s -> s, (a, b) -> a));
    List<Setting<?>> templates = declared.stream().filter(Setting::isTemplate).toList();
    Set<String> clientConfigs = kafkaClientConfigNames(spec.kafkaStreams());
    List<String> providers = spec.isWorker() ? providerNames(service, env) : List.of();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> variable : env.entrySet()) {
      String name = variable.getKey();
      if (name.equals(Settings.CONFIG_FILE_ENV)) {
        continue;
      }
      if (!name.startsWith("MR_")) {
        if (!JVM_VARIABLES.contains(name) && !entrypointVariables.contains(name)
            && !(spec.isWorker() && isReadByWorker(name, providers))) {
          problems.add(service + ": " + name + " is not read by " + spec.simpleName() + " (it reads MR_* settings, "
              + "the JVM's " + new TreeSet<>(JVM_VARIABLES) + ", the entrypoint's " + new TreeSet<>(entrypointVariables)
              + (spec.isWorker() ? " and provider credentials" : "") + hint(name, plain.keySet()) + ")");
        }
        continue;
      }
      Setting<?> setting = plain.get(name);
      if (setting != null) {
        parses(service, setting, variable.getValue()).ifPresent(problems::add);
        continue;
      }
      Optional<String> templateName = templateName(templates, name);
      if (templateName.isPresent()) {
        if (!providers.contains(templateName.get())) {
          problems.add(service + ": " + name + " configures provider '" + templateName.get()
              + "', which is not in worker.providers " + providers + " (" + WorkerConfig.PROVIDERS.envVar()
              + "): the worker would ignore it");
        }
        continue;
      }
      if (name.startsWith("MR_KAFKA_")) {
        String clientKey = name.substring("MR_KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
        if (!clientConfigs.contains(clientKey)) {
          problems.add(service + ": " + name + " would pass '" + clientKey + "' to the Kafka clients of "
              + spec.simpleName() + ", which is not a Kafka client configuration");
        }
        continue;
      }
      problems.add(service + ": " + name + " is not read by " + spec.simpleName()
          + " (no setting in its allSettings() has that variable" + hint(name, plain.keySet()) + ")");
    }
    if (problems.isEmpty()) {
      try {
        spec.validate().apply(Settings.from(ComposeFile.resolved(env), Map.of()));
      } catch (RuntimeException e) {
        problems.add(service + ": " + spec.simpleName() + " refuses its environment: " + e.getMessage());
      }
    }
    return problems;
  }

  /** Variables of a container running an image that is not ours, outside that image's vocabulary. */
  static List<String> imageProblems(String service, String image, Map<String, String> env) {
    String name = image.contains(":") ? image.substring(0, image.lastIndexOf(':')) : image;
    List<String> vocabulary = IMAGE_VOCABULARIES.get(name);
    if (vocabulary == null) {
      return List.of(service + ": image " + image + " is neither built from the project nor one whose variables "
          + "these tests know (" + IMAGE_VOCABULARIES.keySet() + "): add its vocabulary to ServiceVariables");
    }
    return env.keySet().stream().filter(v -> vocabulary.stream().noneMatch(v::startsWith))
        .map(v -> service + ": " + v + " is not read by " + name + " (it reads " + vocabulary + "...)").toList();
  }

  /** The variables a Dockerfile's ENTRYPOINT or CMD expands at run time ($JAVA_OPTS, "$MAIN_CLASS"). */
  static Set<String> entrypointVariables(String dockerfile) {
    Set<String> out = new TreeSet<>();
    Matcher line = ENTRYPOINT.matcher(dockerfile);
    while (line.find()) {
      Matcher variable = SHELL_VARIABLE.matcher(line.group(1));
      while (variable.find()) {
        out.add(variable.group(1));
      }
    }
    return out;
  }

  static Optional<String> parses(String service, Setting<?> setting, String value) {
    String literal = ComposeFile.resolved(Map.of(setting.envVar(), value)).get(setting.envVar());
    if (literal.equals(ComposeFile.FROM_SHELL)) {
      return Optional.empty();
    }
    try {
      Settings.of(Map.of(setting.key(), literal)).get(setting);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(service + ": " + setting.envVar() + "=" + literal + " is invalid: " + e.getMessage());
    }
  }

  /** The lower-case name a template variable configures ({@code MR_PROVIDERS_OPENAI_TIMEOUT} gives openai). */
  static Optional<String> templateName(List<Setting<?>> templates, String variable) {
    for (Setting<?> template : templates) {
      String[] parts = template.envVar().split(Pattern.quote("<NAME>"), -1);
      Pattern pattern = Pattern.compile(Arrays.stream(parts).map(Pattern::quote)
          .collect(Collectors.joining("([A-Z][A-Z0-9]*)")));
      Matcher m = pattern.matcher(variable);
      if (m.matches()) {
        return Optional.of(m.group(1).toLowerCase(Locale.ROOT));
      }
    }
    return Optional.empty();
  }

  static List<String> providerNames(String service, Map<String, String> env) {
    try {
      return new WorkerConfig(Settings.from(ComposeFile.resolved(env), Map.of())).providerNames();
    } catch (RuntimeException e) {
      throw new AssertionError(service + ": " + WorkerConfig.PROVIDERS.envVar() + " is invalid: " + e.getMessage(), e);
    }
  }

  static boolean isProviderCredential(String variable, List<String> providers) {
    if (VENDOR_KEY_VARIABLES.contains(variable) || AWS_CREDENTIAL_VARIABLES.contains(variable)) {
      return true;
    }
    for (Setting<?> template : List.of(WorkerConfig.P_API_KEY, WorkerConfig.P_API_KEY_FILE)) {
      Optional<String> name = templateName(List.of(template), variable);
      if (name.isPresent() && providers.contains(name.get())) {
        return true;
      }
    }
    return false;
  }

  static boolean isReadByWorker(String variable, List<String> providers) {
    if (isProviderCredential(variable, providers) || AWS_OTHER_VARIABLES.contains(variable)) {
      return true;
    }
    if (WorkerConfig.allSettings().stream().anyMatch(s -> !s.isTemplate() && s.envVar().equals(variable))) {
      return true;
    }
    return templateName(WorkerConfig.PROVIDER_TEMPLATES, variable).filter(providers::contains).isPresent();
  }

  private static Set<String> kafkaClientConfigNames(boolean kafkaStreams) {
    Set<String> names = new HashSet<>();
    names.addAll(ProducerConfig.configNames());
    names.addAll(ConsumerConfig.configNames());
    names.addAll(AdminClientConfig.configNames());
    if (kafkaStreams) {
      names.addAll(StreamsConfig.configDef().names());
    }
    return names;
  }

  /** A hint for a near miss: the MR_ form of a bare name, or the declared variable at a small edit distance. */
  private static String hint(String variable, Set<String> declared) {
    if (!variable.startsWith("MR_") && (declared.contains("MR_" + variable) || variable.startsWith("KAFKA_"))) {
      return "; did you mean MR_" + variable + "?";
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : declared) {
      int distance = editDistance(variable, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return best != null && bestDistance <= Math.max(2, variable.length() / 8) ? "; did you mean " + best + "?" : "";
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
