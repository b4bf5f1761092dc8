package io.modelrouter.cli;

import java.util.List;

/** A refusal or failure mr reports as "mr: message" (and the details, one per line) with exit status 1. */
final class CliException extends RuntimeException {
  private final List<String> details;

  CliException(String message) {
    this(message, List.of());
  }

  CliException(String message, List<String> details) {
    super(message);
    this.details = List.copyOf(details);
  }

  List<String> details() {
    return details;
  }
}
