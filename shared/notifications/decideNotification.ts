import { resourceKey } from '../fhir/ids.js';
import { NOTIFICATION_DEFAULTS } from './constants.js';
import { missingRanges } from './eventRanges.js';
import { anyPending } from './pendingGaps.js';
import {
  addCounts,
  afterContact,
  catchUpActions,
  compact,
  entersError,
  gapEffects,
  settleGaps,
} from './stateUpdates.js';
import type {
  BackportNotification,
  CatchUpReason,
  EventRange,
  NotificationAction,
  NotificationDecision,
  NotificationEntry,
  NotificationEvent,
  ResourceRef,
  SourceSubscriptionState,
} from './types.js';

export interface DecideOptions {
  /** Connector time the notification arrived (ISO 8601). */
  readonly now: string;
  readonly catchUpMarginSeconds?: number;
  /** Seconds a skipped number may still arrive before it is a gap (default 30; 0 = a gap at once). */
  readonly gapGraceSeconds?: number;
}

interface Context {
  readonly now: string;
  readonly margin: number;
  readonly grace: number;
}

const keyOf = (ref: ResourceRef): string => resourceKey(ref.resourceType, ref.id);

/** Refs without repeats (by Type/id), in first-seen order. */
const uniqueRefs = (refs: readonly ResourceRef[]): ResourceRef[] => [
  ...new Map(refs.map((ref) => [keyOf(ref), ref] as const)).values(),
];

const eventRefs = (events: readonly NotificationEvent[]): ResourceRef[] =>
  events.flatMap((event) => [...(event.focus ? [event.focus] : []), ...event.additionalContext]);

const payloadActions = (replicate: NotificationEntry[], read: ResourceRef[]): NotificationAction[] => [
  ...(replicate.length > 0 ? [{ kind: 'replicate' as const, entries: replicate }] : []),
  ...(read.length > 0 ? [{ kind: 'read' as const, refs: uniqueRefs(read) }] : []),
];

/**
 * Repeats and late arrivals: the bookkeeping stays as it is, and what they name is read from the
 * source rather than applied, so a stale copy can never overwrite a newer one (the version ledger
 * orders only versioned writes), and a source whose counter restarted unnoticed still loses nothing.
 */
const duplicate = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  margin: number,
): NotificationDecision => {
  const refs = [...eventRefs(notification.events), ...notification.entries.map((entry) => entry.ref)];
  const actions =
    refs.length > 0 ? payloadActions([], refs) : catchUpActions(state, ['empty-payload'], [], margin);
  return { state, changed: false, disposition: 'duplicate', actions };
};

/** Replicate what new events carry, read what they only name or what old events name. */
const splitPayload = (
  notification: BackportNotification,
  fresh: readonly NotificationEvent[],
  stale: readonly NotificationEvent[],
): { replicate: NotificationEntry[]; read: ResourceRef[]; unattributed: number } => {
  const freshKeys = new Set(eventRefs(fresh).map(keyOf));
  const staleKeys = new Set(eventRefs(stale).map(keyOf));
  const replicate: NotificationEntry[] = [];
  const read: ResourceRef[] = [];
  let unattributed = 0;
  for (const entry of notification.entries) {
    const key = keyOf(entry.ref);
    if (!freshKeys.has(key) && staleKeys.has(key)) read.push(entry.ref);
    else if (entry.action === 'read') read.push(entry.ref);
    else replicate.push(entry);
    if (!freshKeys.has(key) && !staleKeys.has(key)) unattributed += 1;
  }
  const carried = new Set(notification.entries.map((entry) => keyOf(entry.ref)));
  for (const event of fresh) if (event.focus && !carried.has(keyOf(event.focus))) read.push(event.focus);
  for (const ref of eventRefs(stale)) if (!carried.has(keyOf(ref))) read.push(ref);
  return { replicate, read, unattributed };
};

/** A counter that went back while the events' own precise times moved forward: the source restarted. */
const counterWentBack = (state: SourceSubscriptionState, notification: BackportNotification): boolean =>
  state.lastEventAt !== undefined &&
  notification.events.some(
    (event) => event.timestamp?.precise === true && event.timestamp.at > (state.lastEventAt as string),
  );

