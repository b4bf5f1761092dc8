package io.modelrouter.schemas.serde;

import io.modelrouter.schemas.registry.CachingSchemaRegistryClient;
import io.modelrouter.schemas.registry.HttpSchemaRegistryClient;
import io.modelrouter.schemas.registry.InMemorySchemaRegistryClient;
import io.modelrouter.schemas.registry.SchemaRegistryClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the Avro serde, under the same keys as Confluent's serializers so that existing client
 * configuration carries over. Immutable; {@link #from} validates and says what was wrong and what was given.
 * Never prints credentials ({@link #toString} masks them).
 */
public final class AvroSerdeConfig {
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
  public static final String USE_LATEST_VERSION = "use.latest.version";
  public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
  public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
  public static final String REQUEST_TIMEOUT_MS = "http.read.timeout.ms";
  public static final String LATEST_CACHE_TTL_SEC = "latest.cache.ttl.sec";

  private final List<URI> urls;
  private final boolean autoRegister;
  private final boolean useLatestVersion;
  private final boolean specificReader;
  private final Optional<String> authorization;
  private final Duration requestTimeout;
  private final Duration latestCacheTtl;

  private AvroSerdeConfig(List<URI> urls, boolean autoRegister, boolean useLatestVersion, boolean specificReader,
      Optional<String> authorization, Duration requestTimeout, Duration latestCacheTtl) {
    this.urls = urls;
    this.autoRegister = autoRegister;
    this.useLatestVersion = useLatestVersion;
    this.specificReader = specificReader;
    this.authorization = authorization;
    this.requestTimeout = requestTimeout;
    this.latestCacheTtl = latestCacheTtl;
  }

  /** A config for the given registry URL(s) with Confluent's defaults. */
  public static AvroSerdeConfig forUrl(String url) {
    return from(Map.of(SCHEMA_REGISTRY_URL, url));
  }

  public static AvroSerdeConfig from(Map<String, ?> configs) {
    Object rawUrls = configs.get(SCHEMA_REGISTRY_URL);
    if (rawUrls == null || rawUrls.toString().isBlank()) {
      throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + " is required (e.g. http://localhost:8081), got none");
    }
    List<URI> urls = new ArrayList<>();
    for (String part : rawUrls.toString().split(",")) {
      String trimmed = part.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      try {
        URI uri = URI.create(trimmed);
        if (uri.getScheme() == null || !List.of("http", "https", "mock").contains(uri.getScheme())) {
          throw new IllegalArgumentException("scheme must be http, https or mock");
        }
        urls.add(uri);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(SCHEMA_REGISTRY_URL + " has an invalid URL '" + redact(trimmed) + "': "
            + e.getMessage(), e);
      }
    }
    boolean autoRegister = bool(configs, AUTO_REGISTER_SCHEMAS, true);
    boolean useLatest = bool(configs, USE_LATEST_VERSION, false);
    boolean specific = bool(configs, SPECIFIC_AVRO_READER, false);
    long timeoutMs = number(configs, REQUEST_TIMEOUT_MS, 30_000);
    long ttlSec = number(configs, LATEST_CACHE_TTL_SEC, 60);
    return new AvroSerdeConfig(List.copyOf(urls), autoRegister, useLatest, specific, authorization(configs, urls),
        Duration.ofMillis(timeoutMs), Duration.ofSeconds(ttlSec));
  }

  private static Optional<String> authorization(Map<String, ?> configs, List<URI> urls) {
    Object token = configs.get(BEARER_AUTH_TOKEN);
    String bearerSource = string(configs, BEARER_AUTH_CREDENTIALS_SOURCE, token == null ? "" : "STATIC_TOKEN");
    if (!bearerSource.isEmpty()) {
      if (!bearerSource.equalsIgnoreCase("STATIC_TOKEN")) {
        throw new IllegalArgumentException(BEARER_AUTH_CREDENTIALS_SOURCE + " supports STATIC_TOKEN only, got '"
            + bearerSource + "'");
      }
      if (token == null || token.toString().isBlank()) {
        throw new IllegalArgumentException(BEARER_AUTH_TOKEN + " is required when " + BEARER_AUTH_CREDENTIALS_SOURCE
            + " is STATIC_TOKEN");
      }
      return Optional.of("Bearer " + token);
    }
    String source = string(configs, BASIC_AUTH_CREDENTIALS_SOURCE, "URL").toUpperCase(Locale.ROOT);
    String userInfo = switch (source) {
      case "USER_INFO" -> {
        Object info = configs.get(BASIC_AUTH_USER_INFO);
        if (info == null || !info.toString().contains(":")) {
          throw new IllegalArgumentException(BASIC_AUTH_USER_INFO
              + " must be 'user:password' when " + BASIC_AUTH_CREDENTIALS_SOURCE + " is USER_INFO");
        }
        yield info.toString();
      }
      case "URL" -> urls.stream().map(URI::getRawUserInfo).filter(u -> u != null && !u.isEmpty()).findFirst()
          .map(u -> java.net.URLDecoder.decode(u, StandardCharsets.UTF_8)).orElse(null);
      default -> throw new IllegalArgumentException(BASIC_AUTH_CREDENTIALS_SOURCE
          + " must be URL or USER_INFO, got '" + source + "'");
    };
    return Optional.ofNullable(userInfo)
        .map(u -> "Basic " + Base64.getEncoder().encodeToString(u.getBytes(StandardCharsets.UTF_8)));
  }

  /** Builds the registry client these settings describe: a shared in-memory one for mock://, else a cached HTTP one. */
  public SchemaRegistryClient createClient() {
    URI first = urls.get(0);
    if ("mock".equals(first.getScheme())) {
      return InMemorySchemaRegistryClient.forScope(first.getHost() == null ? first.toString() : first.getHost());
    }
    List<URI> withoutUserInfo = urls.stream().map(AvroSerdeConfig::stripUserInfo).toList();
    return new CachingSchemaRegistryClient(new HttpSchemaRegistryClient(withoutUserInfo, authorization, requestTimeout),
        latestCacheTtl, Clock.systemUTC());
  }

  public Map<String, Object> toMap() {
    Map<String, Object> map = new HashMap<>();
    map.put(SCHEMA_REGISTRY_URL, String.join(",", urls.stream().map(URI::toString).toList()));
    map.put(AUTO_REGISTER_SCHEMAS, autoRegister);
    map.put(USE_LATEST_VERSION, useLatestVersion);
    map.put(SPECIFIC_AVRO_READER, specificReader);
    map.put(REQUEST_TIMEOUT_MS, requestTimeout.toMillis());
    map.put(LATEST_CACHE_TTL_SEC, latestCacheTtl.toSeconds());
    authorization.ifPresent(a -> {
      if (a.startsWith("Bearer ")) {
        map.put(BEARER_AUTH_TOKEN, a.substring("Bearer ".length()));
      } else {
        map.put(BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
        map.put(BASIC_AUTH_USER_INFO,
            new String(Base64.getDecoder().decode(a.substring("Basic ".length())), StandardCharsets.UTF_8));
      }
    });
    return map;
  }

  private static URI stripUserInfo(URI uri) {
    if (uri.getRawUserInfo() == null) {
      return uri;
    }
    return URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
        + (uri.getRawPath() == null ? "" : uri.getRawPath()));
  }

  private static String redact(String url) {
    return url.replaceAll("//[^@/]*@", "//***@");
  }

  private static boolean bool(Map<String, ?> configs, String key, boolean defaultValue) {
    Object value = configs.get(key);
    if (value == null) {
      return defaultValue;
    }
    String text = value.toString().trim().toLowerCase(Locale.ROOT);
    if (!text.equals("true") && !text.equals("false")) {
      throw new IllegalArgumentException(key + " must be true or false, got '" + value + "'");
    }
    return Boolean.parseBoolean(text);
  }

  private static long number(Map<String, ?> configs, String key, long defaultValue) {
    Object value = configs.get(key);
    if (value == null) {
      return defaultValue;
    }
    try {
      long parsed = Long.parseLong(value.toString().trim());
      if (parsed < 0) {
        throw new NumberFormatException("negative");
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a non-negative whole number, got '" + value + "'", e);
    }
  }

  private static String string(Map<String, ?> configs, String key, String defaultValue) {
    Object value = configs.get(key);
    return value == null ? defaultValue : value.toString().trim();
  }

  public List<URI> urls() {
    return urls;
  }

  public boolean autoRegister() {
    return autoRegister;
  }

  public boolean useLatestVersion() {
    return useLatestVersion;
  }

  public boolean specificReader() {
    return specificReader;
  }

  public boolean hasAuthorization() {
    return authorization.isPresent();
  }

  @Override
  public String toString() {
    return "AvroSerdeConfig{urls=" + urls.stream().map(u -> redact(u.toString())).toList()
        + ", autoRegister=" + autoRegister + ", useLatestVersion=" + useLatestVersion
        + ", specificReader=" + specificReader + ", auth=" + (authorization.isPresent() ? "***" : "none") + "}";
  }
}
