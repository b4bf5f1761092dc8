package io.modelrouter.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} options with defaults; unknown options are refused by name. */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  BenchArgs(String[] args, Map<String, String> defaults) {
    values.putAll(defaults);
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --option value, got '" + arg + "'; options: " + defaults.keySet());
      }
      String name = arg.substring(2);
      if (!defaults.containsKey(name)) {
        throw new IllegalArgumentException("unknown option --" + name + "; options: " + defaults.keySet());
      }
      values.put(name, args[++i]);
    }
  }

  int integer(String name) {
    return Integer.parseInt(values.get(name));
  }

  double decimal(String name) {
    return Double.parseDouble(values.get(name));
  }

  String string(String name) {
    return values.get(name);
  }

  @Override
  public String toString() {
    return new java.util.TreeMap<>(values).toString();
  }
}