const latestPreciseTime = (events: readonly NotificationEvent[]): string | undefined =>
  events
    .flatMap((event) => (event.timestamp?.precise ? [event.timestamp.at] : []))
    .sort()
    .at(-1);

/** A repeat that brought numbers thought missing: they leave the pending ranges; the rest is a repeat. */
const late = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  numbers: readonly number[],
  context: Context,
): NotificationDecision => {
  const repeat = duplicate(state, notification, context.margin);
  const settled = settleGaps(state, {
    arrived: numbers,
    now: context.now,
    graceSeconds: context.grace,
    marginSeconds: context.margin,
  });
  const effects = gapEffects(settled);
  return {
    state: compact({
      ...afterContact(state, notification, context.now),
      pendingGaps: effects.pendingGaps,
      counts: addCounts(state.counts, effects.counts),
    }),
    changed: true,
    disposition: 'late',
    actions: [
      ...repeat.actions.filter((action) => action.kind === 'read'),
      ...effects.actions,
      ...catchUpActions(state, [], settled.gaps, context.margin),
    ],
  };
};

const decideEvent = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  context: Context,
): NotificationDecision => {
  const { now, margin } = context;
  const since = notification.eventsSinceSubscriptionStart;
  const numbers =
    notification.events.length > 0
      ? notification.events.map((event) => event.eventNumber)
      : since === undefined
        ? []
        : [since];
  const known = state.lastEventNumber;
  const allOld = known !== undefined && numbers.length > 0 && numbers.every((n) => n <= known);
  const reset = allOld && counterWentBack(state, notification);
  if (allOld && !reset) {
    return anyPending(state.pendingGaps ?? [], numbers)
      ? late(state, notification, numbers, context)
      : duplicate(state, notification, margin);
  }

  const floor = reset ? undefined : known;
  const isFresh = (n: number): boolean => floor === undefined || n > floor;
  const fresh = notification.events.filter((event) => isFresh(event.eventNumber));
  const stale = notification.events.filter((event) => !isFresh(event.eventNumber));
  const freshNumbers = numbers.filter(isFresh);
  const counted = [...freshNumbers, ...(since !== undefined && isFresh(since) ? [since] : [])];
  const highest = counted.length > 0 ? Math.max(...counted) : undefined;
  const lowest = floor ?? (freshNumbers.length > 0 ? Math.min(...freshNumbers) - 1 : undefined);
  const missing: EventRange[] =
    highest === undefined || lowest === undefined ? [] : missingRanges(lowest + 1, highest, freshNumbers);
  const settled = settleGaps(state, {
    missing,
    arrived: numbers.filter((n) => !isFresh(n)),
    now,
    graceSeconds: context.grace,
    marginSeconds: margin,
    flush: reset,
  });
  const effects = gapEffects(settled);

  const { replicate, read, unattributed } = splitPayload(notification, fresh, stale);
  const emptyEvent =
    unattributed === 0 && (fresh.some((event) => !event.focus) || (fresh.length === 0 && counted.length > 0));
  const nothingCarried =
    notification.entries.length === 0 && notification.events.every((event) => !event.focus);
  const reasons: CatchUpReason[] = [
    ...(emptyEvent || (numbers.length === 0 && nothingCarried) ? (['empty-payload'] as const) : []),
    ...(reset ? (['counter-reset'] as const) : []),
    ...(entersError(state, notification) ? (['error-status'] as const) : []),
  ];
  const vouched = numbers.length > 0 || reasons.length > 0;
  const highestEvent = fresh.find((event) => event.eventNumber === highest);
  const next = compact({
    ...afterContact(state, notification, now),
    lastEventNumber: highest ?? state.lastEventNumber,
    // Only a precise time of the highest event itself can later tell a restart from a late arrival.
    lastEventAt:
      highest === undefined
        ? state.lastEventAt
        : highestEvent?.timestamp?.precise
          ? highestEvent.timestamp.at
          : undefined,
    // Without numbers nothing vouches for continuity, unless a catch-up now covers the time since.
    // Numbers still missing keep their own `since` (PendingGap), so the point known good may move on.
    caughtUpAt: vouched ? now : state.caughtUpAt,
    caughtUpSourceAt: vouched ? (latestPreciseTime(fresh) ?? notification.sentAt) : state.caughtUpSourceAt,
    pendingGaps: effects.pendingGaps,
    counts: addCounts(state.counts, {
      ...effects.counts,
      counterResets: reset ? 1 : 0,
      errorStatuses: entersError(state, notification) ? 1 : 0,
    }),
  });
  return {
    state: next,
    changed: true,
    disposition: reset ? 'counter-reset' : settled.gaps.length > 0 ? 'gap' : 'in-order',
    actions: [
      ...payloadActions(replicate, read),
      ...effects.actions,
      ...catchUpActions(state, reasons, settled.gaps, margin),
    ],
  };
};

