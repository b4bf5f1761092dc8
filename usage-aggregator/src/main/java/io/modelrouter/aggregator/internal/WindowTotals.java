package io.modelrouter.aggregator.internal;

import io.modelrouter.avro.BudgetState;
import io.modelrouter.avro.UsageBreakdown;
import io.modelrouter.avro.UsageEvent;
import io.modelrouter.avro.UsageTotals;
import io.modelrouter.schemas.budget.BudgetMath;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;

/**
 * Adds usage events to a window's {@link UsageTotals}: the sums, and breakdowns by model and by task type. The
 * breakdowns by session and model and by hour and model are kept apart ({@link WindowSlices}) and filled in when
 * the totals are published.
 */
final class WindowTotals {
  private WindowTotals() {}

  static UsageTotals empty(String teamId, BudgetMath.Window window, ZoneId zone) {
    return UsageTotals.newBuilder()
        .setTeamId(teamId)
        .setWindow(window.kind())
        .setWindowStart(window.start())
        .setTimeZone(zone.getId())
        .setStartTime(window.from())
        .setEndTime(window.until())
        .setInputTokens(0)
        .setOutputTokens(0)
        .setCachedInputTokens(0)
        .setCacheWriteTokens(0)
        .setCacheSavedMicros(0)
        .setCostMicros(0)
        .setCreditsMicros(0)
        .setCalls(0)
        .setRequests(0)
        .setLateEvents(0)
        .setByModel(new HashMap<>())
        .setByTaskType(new HashMap<>())
        .setBySession(new HashMap<>())
        .setBudgetState(BudgetState.NORMAL)
        .setFraction(0)
        .setUpdatedAt(null)
        .build();
  }

  static void add(UsageTotals totals, UsageEvent event, boolean late, Instant now) {
    if (event.getResponseCacheSavedMicros() != null) {
      // Not a provider call: a request the router answered from its response cache
      totals.setRequests(totals.getRequests() + 1);
      totals.setCachedResponses(totals.getCachedResponses() + 1);
      totals.setResponseCacheSavedMicros(totals.getResponseCacheSavedMicros() + event.getResponseCacheSavedMicros());
      if (late) {
        totals.setLateEvents(totals.getLateEvents() + 1);
      }
      totals.setUpdatedAt(now);
      return;
    }
    totals.setInputTokens(totals.getInputTokens() + event.getInputTokens());
    totals.setOutputTokens(totals.getOutputTokens() + event.getOutputTokens());
    totals.setCachedInputTokens(totals.getCachedInputTokens() + event.getCachedInputTokens());
    totals.setCacheWriteTokens(totals.getCacheWriteTokens() + event.getCacheWriteTokens()
        + event.getCacheWrite1hTokens());
    totals.setCacheSavedMicros(totals.getCacheSavedMicros() + event.getCacheSavedMicros());
    totals.setCostMicros(totals.getCostMicros() + event.getCostMicros());
    totals.setCreditsMicros(totals.getCreditsMicros() + event.getCreditsMicros());
    totals.setCalls(totals.getCalls() + 1);
    if (event.getBatchSavedMicros() != 0 || event.getEventId().toString().endsWith("#batch")) {
      totals.setBatchCalls(totals.getBatchCalls() + 1);
      totals.setBatchSavedMicros(totals.getBatchSavedMicros() + event.getBatchSavedMicros());
    }
    if (event.getFinalCall()) {
      totals.setRequests(totals.getRequests() + 1);
    }
    if (late) {
      totals.setLateEvents(totals.getLateEvents() + 1);
    }
    addTo(totals.getByModel(), event.getModel(), event);
    addTo(totals.getByTaskType(), event.getTaskType() == null ? "(none)" : event.getTaskType(), event);
    totals.setUpdatedAt(now);
  }

  private static void addTo(Map<String, UsageBreakdown> map, String key, UsageEvent event) {
    UsageBreakdown slice = map.get(key);
    if (slice == null) {
      slice = new UsageBreakdown(0L, 0L, 0L, 0L, 0L, 0L);
      map.put(key, slice);
    }
    addTo(slice, event);
  }

  static void addTo(UsageBreakdown slice, UsageEvent event) {
    slice.setInputTokens(slice.getInputTokens() + event.getInputTokens());
    slice.setOutputTokens(slice.getOutputTokens() + event.getOutputTokens());
    slice.setCachedInputTokens(slice.getCachedInputTokens() + event.getCachedInputTokens());
    slice.setCostMicros(slice.getCostMicros() + event.getCostMicros());
    slice.setCreditsMicros(slice.getCreditsMicros() + event.getCreditsMicros());
    slice.setCalls(slice.getCalls() + 1);
  }
}
