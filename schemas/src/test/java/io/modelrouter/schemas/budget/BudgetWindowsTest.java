package io.modelrouter.schemas.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelrouter.avro.WindowKind;
import org.junit.jupiter.api.Test;

class BudgetWindowsTest {
  /** A ledger with the per-kind fields both of ours have: a start and a lift per window kind. */
  private static final class Ledger {
    String dailyStart;
    String monthlyStart;
    String liftedDaily;
    String liftedMonthly;
  }

  private static final BudgetWindows<Ledger> WINDOWS = new BudgetWindows<>(
      new BudgetWindows.Slot<>(l -> l.dailyStart, (l, v) -> l.dailyStart = v, l -> l.liftedDaily,
          (l, v) -> l.liftedDaily = v),
      new BudgetWindows.Slot<>(l -> l.monthlyStart, (l, v) -> l.monthlyStart = v, l -> l.liftedMonthly,
          (l, v) -> l.liftedMonthly = v));

  @Test
  void windowsOnlyMoveForward() {
    Ledger ledger = new Ledger();
    assertThat(WINDOWS.start(ledger, WindowKind.DAILY)).isNull();
    assertThat(WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-22")).isTrue();
    assertThat(WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-22")).isFalse();
    assertThat(WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-21")).isFalse();
    assertThat(ledger.dailyStart).isEqualTo("2026-11-22");
    assertThat(WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-23")).isTrue();
    assertThat(ledger.dailyStart).isEqualTo("2026-11-23");
    assertThat(ledger.monthlyStart).as("the other kind is untouched").isNull();
    assertThat(WINDOWS.advance(ledger, WindowKind.MONTHLY, "2026-11")).isTrue();
    assertThat(ledger.monthlyStart).isEqualTo("2026-11");
  }

  @Test
  void aLiftHoldsForTheCurrentWindowOnlyAndEndsWithIt() {
    Ledger ledger = new Ledger();
    WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-22");
    WINDOWS.advance(ledger, WindowKind.MONTHLY, "2026-11");
    assertThat(WINDOWS.lifted(ledger, WindowKind.DAILY)).isFalse();

    WINDOWS.lift(ledger, WindowKind.DAILY);

    assertThat(ledger.liftedDaily).isEqualTo("2026-11-22");
    assertThat(WINDOWS.lifted(ledger, WindowKind.DAILY)).isTrue();
    assertThat(WINDOWS.lifted(ledger, WindowKind.MONTHLY)).as("a daily lift leaves the monthly cap").isFalse();
    assertThat(WINDOWS.lifted(ledger, WindowKind.DAILY, "2026-11-21")).isFalse();

    WINDOWS.advance(ledger, WindowKind.DAILY, "2026-11-23");

    assertThat(WINDOWS.lifted(ledger, WindowKind.DAILY)).isFalse();
    assertThat(ledger.liftedDaily).isNull();
  }

  @Test
  void noWindowYetIsNeverLifted() {
    Ledger ledger = new Ledger();
    WINDOWS.lift(ledger, WindowKind.MONTHLY);
    assertThat(WINDOWS.lifted(ledger, WindowKind.MONTHLY)).isFalse();
  }

  @Test
  void spendAddsAndIsAFractionOfTheBindingLimit() {
    Spend spend = new Spend(100, 50, 7).plus(new Spend(20, 10, 3));
    assertThat(spend).isEqualTo(new Spend(120, 60, 10));
    assertThat(spend.of("outputTokens")).isEqualTo(60);
    io.modelrouter.avro.WindowBudget budget = io.modelrouter.avro.WindowBudget.newBuilder()
        .setInputTokens(1_000L).setOutputTokens(80L).setCostMicros(null).build();
    BudgetMath.Fraction fraction = spend.fractionOf(budget);
    assertThat(fraction.metric()).isEqualTo("outputTokens");
    assertThat(fraction.value()).isEqualTo(0.75);
    assertThat(fraction.used()).isEqualTo(60);
    assertThat(fraction.limit()).isEqualTo(80);
  }
}
