import type { FhirResource } from '../fhir/types.js';
import type { IncomingWrite, WritePipeline } from '../ingest/types.js';
import type { ResourceRef } from '../notifications/types.js';
import { FAILED_ID_REASONS, type BackfillLogger, type FailedId } from './types.js';

/** The writes a page's reads make: upserts of what the source has, deletes of what it no longer has. */
export const writesOf = (
  upserts: readonly FhirResource[],
  deletes: readonly ResourceRef[],
  trace: { readonly requestId: string; readonly jobId: string; readonly subscriptionId?: string | undefined },
): IncomingWrite[] => [
  ...upserts.map((resource): IncomingWrite => ({
    operation: 'upsert',
    resourceType: resource.resourceType,
    id: resource.id ?? '',
    resource,
    source: 'backfill',
    requestId: trace.requestId,
    jobId: trace.jobId,
    ...(trace.subscriptionId === undefined ? {} : { onlySubscriptionId: trace.subscriptionId }),
  })),
  ...deletes.map((ref): IncomingWrite => ({
    operation: 'delete',
    resourceType: ref.resourceType,
    id: ref.id,
    source: 'backfill',
    requestId: trace.requestId,
    jobId: trace.jobId,
  })),
];

/** What accepting a page's writes did. */
export interface Accepted {
  readonly enqueued: number;
  readonly skipped: number;
  /** Writes that matched at least one Subscription. */
  readonly matchedWrites: number;
  /** Same-version conflicts: refused, never delivered. */
  readonly conflicts: readonly FailedId[];
}

/** Accepts writes through the pipeline in chunks of `chunkSize`, counting what happened. */
export const acceptWrites = async (
  writes: readonly IncomingWrite[],
  options: {
    readonly pipeline: WritePipeline;
    readonly chunkSize: number;
    readonly jobId: string;
    readonly logger?: BackfillLogger | undefined;
  },
): Promise<Accepted> => {
  let enqueued = 0;
  let skipped = 0;
  let matchedWrites = 0;
  const conflicts: FailedId[] = [];
  for (let start = 0; start < writes.length; start += options.chunkSize) {
    const chunk = writes.slice(start, start + options.chunkSize);
    const results = await options.pipeline.accept(chunk);
    results.forEach((result, index) => {
      enqueued += result.enqueued;
      if (result.status === 'stale') skipped += 1;
      if (result.matched > 0) matchedWrites += 1;
      if (result.status === 'conflict') {
        // The ledger holds this versionId with other content: refused, never delivered. A failure.
        const write = chunk[index] as IncomingWrite;
        conflicts.push({
          key: `${write.resourceType}/${write.id}`,
          reason: FAILED_ID_REASONS.versionConflict,
        });
        options.logger?.warn('Backfill source copy conflicts with the recorded version; not delivered', {
          jobId: options.jobId,
          resourceType: write.resourceType,
          id: write.id,
          versionId: result.versionId,
        });
      }
    });
  }
  return { enqueued, skipped, matchedWrites, conflicts };
};
