import type { BackfillLogger, CriteriaCompiler, SubscriptionLookup, WorkQueue } from '../backfill/types.js';
import type { SourceReader } from '../fhirClient/FhirClient.js';
import type { WritePipeline } from '../ingest/types.js';
import type { DeliveredVersionsEraser } from '../versions/DeliveredVersions.js';
import type { VersionLedger } from '../versions/VersionLedger.js';
import type { FhirLookup } from './FhirLookup.js';
import type { IdListSink } from './IdListSink.js';
import type { ReconcileJobStore } from './ReconcileJobStore.js';
import type { ReconcileMessage } from './types.js';

/** A FHIR server read by reconcile: searches, reads and its CapabilityStatement. */
export type ReconcileReader = SourceReader & { capabilityStatement(): Promise<unknown> };

export interface ReconcileWorkerDeps {
  readonly jobs: ReconcileJobStore;
  readonly subscriptions: SubscriptionLookup;
  readonly queue: WorkQueue<ReconcileMessage>;
  /** The source reader, or a loader called once on first use (credentials come from a secret). */
  readonly source: ReconcileReader | (() => Promise<ReconcileReader>);
  /** A reader of the HealthLake data store at `endpoint` (SigV4 with the customer role). */
  readonly healthLake: (endpoint: string) => SourceReader;
  readonly ledger: Pick<VersionLedger, 'getLatest' | 'resetTo'>;
  readonly delivered: DeliveredVersionsEraser;
  readonly pipeline: WritePipeline;
  readonly compileCriteria: CriteriaCompiler;
  readonly idLists?: IdListSink;
  readonly logger?: BackfillLogger;
  readonly now?: () => Date;
  /** `_count` of search pages (default 500). */
  readonly pageSize?: number;
  /** `_id` look-ups in flight per page (default 4). */
  readonly lookupConcurrency?: number;
  /** On this receive of a message, an error that would be retried fails the job instead (default 5). */
  readonly maxReceives?: number;
  /** Compiled criteria kept by this worker instance (the recently used). @default MAX_COMPILED_CRITERIA (100) */
  readonly maxCompiledCriteria?: number;
  /** HealthLake readers (one per endpoint) kept by this worker instance. @default MAX_HEALTHLAKE_READERS (16) */
  readonly maxHealthLakeReaders?: number;
}

/** What the steps of one page share: the worker's dependencies and its source, read once. */
export interface PageContext {
  readonly deps: ReconcileWorkerDeps;
  /** The source server's lookup (built on first use). */
  source(): Promise<FhirLookup>;
  /** `_id` look-ups in flight per page. */
  readonly concurrency: number;
}
