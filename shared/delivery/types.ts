import type { DeliveryMessage } from '../messages/deliveryMessage.js';
import type { ResourceVersion } from '../versions/compareVersions.js';

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
  /** Delivery attempt this happened on (SQS ApproximateReceiveCount). */
  readonly attempt: number;
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
  /** Smile replication settings cannot be applied (an id over 64 characters after prefixing). */
  replication: 'replication',
  /**
   * The Subscription's payload search could not be run or delivered: the source refused it (terminal),
   * kept failing or found nothing yet (transient), returned more than 160 resources (terminal), or no
   * source server is configured (terminal).
   */
  payloadSearch: 'payload-search',
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

/** What became of one delivery message. */
export type DeliveryOutcome =
  /** HealthLake accepted the PUT (or the payload search's transaction Bundle). */
  | { readonly kind: 'delivered'; readonly status: number; readonly healthLakeLatencyMs: number }
  /** HealthLake accepted the DELETE, or the resource was already gone (404/410). */
  | { readonly kind: 'deleted'; readonly status: number; readonly healthLakeLatencyMs: number }
  /** HealthLake does not support the resource type (400 `not-supported`): dropped, by design. */
  | { readonly kind: 'not-supported-dropped'; readonly status: number; readonly healthLakeLatencyMs: number }
  /** A newer version is known (ledger) or already delivered to this endpoint: not sent. */
  | {
      readonly kind: 'stale-skipped';
      readonly newer: ResourceVersion;
      readonly against: 'ledger' | 'delivered';
    }
  /** May succeed later (429, 5xx, timeout, connection, credentials). */
  | {
      readonly kind: 'transient-failure';
      readonly cause: FailureCause;
      readonly healthLakeLatencyMs?: number;
    }
  /** Will never succeed as it is (other 4xx, invalid message, missing payload). */
  | {
      readonly kind: 'terminal-failure';
      readonly cause: FailureCause;
      readonly healthLakeLatencyMs?: number;
    };

export type DeliveryOutcomeKind = DeliveryOutcome['kind'];

/** What the deliverer did with an SQS record after the outcome. */
export const Disposition = {
  /** Done: the record leaves the queue (delivered, deleted, dropped, skipped). */
  done: 'done',
  /** Sent to the DLQ with its cause; the record leaves the delivery queue. */
  deadLettered: 'dead-lettered',
  /** Reported failed with a backoff visibility timeout; SQS delivers it again. */
  retry: 'retry',
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/** A summary of a message safe to log: identifiers and versions, no content. */
export interface MessageSummary {
  readonly messageId: string;
  readonly resourceType?: string;
  readonly id?: string;
  readonly versionId?: string;
  readonly operation?: DeliveryMessage['operation'];
  readonly subscriptionId?: string;
}

/** The settled result of one SQS record. */
export interface RecordSettlement {
  readonly summary: MessageSummary;
  readonly outcome: DeliveryOutcome;
  readonly disposition: Disposition;
  readonly attempt: number;
  /** Visibility timeout set for the retry, seconds. */
  readonly retryDelaySeconds?: number;
  /** End-to-end latency (now - trace.ingestedAt) at HealthLake's ack, for delivered/deleted. */
  readonly endToEndLatencyMs?: number;
}

/** Receives every settled record; the Lambda handler turns these into logs and metrics. */
export interface DeliveryTelemetry {
  settled(settlement: RecordSettlement): void;
  /** A non-fatal problem (e.g. a visibility change that failed). Message holds no content. */
  warn(message: string, details: Record<string, unknown>): void;
}
