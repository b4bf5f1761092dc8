package io.modelrouter.worker.provider;

import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Locale;

/** How the three vendors' HTTP failures map onto {@link ProviderException.Kind}, in one place. */
final class HttpFailures {
  private HttpFailures() {}

  /**
   * @param type the vendor's error type or code (overloaded_error, context_length_exceeded, ThrottlingException ...)
   * @param message the vendor's error message
   * @param secret the key the call was made with, or null: any echo of it in the vendor's text (a proxy or an error
   *     page that repeats the Authorization header) is replaced by {@code ***}, so it never reaches a result, a topic
   *     or a log line
   */
  static ProviderException classify(String provider, int status, String type, String message, Duration retryAfter,
      String secret) {
    String lowerType = type == null ? "" : type.toLowerCase(Locale.ROOT);
    String lowerMessage = message == null ? "" : message.toLowerCase(Locale.ROOT);
    ProviderException.Kind kind;
    if (isContextWindow(lowerType, lowerMessage)) {
      kind = ProviderException.Kind.CONTEXT_WINDOW;
    } else if (status == 402 || isQuota(lowerType, lowerMessage)) {
      kind = ProviderException.Kind.QUOTA_EXHAUSTED;
    } else if (status == 429) {
      kind = ProviderException.Kind.RATE_LIMITED;
    } else if (status == 401 || status == 403) {
      kind = ProviderException.Kind.AUTH;
    } else if (status == 408 || status == 504) {
      kind = ProviderException.Kind.TIMEOUT;
    } else if (status >= 500) {
      kind = ProviderException.Kind.SERVER_ERROR;
    } else if (lowerType.contains("content_filter") || lowerType.contains("content_policy")
        || lowerMessage.contains("content policy")) {
      kind = ProviderException.Kind.CONTENT_POLICY;
    } else {
      kind = ProviderException.Kind.BAD_REQUEST;
    }
    String text = provider + " answered " + status + (type == null || type.isEmpty() ? "" : " " + type) + ": "
        + (message == null ? "(no message)" : truncate(message));
    return new ProviderException(kind, status, redact(type, secret), redact(text, secret),
        kind == ProviderException.Kind.RATE_LIMITED ? retryAfter : null, null);
  }

  /**
   * A spend limit, an exhausted balance or quota, a billing problem: retrying does not restore access, the next model
   * should be tried. Anthropic: 429 {@code rate_limit_error} with {@code enforced_spend_limit_reached}, 400 "reached
   * your specified API usage limits", 402 {@code billing_error}; OpenAI: 429 {@code insufficient_quota} with
   * {@code credit_balance_exhausted}, {@code organization_spend_limit_exceeded}, {@code project_spend_limit_exceeded}
   * or {@code organization_usage_limit_exceeded}.
   */
  static boolean isQuota(String lowerType, String lowerMessage) {
    return lowerType.contains("insufficient_quota") || lowerType.contains("spend_limit")
        || lowerType.contains("usage_limit") || lowerType.contains("credit_balance") || lowerType.contains("billing")
        || lowerMessage.contains("spend limit") || lowerMessage.contains("usage limit")
        || lowerMessage.contains("exceeded your current quota") || lowerMessage.contains("credit balance");
  }

  /** The text with every occurrence of the secret replaced by {@code ***}; short or absent secrets leave it as is. */
  static String redact(String text, String secret) {
    if (text == null || secret == null || secret.length() < 8) {
      return text;
    }
    return text.replace(secret, "***");
  }

  static boolean isContextWindow(String lowerType, String lowerMessage) {
    return lowerType.contains("context_length_exceeded") || lowerType.contains("context_window")
        || lowerMessage.contains("prompt is too long") || lowerMessage.contains("input is too long")
        || lowerMessage.contains("maximum context length") || lowerMessage.contains("context window")
        || lowerMessage.contains("too many input tokens") || lowerMessage.contains("context length");
  }

  /** A transport failure: a timeout (also OkHttp's call timeout), or a connection that failed. */
  static ProviderException transport(String provider, Throwable failure, String secret) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SocketTimeoutException || (t instanceof InterruptedIOException && !(t instanceof java.io.FileNotFoundException))) {
        return new ProviderException(ProviderException.Kind.TIMEOUT, null, "timeout",
            redact(provider + " did not answer in time: " + t.getMessage(), secret), null, failure);
      }
      if (t instanceof ConnectException) {
        return new ProviderException(ProviderException.Kind.NETWORK, null, "connect",
            redact(provider + " could not be reached: " + t.getMessage(), secret), null, failure);
      }
    }
    return new ProviderException(ProviderException.Kind.NETWORK, null, "io",
        redact(provider + " call failed: " + failure.getMessage(), secret), null, failure);
  }

  static String truncate(String text) {
    return text.length() > 500 ? text.substring(0, 500) + "..." : text;
  }

  /**
   * end_turn, max_tokens, stop_sequence, tool_use, refusal (the model declined: Anthropic's "refusal", OpenAI's
   * refusal field), content_filter (a filter or guardrail cut the answer), pause_turn (a server tool paused a long
   * turn), context_window_exceeded, or other.
   */
  static String normalizeStop(String raw) {
    if (raw == null) {
      return "other";
    }
    return switch (raw.toLowerCase(Locale.ROOT)) {
      case "end_turn", "stop" -> "end_turn";
      case "max_tokens", "length" -> "max_tokens";
      case "stop_sequence" -> "stop_sequence";
      case "tool_use", "tool_calls", "function_call" -> "tool_use";
      case "refusal" -> "refusal";
      case "pause_turn" -> "pause_turn";
      case "content_filter", "guardrail_intervened", "content_filtered" -> "content_filter";
      case "model_context_window_exceeded" -> "context_window_exceeded";
      default -> "other";
    };
  }
}
