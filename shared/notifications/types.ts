import type { ENTRY_METHODS, NOTIFICATION_TYPES, SUBSCRIPTION_STATUSES } from './constants.js';

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type SubscriptionStatusCode = (typeof SUBSCRIPTION_STATUSES)[number];
export type EntryMethod = (typeof ENTRY_METHODS)[number];

/** A resource named by a notification, its type and id checked (R4 type list, FHIR id pattern). */
export interface ResourceRef {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId?: string;
}

/** A FHIR instant, dateTime or date as the earliest instant it can denote, and whether it had a time. */
export interface EventTime {
  /** ISO 8601 in UTC, milliseconds precision. */
  readonly at: string;
  /** False for a date (day precision, as HAPI FHIR sends it): unfit to order events within a day. */
  readonly precise: boolean;
}

/** One `notification-event` of the status Parameters. */
export interface NotificationEvent {
  readonly eventNumber: number;
  readonly timestamp?: EventTime;
  /** Absent for `empty` payloads, and for a focus that names no FHIR resource (an identifier only). */
  readonly focus?: ResourceRef;
  readonly additionalContext: readonly ResourceRef[];
}

/**
 * What a notification entry (after the status entry) asks of the connector: `upsert` the resource it
 * carries, `delete` the resource it names, or `read` it from the source (id-only entries, and
 * full-resource entries whose content the server could not include).
 */
export type EntryAction = 'upsert' | 'delete' | 'read';

export interface NotificationEntry {
  /** Position in `Bundle.entry`. */
  readonly index: number;
  readonly ref: ResourceRef;
  readonly action: EntryAction;
  /** The resource, for `upsert` only. Never logged: it is PHI. */
  readonly resource?: Readonly<Record<string, unknown>>;
}

/** The payload level a notification shows (inferred: the notification does not state it). */
export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

/** A parsed R4 backport notification Bundle (or a `$status` / `$events` answer of the same shape). */
export interface BackportNotification {
  readonly type: NotificationType;
  readonly status: SubscriptionStatusCode;
  /** Id of the source Subscription (`subscription` parameter), checked against the FHIR id pattern. */
  readonly subscriptionId: string;
  readonly topic?: string;
  readonly eventsSinceSubscriptionStart?: number;
  /** Only when the server adds it (the IG carries it on the Subscription, not the notification). */
  readonly heartbeatPeriodSeconds?: number;
  /** `error` codes (`system|code`), never free text. */
  readonly errorCodes: readonly string[];
  readonly events: readonly NotificationEvent[];
  readonly entries: readonly NotificationEntry[];
  readonly payload: PayloadContent;
  /** `Bundle.timestamp` when it had a time: the source's clock at sending. */
  readonly sentAt?: string;
  /** Whether the status Parameters declared the backport profile (servers may omit it). */
  readonly profileDeclared: boolean;
}

/** An inclusive range of event numbers. */
export interface EventRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Event numbers believed missing but perhaps still in flight (a heartbeat or a later event can
 * overtake a notification): they become a gap only after the grace period, unless they arrive.
 */
export interface PendingGap extends EventRange {
  /** Connector time the numbers were first found missing. */
  readonly foundAt: string;
  /** From when a catch-up of these numbers must search: the last point known good when found. */
  readonly since: string;
}

/** Counters kept per source subscription, shown by `hlc status`. */
export interface SourceSubscriptionCounts {
  /** Ranges of skipped event numbers found. */
  readonly gapsFound: number;
  /** Event numbers inside those ranges. */
  readonly eventsMissed: number;
  /** Gaps whose catch-up finished. */
  readonly gapsRepaired: number;
  readonly heartbeatsMissed: number;
  /** Times the source reported status `error` after another status. */
  readonly errorStatuses: number;
  /** Times the source's event counter went back (a restarted server that keeps it in memory). */
  readonly counterResets: number;
}

/** Every counter of SourceSubscriptionCounts (stored as top-level numbers; shown by `hlc status`). */
export const SOURCE_SUBSCRIPTION_COUNT_NAMES = [
  'gapsFound',
  'eventsMissed',
  'gapsRepaired',
  'heartbeatsMissed',
  'errorStatuses',
  'counterResets',
] as const satisfies readonly (keyof SourceSubscriptionCounts)[];

/**
 * What the connector remembers of one source Subscription: enough to notice a lost notification
 * and to know from when to catch up. `revision` makes every change a conditional write.
 */
export interface SourceSubscriptionState {
  readonly subscriptionId: string;
  /** The topic's resource types: what a catch-up searches. */
  readonly resourceTypes: readonly string[];
  readonly topic?: string;
  readonly heartbeatPeriodSeconds?: number;
  readonly status?: SubscriptionStatusCode;
  /** Highest event number accounted for (received, or recorded as a gap being caught up). */
  readonly lastEventNumber?: number;
  /** Source timestamp of that event, when it had a time. */
  readonly lastEventAt?: string;
  /** Connector time of the last notification the source pushed (any type). */
  readonly lastNotificationAt?: string;
  readonly lastHeartbeatAt?: string;
  /** Connector time up to which nothing is known to be missing (or a catch-up covers it). */
  readonly caughtUpAt: string;
  /** The source's clock at that same point, when the notification carried a precise time. */
  readonly caughtUpSourceAt?: string;
  /** Connector time an overdue heartbeat was last acted on; cleared by the next notification. */
  readonly overdueNoticedAt?: string;
  /** Missing event numbers still within the grace period (see PendingGap). */
  readonly pendingGaps?: readonly PendingGap[];
  readonly registeredAt: string;
  readonly counts: SourceSubscriptionCounts;
  readonly revision: number;
}

/** Why a catch-up was started. */
export type CatchUpReason =
  'empty-payload' | 'event-gap' | 'error-status' | 'heartbeat-overdue' | 'counter-reset';

/**
 * What the connector should do about a notification. A `catch-up` searches the source `_since` for the
 * topic's types (or, for `missing` numbers, asks `$events` where the source supports it).
 */
export type NotificationAction =
  | { readonly kind: 'replicate'; readonly entries: readonly NotificationEntry[] }
  | { readonly kind: 'read'; readonly refs: readonly ResourceRef[] }
  | { readonly kind: 'record-gap'; readonly range: EventRange }
  | {
      readonly kind: 'catch-up';
      readonly reasons: readonly CatchUpReason[];
      readonly since: string;
      readonly resourceTypes: readonly string[];
      readonly missing: readonly EventRange[];
    };

/**
 * How a notification related to what was known: `duplicate` covers repeats and late arrivals (their
 * event numbers were already accounted for); `replay` is an `$events` answer.
 */
export type Disposition =
  | 'handshake'
  | 'heartbeat'
  | 'status'
  | 'in-order'
  | 'gap'
  | 'duplicate'
  /** A number thought missing arrived after all (within the grace period): no gap. */
  | 'late'
  | 'counter-reset'
  | 'replay'
  | 'heartbeat-on-time'
  | 'heartbeat-overdue';

export interface NotificationDecision {
  /** The state to store; the very object given when nothing changed. */
  readonly state: SourceSubscriptionState;
  readonly changed: boolean;
  readonly disposition: Disposition;
  readonly actions: readonly NotificationAction[];
}
