package io.modelrouter.aggregator.internal;

/**
 * The aggregator's state store names, in one place that both the topology (which creates the stores) and the
 * processor (which opens them) import. Changelog topics are named {@code <application.id>-<name>-changelog}:
 * renaming a store loses its state.
 */
public final class AggregatorStores {
  private AggregatorStores() {}

  /** Totals of each team's windows, by {@code <team>|<DAILY|MONTHLY>|<start>}. */
  public static final String WINDOWS = "usage-windows";
  /** Each team's budget ledger: current windows, states, pause, lifts, alerts already sent. */
  public static final String LEDGERS = "budget-ledgers";
  /** Each team's budget policy. */
  public static final String POLICIES = "budget-policies";
  /** Usage of each day by session and model, and by hour and model (name kept from when it held sessions only). */
  public static final String SESSIONS = "usage-sessions";
}
