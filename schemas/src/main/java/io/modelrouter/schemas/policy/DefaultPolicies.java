package io.modelrouter.schemas.policy;

import io.modelrouter.avro.AutoRouting;
import io.modelrouter.avro.AutoStrategy;
import io.modelrouter.avro.ModelSpec;
import io.modelrouter.avro.RoutingPolicy;
import io.modelrouter.schemas.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The routing policy and model catalog that ship with the project (resources under {@code /policy}). */
public final class DefaultPolicies {
  private static final List<ModelSpec> CATALOG =
      PolicyJson.parseCatalog(PolicyJson.read(resource("default-catalog.json"), "default catalog"));
  private static final RoutingPolicy POLICY = PolicyJson.parseRoutingPolicy(Topics.DEFAULT_POLICY_KEY,
      PolicyJson.read(resource("default-routing-policy.json"), "default routing policy"), catalogById());

  private DefaultPolicies() {}

  /** The default policy (key {@code *}, version 0). A new copy each call: Avro records are mutable. */
  public static RoutingPolicy routingPolicy() {
    return RoutingPolicy.newBuilder(POLICY).build();
  }

  /**
   * The default policy with the strategy it shipped with until 2026-12-07: {@code hybrid} (the routing table, moved by
   * the keyword complexity score) with the embedding model and the schema's default quality target. For tests and
   * benchmarks of that strategy.
   */
  public static RoutingPolicy hybridRoutingPolicy() {
    RoutingPolicy policy = routingPolicy();
    policy.setAuto(AutoRouting.newBuilder(policy.getAuto())
        .setStrategy(AutoStrategy.HYBRID).setModel("embedding").setQualityTarget(0.8).build());
    return policy;
  }

  public static List<ModelSpec> catalog() {
    return CATALOG.stream().map(m -> ModelSpec.newBuilder(m).build()).toList();
  }

  public static Map<String, ModelSpec> catalogById() {
    Map<String, ModelSpec> byId = new LinkedHashMap<>();
    CATALOG.forEach(m -> byId.put(m.getId(), ModelSpec.newBuilder(m).build()));
    return byId;
  }

  static String resource(String name) {
    try (InputStream in = DefaultPolicies.class.getResourceAsStream("/policy/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource /policy/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
