package io.modelrouter.worker;

import io.modelrouter.config.Setting;
import io.modelrouter.worker.provider.AnthropicProvider;
import io.modelrouter.worker.provider.BedrockProvider;
import io.modelrouter.worker.provider.OpenAiCompatibleProvider;
import io.modelrouter.worker.provider.Provider;
import io.modelrouter.worker.provider.SimulatedProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.regions.Region;

/**
 * Builds the worker's providers from its settings. With {@code worker.simulate=auto} a provider without
 * credentials is simulated, and the worker says so at start-up; keys are never printed. Keys come from
 * {@code providers.<name>.api.key}, a file ({@code providers.<name>.api.key.file}), or the vendor's usual
 * variable (ANTHROPIC_API_KEY, OPENAI_API_KEY, MOONSHOT_API_KEY; for Bedrock the AWS credential chain when
 * AWS_ACCESS_KEY_ID, AWS_PROFILE or AWS_WEB_IDENTITY_TOKEN_FILE is set). Ollama needs no key.
 */
public final class Providers {
  private static final Logger LOG = LoggerFactory.getLogger(Providers.class);
  private static final Map<String, String> DEFAULT_URLS = Map.of(
      "anthropic", "https://api.anthropic.com",
      "openai", "https://api.openai.com/v1",
      "moonshot", "https://api.moonshot.ai/v1",
      "ollama", "http://localhost:11434/v1");
  private static final Map<String, String> VENDOR_KEYS = Map.of(
      "anthropic", "ANTHROPIC_API_KEY", "openai", "OPENAI_API_KEY", "moonshot", "MOONSHOT_API_KEY");

  private Providers() {}

  /** Every configured provider by name; simulated ones where the settings or missing credentials say so. */
  public static Map<String, Provider> build(WorkerConfig config, Map<String, String> environment) {
    Map<String, Provider> providers = new LinkedHashMap<>();
    for (String name : config.providerNames()) {
      String type = config.providerType(name);
      boolean simulate = switch (config.simulate()) {
        case ALL -> true;
        case NONE -> false;
        case AUTO -> type.equals("simulated") || !hasCredentials(config, name, type, environment);
      };
      if (config.simulate() == WorkerConfig.Simulate.NONE && !type.equals("simulated") && !type.equals("bedrock")
          && !hasCredentials(config, name, type, environment)) {
        // Production: never a simulated answer billed to a budget. The provider is left out; a request routed to
        // one of its models fails over to the next model of its chain (attempt NOT_CONFIGURED), or fails.
        LOG.error("provider {}: NOT CONFIGURED: no credentials and worker.simulate=none (set {} or {}); requests "
            + "routed to its models fail over or FAIL", name, WorkerConfig.P_API_KEY.forName(name).envVar(),
            WorkerConfig.P_API_KEY_FILE.forName(name).envVar());
        continue;
      }
      Provider provider = simulate || type.equals("simulated")
          ? new SimulatedProvider(name, config.simulatorBehaviour(), config.simulatorFaults())
          : real(config, name, type, environment);
      LOG.info("provider {}: {}", name, simulate ? "SIMULATED (" + (config.simulate() == WorkerConfig.Simulate.ALL
          ? "worker.simulate=all" : "no credentials") + ")" : "real " + type + " API at " + baseUrl(config, name, type));
      providers.put(name, provider);
    }
    if (providers.isEmpty() && !config.providerNames().isEmpty()) {
      throw new IllegalArgumentException("worker.simulate=none and no provider has credentials: set at least one "
          + "provider's key (e.g. MR_PROVIDERS_ANTHROPIC_API_KEY), or run with worker.simulate=auto to simulate the "
          + "providers without one");
    }
    return providers;
  }

  static boolean hasCredentials(WorkerConfig config, String name, String type, Map<String, String> environment) {
    return switch (type) {
      case "bedrock" -> environment.containsKey("AWS_ACCESS_KEY_ID") || environment.containsKey("AWS_PROFILE")
          || environment.containsKey("AWS_WEB_IDENTITY_TOKEN_FILE")
          || environment.containsKey("AWS_BEARER_TOKEN_BEDROCK");
      case "openai" -> {
        if (apiKey(config, name, environment) != null) {
          yield true;
        }
        // Servers without auth (Ollama, vLLM) are real when their URL is configured explicitly.
        String url = config.provider(WorkerConfig.P_BASE_URL, name);
        yield url != null && !url.isBlank() && !VENDOR_KEYS.containsKey(name);
      }
      default -> apiKey(config, name, environment) != null;
    };
  }

