package io.modelrouter.schemas;

import io.modelrouter.avro.FeedbackEvent;
import io.modelrouter.avro.FeedbackSource;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a valid {@link FeedbackEvent} is, checked the same way wherever one enters the system (the client SDK,
 * budget-service's {@code POST /teams/{team}/feedback}): each problem names the field.
 */
public final class Feedback {
  private Feedback() {}

  /** Longest request, session and feedback id accepted. */
  public static final int MAX_ID = 256;
  /** Longest comment accepted: a sentence or a short paragraph, not a log. */
  public static final int MAX_COMMENT = 2_000;
  /** Profile names as routing policies write them. */
  public static final Pattern PROFILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Team ids as budget-service accepts them. */
  public static final Pattern TEAM = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /** Every problem of the event, each {@code "<field>: <what is wrong>"}; empty when it is valid. */
  public static List<String> problems(FeedbackEvent event) {
    List<String> problems = new ArrayList<>();
    id(problems, "feedbackId", event.getFeedbackId(), true);
    id(problems, "requestId", event.getRequestId(), true);
    if (event.getTeamId() == null || !TEAM.matcher(event.getTeamId()).matches()) {
      problems.add("teamId: must be 1 to 64 of A-Z a-z 0-9 . _ -");
    }
    id(problems, "sessionId", event.getSessionId(), false);
    double score = event.getScore();
    if (Double.isNaN(score) || score < 0 || score > 1) {
      problems.add("score: must be a number from 0 to 1, got " + score);
    }
    if (event.getSource() == null || event.getSource() == FeedbackSource.UNKNOWN) {
      problems.add("source: must be one of HUMAN, TEST, JUDGE, IMPLICIT");
    }
    if (event.getNeededProfile() != null && !PROFILE.matcher(event.getNeededProfile()).matches()) {
      problems.add("neededProfile: must be a profile name (1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or "
          + "digit)");
    }
    if (event.getComment() != null && event.getComment().length() > MAX_COMMENT) {
      problems.add("comment: must be at most " + MAX_COMMENT + " characters, got " + event.getComment().length());
    }
    if (event.getEventTime() == null) {
      problems.add("eventTime: is required");
    }
    return problems;
  }

  /**
   * The event when it is valid, else null: for feedback the system derives itself (implicit signals), which must not
   * fill the DLQ with judgements of requests the learner could never use (a request id over {@link #MAX_ID}, a team
   * id budget-service would refuse).
   */
  public static FeedbackEvent validOrNull(FeedbackEvent event) {
    return problems(event).isEmpty() ? event : null;
  }

  /** The event, or an {@link IllegalArgumentException} listing every problem. */
  public static FeedbackEvent check(FeedbackEvent event) {
    List<String> problems = problems(event);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid feedback: " + String.join("; ", problems));
    }
    return event;
  }

  private static void id(List<String> problems, String field, String value, boolean required) {
    if (value == null) {
      if (required) {
        problems.add(field + ": is required");
      }
      return;
    }
    if (value.isBlank() || value.length() > MAX_ID) {
      problems.add(field + ": must be 1 to " + MAX_ID + " characters and not blank, got " + value.length());
    } else if (value.chars().anyMatch(Character::isISOControl)) {
      problems.add(field + ": must not contain control characters");
    }
  }
}
