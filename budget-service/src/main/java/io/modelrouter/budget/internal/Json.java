package io.modelrouter.budget.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelrouter.avro.BudgetAction;
import io.modelrouter.avro.BudgetAlert;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.schemas.policy.PolicyJson;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.List;

/**
 * JSON answers. Money is written twice: micro-units as a long and the decimal amount as a {@link BigDecimal}
 * written plainly ({@code 10}, never {@code 1E+1}); no binary floating point touches money.
 */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private Json() {}

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code {"error": "...", "problems": [...]}}; problems only when there are some. */
  public static ObjectNode error(String error, List<String> problems) {
    ObjectNode out = object();
    out.put("error", error);
    if (!problems.isEmpty()) {
      problems.forEach(out.putArray("problems")::add);
    }
    return out;
  }

  /** Micro-units as a decimal: 430000 to 0.43. */
  public static BigDecimal decimal(long micros) {
    return PolicyJson.dollars(micros);
  }

  /** A fraction for display, four decimals (0.3642), not money. */
  public static BigDecimal fraction(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return BigDecimal.ZERO;
    }
    return BigDecimal.valueOf(value).setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
  }

  public static void instant(ObjectNode node, String field, Instant at) {
    if (at == null) {
      node.putNull(field);
    } else {
      node.put(field, at.toString());
    }
  }

  public static void money(ObjectNode node, String prefix, String decimalName, long micros) {
    node.put(prefix + "Micros", micros);
    node.put(decimalName, decimal(micros));
  }

  public static ObjectNode breakdown(UsageBreakdown b) {
    ObjectNode out = object();
    out.put("inputTokens", b.getInputTokens());
    out.put("outputTokens", b.getOutputTokens());
    out.put("cachedInputTokens", b.getCachedInputTokens());
    money(out, "cost", "costUsd", b.getCostMicros());
    money(out, "credits", "credits", b.getCreditsMicros());
    out.put("calls", b.getCalls());
    return out;
  }

  public static ObjectNode action(BudgetAction a) {
    ObjectNode out = object();
    out.put("team", a.getTeamId());
    out.put("state", a.getState().name());
    out.put("reason", a.getReason());
    out.put("window", a.getWindow() == null ? null : a.getWindow().name());
    out.put("windowStart", a.getWindowStart());
    instant(out, "since", a.getSince());
    out.put("dailyState", a.getDailyState().name());
    out.put("monthlyState", a.getMonthlyState().name());
    out.put("fraction", fraction(a.getFraction()));
    out.put("metric", a.getMetric());
    out.put("usage", a.getUsage());
    out.put("limit", a.getLimit());
    out.put("policyVersion", a.getPolicyVersion());
    out.put("manualReset", a.getManualReset());
    return out;
  }

  public static ObjectNode alert(BudgetAlert a) {
    ObjectNode out = object();
    out.put("alertId", a.getAlertId());
    out.put("team", a.getTeamId());
    out.put("window", a.getWindow().name());
    out.put("windowStart", a.getWindowStart());
    out.put("threshold", fraction(a.getThreshold()));
    out.put("fraction", fraction(a.getFraction()));
    out.put("metric", a.getMetric());
    out.put("usage", a.getUsage());
    out.put("limit", a.getLimit());
    out.put("state", a.getState().name());
    out.put("previousState", a.getPreviousState().name());
    out.put("message", a.getMessage());
    instant(out, "at", a.getAt());
    out.put("policyVersion", a.getPolicyVersion());
    return out;
  }
}
