import { NOTIFICATION_DEFAULTS } from './constants.js';
import { addCounts, catchUpActions, compact, gapEffects, settleGaps } from './stateUpdates.js';
import type { NotificationDecision, SourceSubscriptionState } from './types.js';

export interface HeartbeatCheckOptions {
  /** Connector time of the check (ISO 8601). */
  readonly now: string;
  /** Seconds past the period before a heartbeat counts as missed (default: one period, at least 30 s). */
  readonly toleranceSeconds?: number;
  readonly catchUpMarginSeconds?: number;
  /** Seconds a skipped number may still arrive before it is a gap (default 30). */
  readonly gapGraceSeconds?: number;
}

/** Statuses in which the source sends no heartbeats, so silence means nothing. */
const SILENT_STATUSES: ReadonlySet<string> = new Set(['off', 'entered-in-error']);

/**
 * When the source must next be heard from, or undefined when no heartbeat is expected (no period
 * known, or the subscription is off). Counted from the last notification pushed, or from the last
 * overdue episode acted on, so a silent source is caught up once a period rather than on every check.
 */
export const heartbeatDeadline = (
  state: SourceSubscriptionState,
  toleranceSeconds?: number,
): string | undefined => {
  const period = state.heartbeatPeriodSeconds;
  if (!period || (state.status !== undefined && SILENT_STATUSES.has(state.status))) return undefined;
  const tolerance = toleranceSeconds ?? Math.max(period, NOTIFICATION_DEFAULTS.minHeartbeatToleranceSeconds);
  const heard = Date.parse(state.lastNotificationAt ?? state.registeredAt);
  const noticed = state.overdueNoticedAt === undefined ? heard : Date.parse(state.overdueNoticedAt);
  return new Date(Math.max(heard, noticed) + (period + tolerance) * 1000).toISOString();
};

/** Whether the source's heartbeat is overdue at `now`. */
export const isHeartbeatOverdue = (
  state: SourceSubscriptionState,
  now: string,
  toleranceSeconds?: number,
): boolean => {
  const deadline = heartbeatDeadline(state, toleranceSeconds);
  return deadline !== undefined && Date.parse(now) > Date.parse(deadline);
};

/**
 * Decides, without side effects, what a periodic check finds: nothing while the source keeps to its
 * heartbeat period and no skipped number has outlived the grace period. A skipped number past it is a
 * gap now (even when the source sent nothing since); an overdue heartbeat counts as missed. Either
 * starts a catch-up `_since` the last point known good (which then moves to now, so while the source
 * stays silent the next catch-up, a period later, starts there).
 *
 * @example
 * const decision = decideHeartbeatCheck(stored, { now: new Date().toISOString() });
 */
export const decideHeartbeatCheck = (
  state: SourceSubscriptionState,
  options: HeartbeatCheckOptions,
): NotificationDecision => {
  const margin = options.catchUpMarginSeconds ?? NOTIFICATION_DEFAULTS.catchUpMarginSeconds;
  const overdue = isHeartbeatOverdue(state, options.now, options.toleranceSeconds);
  const settled = settleGaps(state, {
    now: options.now,
    graceSeconds: options.gapGraceSeconds ?? NOTIFICATION_DEFAULTS.gapGraceSeconds,
    marginSeconds: margin,
  });
  if (!overdue && settled.gaps.length === 0) {
    return { state, changed: false, disposition: 'heartbeat-on-time', actions: [] };
  }
  const effects = gapEffects(settled);
  return {
    state: compact({
      ...state,
      ...(overdue
        ? { overdueNoticedAt: options.now, caughtUpAt: options.now, caughtUpSourceAt: undefined }
        : {}),
      pendingGaps: effects.pendingGaps,
      counts: addCounts(state.counts, { ...effects.counts, heartbeatsMissed: overdue ? 1 : 0 }),
      revision: state.revision + 1,
    }),
    changed: true,
    disposition: overdue ? 'heartbeat-overdue' : 'gap',
    actions: [
      ...effects.actions,
      ...catchUpActions(state, overdue ? ['heartbeat-overdue'] : [], settled.gaps, margin),
    ],
  };
};
