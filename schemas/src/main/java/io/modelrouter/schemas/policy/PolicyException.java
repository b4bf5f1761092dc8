package io.modelrouter.schemas.policy;

import java.util.List;

/** A policy, budget or catalog entry that was refused; each problem names the JSON path and what is wrong. */
public final class PolicyException extends IllegalArgumentException {
  private final List<String> problems;

  public PolicyException(String what, List<String> problems) {
    super(what + " is invalid: " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
