import type { FhirResource } from '../fhir/types.js';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import type { HealthLakeApi } from '../healthlake/types.js';
import type { TransformInvoker } from './transformInvoker.js';
import type { DeliveredVersion } from '../versions/DeliveredVersions.js';
import type { LedgerEntry } from '../versions/VersionLedger.js';
import type { FailureCause, MessageSummary } from '../messages/failureCause.js';
import type { ResourceVersion } from '../versions/compareVersions.js';

/** What became of one delivery message. */
export type DeliveryOutcome =
  /** HealthLake accepted the PUT (or the payload search's transaction Bundle). */
  | { readonly kind: 'delivered'; readonly status: number; readonly healthLakeLatencyMs: number }
  /** HealthLake accepted the DELETE, or the resource was already gone (404/410). */
  | { readonly kind: 'deleted'; readonly status: number; readonly healthLakeLatencyMs: number }
  /** HealthLake does not support the resource type (400 `not-supported`): dropped, by design. */
  | { readonly kind: 'not-supported-dropped'; readonly status: number; readonly healthLakeLatencyMs: number }
  /**
   * Not sent, by the Subscription's choice: the source server found the resource does not match the
   * criteria it evaluates, or the Subscription's transform returned nothing. Counted (`Filtered`).
   */
  | { readonly kind: 'filtered'; readonly by: 'source-criteria' | 'transform' }
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

/** The settled result of one SQS record. */
export interface RecordSettlement {
  readonly summary: MessageSummary;
  readonly outcome: DeliveryOutcome;
  readonly disposition: Disposition;
  readonly attempt: number;
  /** `dataStoreLabel` of the message's endpoint (per-data-store counts); absent for an invalid message. */
  readonly dataStore?: string;
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

/** What is known about the message's resource when it is delivered. */
export interface DeliveryContext {
  /** Delivery attempt, 1-based (SQS ApproximateReceiveCount). */
  readonly attempt: number;
  /** The version ledger's latest entry for the resource, if any. */
  readonly latest?: LedgerEntry;
  /** The version last delivered to the message's endpoint, if any. */
  readonly delivered?: DeliveredVersion;
  /** The longest the HealthLake request may take (the invocation's time left), ms. */
  readonly requestTimeoutMs?: number;
}

/**
 * Checks one resource read from the source as ingest would (backfill's checkSourceResource: replicated R4
 * type, FHIR id, JSON shape and prototype keys, clock skew, structure); `failedId` quotes nothing else.
 */
export type SourceResourceCheck = (
  value: unknown,
) =>
  { readonly ok: true; readonly resource: FhirResource } | { readonly ok: false; readonly failedId: string };

/** Where payload searches run, and what every result must pass before it is written to HealthLake. */
export interface PayloadSearchSource {
  readonly reader: SourceReader;
  readonly check: SourceResourceCheck;
}

/** The clients `deliverMessage` uses, narrowed to what it calls. */
export interface DeliverMessageDeps {
  /** The HealthLake client for a data store endpoint. */
  healthLake(endpoint: string): HealthLakeApi;
  /** Called when HealthLake rejected the credentials as expired/unknown, so they are refreshed. */
  credentialsRejected?(endpoint: string): void;
  /** For S3 payload references. */
  readonly s3?: Pick<S3Client, 'send'>;
  /**
   * The source FHIR server payload searches run against, and the checks each result must pass (built on
   * first use: its credentials come from a secret); undefined when none is configured, and a
   * payload-search message is then dead-lettered.
   */
  source?(): Promise<PayloadSearchSource>;
  /** Runs a Subscription's transform (delivery.transforms); undefined when none is configured. */
  readonly transform?: TransformInvoker;
  /** The longest a transform may take, ms. @default DEFAULT_TRANSFORM_TIMEOUT_MS (5 s) */
  readonly transformTimeoutMs?: number;
  /** Most entries in one Bundle sent to HealthLake (healthLake.maxBundleEntries). @default 160 */
  readonly maxBundleEntries?: number;
  /** Clock (epoch ms). */
  now(): number;
}
