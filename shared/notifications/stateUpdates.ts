import { catchUpSince } from './catchUpSince.js';
import { rangeSize } from './eventRanges.js';
import type {
  BackportNotification,
  CatchUpReason,
  EventRange,
  NotificationAction,
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

/** The one catch-up a decision may carry, searching from the state known before it. */
export const catchUpActions = (
  before: SourceSubscriptionState,
  reasons: readonly CatchUpReason[],
  missing: readonly EventRange[],
  marginSeconds: number,
): NotificationAction[] =>
  reasons.length === 0
    ? []
    : [
        {
          kind: 'catch-up',
          reasons: [...new Set(reasons)],
          since: catchUpSince(before, marginSeconds),
          resourceTypes: before.resourceTypes,
          missing,
        },
      ];
