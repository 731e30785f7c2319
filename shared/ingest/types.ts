import type { FhirResource } from '../fhir/types.js';
import type { RecordStatus } from '../versions/VersionLedger.js';

/**
 * One resource write entering the pipeline: validated already, id assigned already.
 * Ingest (PUT/POST/DELETE/Bundles) and backfill both go through `WritePipeline.accept`, so the
 * latest-version and ordering rules hold whichever way a version arrives.
 */
export interface IncomingWrite {
  readonly operation: 'upsert' | 'delete';
  readonly resourceType: string;
  readonly id: string;
  /** The resource for an upsert (with `meta.versionId`/`lastUpdated` when the source set them). */
  readonly resource?: FhirResource;
  readonly source: 'ingest' | 'backfill' | 'reconcile';
  readonly requestId: string;
  readonly jobId?: string;
  /** Backfill targets one subscription: match only against it. */
  readonly onlySubscriptionId?: string;
}

export interface WriteResult {
  /**
   * recorded = new latest; current = same version as the latest (retry); stale = older, not
   * delivered; conflict = the recorded version's id with different content: refused (409), nothing
   * recorded or enqueued; refused = a versionId jumping implausibly far past the recorded one (422),
   * nothing recorded or enqueued.
   */
  readonly status: RecordStatus | 'conflict';
  readonly versionId: string;
  readonly lastUpdated: string;
  /** The resource as recorded (with meta.versionId/lastUpdated set), for upserts. */
  readonly resource?: FhirResource;
  /**
   * Distinct endpoints the write matched (subscriptions sharing an endpoint count once), and delivery
   * messages enqueued (one per such endpoint); both 0 for a stale write.
   */
  readonly matched: number;
  readonly enqueued: number;
  /** A stale ingest write: the stale writes the recorded version has had, this one included. */
  readonly staleWrites?: number;
  /** A refused write: the largest versionId jump accepted without a newer lastUpdated. */
  readonly maxVersionJump?: number;
}

export interface WritePipeline {
  /**
   * Records each write's version in the ledger, matches active subscriptions and enqueues the
   * delivery messages. Resolves only when every message is on the queue; throws otherwise
   * (the caller answers 5xx and the client may retry safely).
   */
  accept(writes: readonly IncomingWrite[]): Promise<WriteResult[]>;
}
