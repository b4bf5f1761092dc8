package io.modelrouter.budget.internal;

import io.modelrouter.schemas.policy.PolicyException;
import java.util.List;

/**
 * An answer other than success: the HTTP status, one sentence, and the problems (each {@code $.path: problem})
 * where a body was refused. Its message must never contain a token.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final List<String> problems;
  private final String permission;

  public ApiException(int status, String error, List<String> problems) {
    this(status, error, problems, null);
  }

  /** @param permission the permission a 403 lacked, answered as {@code "permission"}; else null */
  public ApiException(int status, String error, List<String> problems, String permission) {
    super(error, null, false, false);
    this.status = status;
    this.problems = List.copyOf(problems);
    this.permission = permission;
  }

  public String permission() {
    return permission;
  }

  public static ApiException badRequest(String error) {
    return new ApiException(400, error, List.of());
  }

  public static ApiException notFound(String error) {
    return new ApiException(404, error, List.of());
  }

  /** A refused policy, budget or model: 400 with one problem per JSON path. */
  public static ApiException invalid(String what, PolicyException e) {
    return new ApiException(400, what + " is invalid (" + e.problems().size()
        + (e.problems().size() == 1 ? " problem)" : " problems)"), e.problems());
  }

  public int status() {
    return status;
  }

  public List<String> problems() {
    return problems;
  }
}
