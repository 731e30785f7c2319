import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DeliveryMessage, InvalidDeliveryMessageError } from '../messages/deliveryMessage.js';
import type { MessageSummary } from '../messages/failureCause.js';
import type { DeliveredVersion, DeliveredVersions, DeliveryTarget } from '../versions/DeliveredVersions.js';
import type { LedgerEntry, VersionLedger } from '../versions/VersionLedger.js';
import type { DataStoreHealth } from './dataStoreHealth.js';
import type { DeliveryAttempts } from './deliveryAttempts.js';
import type { BackoffOptions } from './retryDelay.js';
import type { TimeLimitOptions } from './timeBudget.js';
import type { DeliverMessageDeps, DeliveryTelemetry, RecordSettlement } from './types.js';

/** Settings of the batch deliverer (read once from the environment by the Lambda). */
export interface BatchDeliveryConfig {
  /** The queue the records came from (for ChangeMessageVisibility). */
  readonly queueUrl: string;
  /** Where terminal failures go, with their cause. */
  readonly deadLetterQueueUrl: string;
  /**
   * Attempts before a transiently failing message is dead-lettered (delivery.retryCount + 1); a
   * subscription may lower it. Counted per message by `attempts` (the queue's redrive limit is a much
   * higher backstop).
   */
  readonly defaultMaxAttempts: number;
  readonly backoff?: BackoffOptions;
  /** Backoff of access-denied failures (a configuration fault): long, so an operator can fix it in time. */
  readonly accessDeniedBackoff?: BackoffOptions;
  /**
   * Endpoints (normalised by `parseAllowedEndpoints`) a message may target. Fails closed: an empty
   * set allows none. Ingest checks the same list when a Subscription is created.
   */
  readonly allowedEndpoints: ReadonlySet<string>;
  /** Why the allow-list is empty or unparsable, when it is (logged at start-up, put in each cause). */
  readonly allowListProblem?: string;
  /** Keeps each invocation within its time limit (with the invocation's remaining time). */
  readonly timeLimit?: TimeLimitOptions;
}

/** Everything a batch needs, narrowed to what it calls; built once per Lambda instance. */
export interface BatchDeliveryDeps extends DeliverMessageDeps {
  readonly ledger: Pick<VersionLedger, 'getLatest'>;
  readonly delivered: DeliveredVersions;
  readonly sqs: Pick<SQSClient, 'send'>;
  readonly telemetry: DeliveryTelemetry;
  readonly config: BatchDeliveryConfig;
  /**
   * Failed attempts per message. Without it the receive count stands in (held-back and deferred
   * receives then spend attempts too): tests of other behaviour only.
   */
  readonly attempts?: DeliveryAttempts;
  /** What this instance knows of each data store's failures; without it no record is deferred. */
  readonly dataStores?: DataStoreHealth;
  /** Jitter source, for tests. @default Math.random */
  readonly random?: () => number;
}

/** A batch in progress: per-record results, available to a record handler in any order. */
export interface BatchDelivery {
  /**
   * The record handler for a partial-batch processor: resolves with the settlement when the record is
   * done (delivered, dropped, skipped, dead-lettered), throws `RecordFailedError` when it must be retried.
   */
  settle(record: SQSRecord): Promise<RecordSettlement>;
  /** All records settled (failures included); never rejects. */
  readonly done: Promise<readonly RecordSettlement[]>;
}

export interface ParsedRecord {
  readonly record: SQSRecord;
  /** SQS ApproximateReceiveCount (receives, not attempts: see `BatchDeliveryDeps.attempts`). */
  readonly attempt: number;
  readonly summary: MessageSummary;
}

/** A record whose body is a valid delivery message. */
export interface ValidRecord extends ParsedRecord {
  readonly message: DeliveryMessage;
  /** The message's resource and endpoint. */
  readonly target: DeliveryTarget;
  /** `targetKey(target)`: the key of its delivered version in the batch state. */
  readonly deliveredKey: string;
  /** The source resource's key in the version ledger (written by ingest, before any id rewriting). */
  readonly ledgerKey: string;
  readonly invalid?: undefined;
}

/** A record whose body is not a valid delivery message (dead-lettered with the problems). */
export interface InvalidRecord extends ParsedRecord {
  readonly message?: undefined;
  readonly invalid: InvalidDeliveryMessageError;
}

export type Parsed = ValidRecord | InvalidRecord;

/** The ledger's and the delivered versions' state of a batch's resources, read once. */
export interface BatchState {
  readonly latest: Map<string, LedgerEntry>;
  readonly delivered: Map<string, DeliveredVersion>;
}
