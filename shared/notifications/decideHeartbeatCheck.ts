import { NOTIFICATION_DEFAULTS } from './constants.js';
import { addCounts, catchUpActions, compact } from './stateUpdates.js';
import type { NotificationDecision, SourceSubscriptionState } from './types.js';

export interface HeartbeatCheckOptions {
  /** Connector time of the check (ISO 8601). */
  readonly now: string;
  /** Seconds past the period before a heartbeat counts as missed (default: one period, at least 30 s). */
  readonly toleranceSeconds?: number;
  readonly catchUpMarginSeconds?: number;
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
 * heartbeat period; once it is overdue, a missed heartbeat counted and a catch-up `_since` the last
 * point known good (which then moves to now, so the next catch-up, a period later, starts there).
 *
 * @example
 * const decision = decideHeartbeatCheck(stored, { now: new Date().toISOString() });
 */
export const decideHeartbeatCheck = (
  state: SourceSubscriptionState,
  options: HeartbeatCheckOptions,
): NotificationDecision => {
  if (!isHeartbeatOverdue(state, options.now, options.toleranceSeconds)) {
    return { state, changed: false, disposition: 'heartbeat-on-time', actions: [] };
  }
  const margin = options.catchUpMarginSeconds ?? NOTIFICATION_DEFAULTS.catchUpMarginSeconds;
  return {
    state: compact({
      ...state,
      overdueNoticedAt: options.now,
      caughtUpAt: options.now,
      caughtUpSourceAt: undefined,
      counts: addCounts(state.counts, { heartbeatsMissed: 1 }),
      revision: state.revision + 1,
    }),
    changed: true,
    disposition: 'heartbeat-overdue',
    actions: catchUpActions(state, ['heartbeat-overdue'], [], margin),
  };
};
