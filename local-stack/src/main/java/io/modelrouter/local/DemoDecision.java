package io.modelrouter.local;

import java.util.List;
import java.util.Locale;

/**
 * Whether the local stack runs its demo workload, and the banner's words for it. The demo sends requests
 * continuously (20 a second by default, validation and deep audits on the frontier model), which costs
 * nothing against simulated providers and real money against real ones: so with any real provider it runs only
 * when asked for explicitly ({@code --demo} or {@code local.demo=true}).
 *
 * @param run whether to start the demo
 * @param note why it is off, or the warning that it bills real providers; empty when there is nothing to say
 */
record DemoDecision(boolean run, String note) {

  /** The {@code local.demo} setting: {@code auto} (the default), {@code true} or {@code false}. */
  enum Mode {
    /** Run it when every provider is simulated. */
    AUTO,
    /** Run it even when providers are real (--demo). */
    ON,
    /** Never run it (--no-demo). */
    OFF;

    static Mode parse(String value) {
      return switch (value == null ? "" : value.trim().toLowerCase(Locale.ROOT)) {
        case "auto" -> AUTO;
        case "true" -> ON;
        case "false" -> OFF;
        default -> throw new IllegalArgumentException(LocalStackConfig.DEMO.key()
            + " must be auto, true or false, got '" + value + "'");
      };
    }
  }

  /**
   * @param realProviders the names of the providers the worker calls for real (sorted), empty when all are simulated
   * @param rate the demo's requests per second, for the banner
   */
  static DemoDecision decide(Mode mode, List<String> realProviders, String rate) {
    String real = String.join(", ", realProviders);
    return switch (mode) {
      case OFF -> new DemoDecision(false, "off (--no-demo)");
      case AUTO -> realProviders.isEmpty()
          ? new DemoDecision(true, "")
          : new DemoDecision(false, "off: the providers " + real + " are real, and the demo's " + rate
              + " requests/s (frontier models included) would be billed to your account; start with --demo "
              + "(or MR_LOCAL_DEMO=true) to run it anyway");
      case ON -> realProviders.isEmpty()
          ? new DemoDecision(true, "")
          : new DemoDecision(true, "ON against the real providers " + real + " (--demo): every demo request is "
              + "billed to your account; Ctrl-C stops it");
    };
  }
}
