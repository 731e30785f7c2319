import type { FhirRequest } from '../../http/types.js';
import type { IncomingWrite, WriteResult } from '../types.js';

/** Limits of the ingest API (configurable; see INGEST_ENV). */
export interface IngestLimits {
  readonly maxBundleEntries: number;
  readonly validateResources: boolean;
  /** Seconds a `meta.lastUpdated` may lie ahead of `now()` before the write is refused (422). */
  readonly maxClockSkewSeconds: number;
  /** Stale writes to one recorded version from which each further one is reported (`repeatedStale`). */
  readonly repeatedStaleWrites: number;
}

/** Counters the routes report (the Lambda maps them to CloudWatch metrics by resource type). */
export interface IngestObserver {
  /** A request (or a batch entry) rejected for bad input or authentication. */
  rejected(): void;
  /** A write went through the pipeline (recorded, current or stale). */
  written(write: IncomingWrite, result: WriteResult): void;
  /**
   * A stale write to a resource that already had `repeatedStaleWrites - 1` of them against the same
   * recorded version: the resource may be pinned by a forged or restored version.
   */
  repeatedStale?(write: IncomingWrite): void;
}

export const NO_OBSERVER: IngestObserver = { rejected: () => undefined, written: () => undefined };

/** What the route functions share: limits, the pipeline call (with error mapping) and counters. */
export interface IngestRouterContext {
  readonly limits: IngestLimits;
  readonly observe: IngestObserver;
  /** The connector's clock, for the clock-skew check. */
  readonly now: () => Date;
  /** Runs the write pipeline; a failure becomes a 503 `EnqueueError`. */
  accept(request: FhirRequest, writes: readonly IncomingWrite[]): Promise<WriteResult[]>;
}