  private static Provider real(WorkerConfig config, String name, String type, Map<String, String> environment) {
    Duration timeout = config.provider(WorkerConfig.P_TIMEOUT, name).plusSeconds(5);
    String url = baseUrl(config, name, type);
    return switch (type) {
      case "anthropic" -> new AnthropicProvider(name, url, require(apiKey(config, name, environment), config, name),
          timeout);
      case "bedrock" -> new BedrockProvider(name, Region.of(region(config, name, environment)),
          url == null ? null : URI.create(url), DefaultCredentialsProvider.builder().build(), timeout,
          bedrockBatch(config, name));
      default -> new OpenAiCompatibleProvider(name, require(url, config, name), apiKey(config, name, environment),
          timeout);
    };
  }

  /** Bedrock batch inference where its S3 location and service role are set, else none. */
  static BedrockProvider.BatchSettings bedrockBatch(WorkerConfig config, String name) {
    String uri = config.provider(WorkerConfig.P_BATCH_S3_URI, name);
    String role = config.provider(WorkerConfig.P_BATCH_ROLE_ARN, name);
    if (uri == null || uri.isBlank() || role == null || role.isBlank()) {
      if ((uri != null && !uri.isBlank()) || (role != null && !role.isBlank())) {
        LOG.warn("provider {}: Bedrock batch inference needs both {} and {}; BATCH requests take the normal path",
            name, WorkerConfig.P_BATCH_S3_URI.forName(name).key(), WorkerConfig.P_BATCH_ROLE_ARN.forName(name).key());
      }
      return null;
    }
    String endpoint = config.provider(WorkerConfig.P_BATCH_ENDPOINT, name);
    String s3Endpoint = config.provider(WorkerConfig.P_BATCH_S3_ENDPOINT, name);
    return new BedrockProvider.BatchSettings(uri.trim(), role.trim(), config.provider(WorkerConfig.P_BATCH_MIN_ITEMS,
        name), endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint.trim()),
        s3Endpoint == null || s3Endpoint.isBlank() ? null : URI.create(s3Endpoint.trim()));
  }

  private static String baseUrl(WorkerConfig config, String name, String type) {
    String url = config.provider(WorkerConfig.P_BASE_URL, name);
    if (url != null && !url.isBlank()) {
      return url;
    }
    return type.equals("bedrock") ? null : DEFAULT_URLS.getOrDefault(name, DEFAULT_URLS.get(type));
  }

  private static String region(WorkerConfig config, String name, Map<String, String> environment) {
    String region = config.provider(WorkerConfig.P_REGION, name);
    if (region != null && !region.isBlank()) {
      return region;
    }
    return environment.getOrDefault("AWS_REGION", environment.getOrDefault("AWS_DEFAULT_REGION", "us-east-1"));
  }

  static String apiKey(WorkerConfig config, String name, Map<String, String> environment) {
    String key = config.provider(WorkerConfig.P_API_KEY, name);
    if (key != null && !key.isBlank()) {
      return key.trim();
    }
    String file = config.provider(WorkerConfig.P_API_KEY_FILE, name);
    if (file != null && !file.isBlank()) {
      try {
        return Files.readString(Path.of(file)).trim();
      } catch (IOException e) {
        throw new UncheckedIOException(WorkerConfig.P_API_KEY_FILE.forName(name).key() + " names " + file
            + ", which cannot be read: " + e.getMessage(), e);
      }
    }
    String vendor = VENDOR_KEYS.get(name);
    String fromVendorVariable = vendor == null ? null : environment.get(vendor);
    return fromVendorVariable == null || fromVendorVariable.isBlank() ? null : fromVendorVariable.trim();
  }

  private static String require(String value, WorkerConfig config, String name) {
    if (value == null || value.isBlank()) {
      Setting<String> key = WorkerConfig.P_API_KEY.forName(name);
      throw new IllegalArgumentException("provider " + name + " is real (worker.simulate=none) but has no credentials: "
          + "set " + key.envVar() + " or " + WorkerConfig.P_API_KEY_FILE.forName(name).envVar());
    }
    return value;
  }
}
