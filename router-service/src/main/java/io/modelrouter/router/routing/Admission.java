package io.modelrouter.router.routing;

import io.modelrouter.avro.BudgetPolicy;
import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.SpendLedger;
import io.modelrouter.avro.WindowBudget;
import io.modelrouter.avro.WindowKind;
import io.modelrouter.schemas.budget.BudgetMath;
import io.modelrouter.schemas.budget.Spend;
import java.util.Locale;

/**
 * Hard caps at admission. Each admitted request reserves what it is expected to spend (its estimated input and
 * expected output, with a margin). A request is answered PAUSED at once when the team's settled usage in a current
 * window plus the reservations of its requests in flight already reach the window's pause point; it is routed to
 * the restrict profile when adding its own reservation would cross a restrict threshold. The request that crosses
 * the pause point is the last one admitted. So concurrent requests cannot together overshoot a limit by more than
 * what they write beyond their reservations: each one sees the others' reservations, and all of a team's requests
 * go through the same partition, hence the same ledger, whatever the number of router instances. Pure.
 */
public final class Admission {
  private Admission() {}

  /** The state admitting the request would put the team in (NORMAL, NOTIFY, RESTRICT or PAUSE), and why. */
  public record Verdict(BudgetState state, String reason) {
    public static final Verdict WITHIN = new Verdict(BudgetState.NORMAL, "");
  }

  /**
   * The verdict on admitting a request that may spend {@code request} at most (for input: is expected to, with a
   * margin).
   */
  public static Verdict check(BudgetPolicy policy, SpendLedger ledger, Spend request) {
    if (policy == null) {
      return Verdict.WITHIN;
    }
    Verdict worst = Verdict.WITHIN;
    for (WindowKind kind : WindowKind.values()) {
      WindowBudget budget = BudgetMath.budget(policy, kind);
      if (budget == null) {
        continue;
      }
      Spend committedSpend = SpendWindows.committed(ledger, kind);
      BudgetMath.Fraction committed = committedSpend.fractionOf(budget);
      BudgetMath.Fraction projected = committedSpend.plus(request).fractionOf(budget);
      boolean lifted = SpendWindows.WINDOWS.lifted(ledger, kind);
      Verdict verdict;
      if (BudgetMath.state(budget, committed.value(), lifted) == BudgetState.PAUSE) {
        // Settled usage and the requests in flight already reach the pause point: nothing more is admitted.
        verdict = new Verdict(BudgetState.PAUSE, describePause(kind, committed, ledger));
      } else {
        // The request that crosses the pause point is the last one admitted (at worst restricted): the limit is
        // overshot by at most what it and the requests in flight write beyond their reservations.
        BudgetState state = BudgetMath.state(budget, projected.value(), true);
        verdict = new Verdict(state, describe(kind, projected, ledger, request, state));
      }
      if (verdict.state().ordinal() > worst.state().ordinal()) {
        worst = verdict;
      }
    }
    return worst;
  }

  private static String describePause(WindowKind kind, BudgetMath.Fraction committed, SpendLedger ledger) {
    long inFlight = SpendWindows.reserved(ledger).of(committed.metric());
    return String.format(Locale.ROOT, "%s %s at %.0f%% of %,d (settled %,d + in flight %,d, %d request(s)) → PAUSE at"
            + " admission", kind.name().toLowerCase(Locale.ROOT), committed.metric(), committed.value() * 100,
        committed.limit(), committed.used() - inFlight, inFlight, ledger.getReservations());
  }

  private static String describe(WindowKind kind, BudgetMath.Fraction projected, SpendLedger ledger, Spend request,
      BudgetState state) {
    long inFlight = SpendWindows.reserved(ledger).of(projected.metric());
    long asked = request.of(projected.metric());
    return String.format(Locale.ROOT, "%s %s would reach %.0f%% of %,d with this request (settled %,d + in flight %,d"
            + " + this request up to %,d) → %s at admission", kind.name().toLowerCase(Locale.ROOT), projected.metric(),
        projected.value() * 100, projected.limit(), projected.used() - inFlight - asked, inFlight, asked, state);
  }
}
