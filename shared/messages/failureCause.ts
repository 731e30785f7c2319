import type { DeliveryMessage } from './deliveryMessage.js';

/** Why a delivery failed, as recorded with a dead-lettered message. Never holds resource content. */
export interface FailureCause {
  readonly reason: FailureReason;
  /** HTTP status HealthLake answered, when it answered. */
  readonly status?: number;
  /** First OperationOutcome issue code of the answer. */
  readonly issueCode?: string;
  /** Diagnostics of that issue (HealthLake's text, truncated; stored with the dead letter, not logged). */
  readonly diagnostics?: string;
  /** `x-amzn-ErrorType` of an AWS-level error, e.g. `ExpiredTokenException`. */
  readonly errorType?: string;
  /** Delivery attempt this happened on: the message's own failed attempts (or its receive count when not tried). */
  readonly attempt: number;
  /**
   * The most attempts the message was allowed (first attempt plus retries), set when it is dead-lettered
   * because they ran out: the cause then says how many attempts were made of how many.
   */
  readonly maxAttempts?: number;
  /** When it happened (ISO instant). */
  readonly at: string;
  /** Retry hint from `Retry-After`, seconds. */
  readonly retryAfterSeconds?: number;
}

export const FailureReason = {
  httpStatus: 'http-status',
  timeout: 'timeout',
  connection: 'connection',
  credentials: 'credentials',
  /**
   * STS refused the AssumeRole, or HealthLake answered 401/403: the customer role, its trust policy or
   * the ExternalId is wrong for every message. Retried with a long backoff, alarmed.
   */
  accessDenied: 'access-denied',
  invalidMessage: 'invalid-message',
  endpointNotAllowed: 'endpoint-not-allowed',
  payloadMissing: 'payload-missing',
  payloadCorrupt: 'payload-corrupt',
  payloadUnavailable: 'payload-unavailable',
  stateUnavailable: 'state-unavailable',
  /** Not started: too little of the invocation's time was left (reported failed with a short delay). */
  timeLimit: 'time-limit',
  /**
   * Not started: its data store is refusing this instance's writes (429, access denied, no answer), so
   * the record waits out the data store's backoff without spending one of its attempts.
   */
  dataStoreDeferred: 'data-store-deferred',
  /** Smile replication settings cannot be applied (an id over 64 characters after prefixing). */
  replication: 'replication',
  /**
   * The Subscription's payload search could not be run or delivered: the source refused it (terminal),
   * kept failing or found nothing yet (transient), returned more than healthLake.maxBundleEntries resources (terminal), or no
   * source server is configured (terminal).
   */
  payloadSearch: 'payload-search',
  /**
   * The search on the source server that decides criteria it alone can evaluate (chains, `_has`, ...)
   * failed: retried (a failing search is never taken as "no match"), then dead-lettered.
   */
  sourceCriteria: 'source-criteria',
  /**
   * A resource a backport notification named (or a catch-up found) could not be read from the source
   * server: it kept failing transiently, or was refused (a 4xx other than 404/410). Dead-lettered to the
   * backfill DLQ; a redrive reads it again.
   */
  sourceRead: 'source-read',
  /** The Subscription's transform failed, timed out or returned something unusable. */
  transform: 'transform',
  /**
   * A SQL target refused or could not take the write: a value that does not fit its column or a
   * constraint (terminal; the cause names table, column and resource), or a database that is down.
   */
  sqlWrite: 'sql-write',
  error: 'error',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** A failure cause raised by the connector (not an HTTP answer): reason, attempt and time, then `extra`. */
export const failureCause = (
  reason: FailureReason,
  attempt: number,
  /** Epoch ms. */
  now: number,
  extra?: Partial<FailureCause>,
): FailureCause => ({ reason, attempt, at: new Date(now).toISOString(), ...extra });

/** A summary of a message safe to log: identifiers and versions, no content. */
export interface MessageSummary {
  readonly messageId: string;
  readonly resourceType?: string;
  readonly id?: string;
  readonly versionId?: string;
  readonly operation?: DeliveryMessage['operation'];
  readonly subscriptionId?: string;
}
