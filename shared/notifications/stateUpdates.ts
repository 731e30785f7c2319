import { catchUpSince } from './catchUpSince.js';
import { rangeSize } from './eventRanges.js';
import { asPending, duePending, earliestSince, rangesOf, withoutArrived } from './pendingGaps.js';
import type {
  BackportNotification,
  CatchUpReason,
  EventRange,
  NotificationAction,
  PendingGap,
  SourceSubscriptionCounts,
  SourceSubscriptionState,
} from './types.js';

/** Drops keys whose value is undefined, so a cleared field is absent (as the stores keep it). */
export const compact = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;

/** Counts plus the given increments. */
export const addCounts = (
  counts: SourceSubscriptionCounts,
  add: Partial<SourceSubscriptionCounts>,
): SourceSubscriptionCounts => ({
  gapsFound: counts.gapsFound + (add.gapsFound ?? 0),
  eventsMissed: counts.eventsMissed + (add.eventsMissed ?? 0),
  gapsRepaired: counts.gapsRepaired + (add.gapsRepaired ?? 0),
  heartbeatsMissed: counts.heartbeatsMissed + (add.heartbeatsMissed ?? 0),
  errorStatuses: counts.errorStatuses + (add.errorStatuses ?? 0),
  counterResets: counts.counterResets + (add.counterResets ?? 0),
});

/** Whether this notification moves the source into status `error` (a catch-up, once per episode). */
export const entersError = (state: SourceSubscriptionState, notification: BackportNotification): boolean =>
  notification.status === 'error' && state.status !== 'error';

/**
 * What every notification the source pushed updates: its status, topic and heartbeat period, when it
 * was heard from, and the end of an overdue episode. A `$status` or `$events` answer is not a push and
 * leaves the contact times alone.
 */
export const afterContact = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  now: string,
): SourceSubscriptionState => {
  const pushed = notification.type !== 'query-status' && notification.type !== 'query-event';
  return compact({
    ...state,
    status: notification.status,
    topic: notification.topic ?? state.topic,
    heartbeatPeriodSeconds: notification.heartbeatPeriodSeconds ?? state.heartbeatPeriodSeconds,
    lastNotificationAt: pushed ? now : state.lastNotificationAt,
    lastHeartbeatAt: notification.type === 'heartbeat' ? now : state.lastHeartbeatAt,
    overdueNoticedAt: pushed ? undefined : state.overdueNoticedAt,
    revision: state.revision + 1,
  });
};

/** Missed-event bookkeeping for the gaps found: counts, and one `record-gap` action a range. */
export const gapCounts = (missing: readonly EventRange[]): Partial<SourceSubscriptionCounts> => ({
  gapsFound: missing.length,
  eventsMissed: rangeSize(missing),
});

export const gapActions = (missing: readonly EventRange[]): NotificationAction[] =>
  missing.map((range) => ({ kind: 'record-gap', range }));

/**
 * The one catch-up a decision may carry: from the state known before it (minus the margin) for its
 * own reasons, or from the earliest `since` of the gaps it repairs, whichever is earlier.
 */
export const catchUpActions = (
  before: SourceSubscriptionState,
  reasons: readonly CatchUpReason[],
  gaps: readonly PendingGap[],
  marginSeconds: number,
): NotificationAction[] => {
  const all = [...new Set([...reasons, ...(gaps.length > 0 ? (['event-gap'] as const) : [])])];
  if (all.length === 0) return [];
  const sinces = [
    ...(reasons.length > 0 ? [catchUpSince(before, marginSeconds)] : []),
    ...(gaps.length > 0 ? [earliestSince(gaps) as string] : []),
  ].sort();
  return [
    {
      kind: 'catch-up',
      reasons: all,
      since: sinces[0] as string,
      resourceTypes: before.resourceTypes,
      missing: rangesOf(gaps),
    },
  ];
};

/** What settling a decision's missing numbers gives: the ranges still pending, and those that are gaps now. */
export interface SettledGaps {
  readonly pendingGaps?: PendingGap[];
  readonly gaps: PendingGap[];
}

/**
 * Settles a decision's missing event numbers: new ones join the pending ranges (caught up, when due,
 * from the last point known good now), numbers that arrived leave them, and ranges past the grace
 * period become gaps. `flush` makes every range due (a restarted counter: the old numbers are lost).
 */
export const settleGaps = (
  before: SourceSubscriptionState,
  input: {
    readonly missing?: readonly EventRange[];
    readonly arrived?: readonly number[];
    readonly now: string;
    readonly graceSeconds: number;
    readonly marginSeconds: number;
    readonly flush?: boolean;
  },
): SettledGaps => {
  const fresh = asPending(input.missing ?? [], input.now, catchUpSince(before, input.marginSeconds));
  const pending = withoutArrived([...(before.pendingGaps ?? []), ...fresh], input.arrived ?? []);
  const { waiting, due } = input.flush
    ? { waiting: [], due: pending }
    : duePending(pending, input.now, input.graceSeconds);
  return { ...(waiting.length > 0 ? { pendingGaps: waiting } : {}), gaps: due };
};

/** The state fields and actions for settled gaps: counted and recorded, the rest left pending. */
export const gapEffects = (
  settled: SettledGaps,
): {
  pendingGaps: PendingGap[] | undefined;
  counts: Partial<SourceSubscriptionCounts>;
  actions: NotificationAction[];
} => {
  const ranges = rangesOf(settled.gaps);
  return { pendingGaps: settled.pendingGaps, counts: gapCounts(ranges), actions: gapActions(ranges) };
};