/** Handshake, heartbeat and `$status` answers: their counter can reveal a gap, never carry data. */
const decideStatus = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  context: Context,
): NotificationDecision => {
  const { now, margin } = context;
  const counter = notification.eventsSinceSubscriptionStart;
  const known = state.lastEventNumber;
  const missing =
    counter !== undefined && known !== undefined && counter > known ? [{ from: known + 1, to: counter }] : [];
  // A handshake comes at (re)activation: a counter below ours means the source started counting again.
  const reset =
    notification.type === 'handshake' && counter !== undefined && known !== undefined && counter < known;
  const moved = counter !== undefined && (known === undefined || missing.length > 0 || reset);
  const settled = settleGaps(state, {
    missing,
    now,
    graceSeconds: context.grace,
    marginSeconds: margin,
    flush: reset,
  });
  const effects = gapEffects(settled);
  const reasons: CatchUpReason[] = [
    ...(reset ? (['counter-reset'] as const) : []),
    ...(entersError(state, notification) ? (['error-status'] as const) : []),
  ];
  const next = compact({
    ...afterContact(state, notification, now),
    lastEventNumber: moved ? counter : known,
    lastEventAt: moved ? undefined : state.lastEventAt,
    caughtUpAt: now,
    caughtUpSourceAt: notification.sentAt,
    pendingGaps: effects.pendingGaps,
    counts: addCounts(state.counts, {
      ...effects.counts,
      counterResets: reset ? 1 : 0,
      errorStatuses: entersError(state, notification) ? 1 : 0,
    }),
  });
  const disposition =
    notification.type === 'query-status'
      ? 'status'
      : notification.type === 'handshake'
        ? 'handshake'
        : 'heartbeat';
  return {
    state: next,
    changed: true,
    disposition: reset ? 'counter-reset' : settled.gaps.length > 0 ? 'gap' : disposition,
    actions: [...effects.actions, ...catchUpActions(state, reasons, settled.gaps, margin)],
  };
};

/**
 * Decides, without side effects, what a notification means for one source subscription: the state to
 * store and what to do. In-order events replicate what they carry and read what they only name. A
 * skipped event number waits `gapGraceSeconds` (it may be overtaken, not lost); past that it is a gap:
 * recorded, and caught up `_since` the last point known good when it went missing. An `empty` payload,
 * a first status of `error` and a counter that went back (a restarted source) start a catch-up at
 * once. Repeats change nothing in the state and are re-read from the source; so are numbers that
 * arrive late, which also leave the pending ones. A handshake or heartbeat is recorded, never
 * replicated; an `$events` answer is re-read.
 *
 * @example
 * const { state, actions } = decideNotification(stored, notification, { now: new Date().toISOString() });
 */
export const decideNotification = (
  state: SourceSubscriptionState,
  notification: BackportNotification,
  options: DecideOptions,
): NotificationDecision => {
  const context: Context = {
    now: options.now,
    margin: options.catchUpMarginSeconds ?? NOTIFICATION_DEFAULTS.catchUpMarginSeconds,
    grace: options.gapGraceSeconds ?? NOTIFICATION_DEFAULTS.gapGraceSeconds,
  };
  switch (notification.type) {
    case 'event-notification':
      return decideEvent(state, notification, context);
    case 'query-event':
      return { ...duplicate(state, notification, context.margin), disposition: 'replay' };
    default:
      return decideStatus(state, notification, context);
  }
};
