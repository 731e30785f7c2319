/** Canonical URL of the IG's R4 SubscriptionStatus profile on `Parameters`. */
export const BACKPORT_STATUS_PROFILE =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4';

/** `Subscription.channel` extension carrying the heartbeat period in seconds (unsignedInt). */
export const BACKPORT_HEARTBEAT_PERIOD_EXTENSION =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period';

/** `SubscriptionStatus.type` (value set subscription-notification-type). */
export const NOTIFICATION_TYPES = [
  'handshake',
  'heartbeat',
  'event-notification',
  'query-status',
  'query-event',
] as const;

/** `Subscription.status` codes (value set subscription-status). */
export const SUBSCRIPTION_STATUSES = ['requested', 'active', 'error', 'off', 'entered-in-error'] as const;

/** Methods a notification entry's `request` may carry. */
export const ENTRY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Bounds on what one notification may hold: a hostile body must not cost unbounded work. */
export const NOTIFICATION_LIMITS = {
  /** Bundle entries, the status entry included. */
  maxEntries: 1000,
  /** `parameter` elements of the status Parameters. */
  maxParameters: 2000,
  /** `notification-event` parameters. */
  maxEvents: 1000,
  /** `part` elements of one `notification-event`. */
  maxEventParts: 100,
  /** `error` codes kept. */
  maxErrorCodes: 20,
  /** Characters of a reference, a fullUrl or a request url. */
  maxReferenceLength: 4096,
  /** Characters of the topic canonical. */
  maxTopicLength: 2048,
  /** Event numbers and counters: at most 15 digits, so every value is a safe integer. */
  maxCounterDigits: 15,
} as const;

/**
 * Defaults of the event bookkeeping. A catch-up searches `_since` the last point known good minus
 * the margin: it covers clock skew between source and connector and notifications still in flight.
 */
export const NOTIFICATION_DEFAULTS = {
  catchUpMarginSeconds: 300,
  /**
   * Seconds a skipped event number may still arrive before it counts as a gap: notifications sent
   * concurrently, and heartbeats, overtake each other (the IG's missed-event workflow waits too).
   */
  gapGraceSeconds: 30,
  /** Most pending ranges kept; a source that skips more is caught up at once. */
  maxPendingGaps: 100,
  /** A heartbeat is overdue one tolerance after its period; the tolerance defaults to one period. */
  minHeartbeatToleranceSeconds: 30,
  /** Conditional-write attempts before giving up on a contended source subscription state. */
  maxUpdateAttempts: 10,
  /** Random pause before a retried attempt n is at most this many milliseconds times n. */
  updateBackoffMs: 20,
} as const;
