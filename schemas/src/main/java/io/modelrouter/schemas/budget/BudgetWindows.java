package io.modelrouter.schemas.budget;

import io.modelrouter.avro.WindowKind;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A team's budget windows as a ledger record holds them: for each {@link WindowKind}, which calendar window is
 * current ({@code 2026-11-22}, {@code 2026-11}) and whether a manual reset lifted its pause. The router's admission
 * ledger and the aggregator's budget ledger are different records with the same rules, written here once:
 *
 * <ul>
 *   <li>windows only move forward ({@link #advance});
 *   <li>a reset lifts the pause of the current window only ({@link #lift}), and the lift ends when the window does;
 *   <li>a window is lifted when its lift names its current start ({@link #lifted}).
 * </ul>
 *
 * <p>The per-kind fields of a record are named once, in the {@link Slot}s given to the constructor, so no caller
 * writes {@code daily ? getDailyX() : getMonthlyX()}.
 *
 * @param <L> the ledger record
 */
public final class BudgetWindows<L> {

  /** Where one window kind lives in the ledger record: its current start and its lift. */
  public record Slot<L>(Function<L, String> start, BiConsumer<L, String> setStart, Function<L, String> lifted,
      BiConsumer<L, String> setLifted) {
    public Slot {
      Objects.requireNonNull(start);
      Objects.requireNonNull(setStart);
      Objects.requireNonNull(lifted);
      Objects.requireNonNull(setLifted);
    }
  }

  private final Map<WindowKind, Slot<L>> slots = new EnumMap<>(WindowKind.class);

  public BudgetWindows(Slot<L> daily, Slot<L> monthly) {
    slots.put(WindowKind.DAILY, Objects.requireNonNull(daily));
    slots.put(WindowKind.MONTHLY, Objects.requireNonNull(monthly));
  }

  private Slot<L> slot(WindowKind kind) {
    return slots.get(Objects.requireNonNull(kind));
  }

  /** The start of the current window of this kind, or null before the first one. */
  public String start(L ledger, WindowKind kind) {
    return slot(kind).start().apply(ledger);
  }

  /**
   * Makes {@code start} the current window of its kind if it is later than the current one (or there is none);
   * a lift of another window ends. Returns whether the window moved: the caller then starts the new window's
   * counts from zero.
   */
  public boolean advance(L ledger, WindowKind kind, String start) {
    Slot<L> slot = slot(kind);
    String current = slot.start().apply(ledger);
    if (current != null && start.compareTo(current) <= 0) {
      return false;
    }
    slot.setStart().accept(ledger, start);
    if (!start.equals(slot.lifted().apply(ledger))) {
      slot.setLifted().accept(ledger, null);
    }
    return true;
  }

  /** A manual reset lifted the pause of the current window of this kind: it cannot pause again before the next. */
  public void lift(L ledger, WindowKind kind) {
    Slot<L> slot = slot(kind);
    slot.setLifted().accept(ledger, slot.start().apply(ledger));
  }

  /** Whether a reset lifted the pause of the current window of this kind. */
  public boolean lifted(L ledger, WindowKind kind) {
    return lifted(ledger, kind, start(ledger, kind));
  }

  /** Whether a reset lifted the pause of the window of this kind that starts at {@code start}. */
  public boolean lifted(L ledger, WindowKind kind, String start) {
    return start != null && start.equals(slot(kind).lifted().apply(ledger));
  }
}
