import type { FhirResource } from '../fhir/types.js';
import type { IncomingWrite } from '../ingest/types.js';
import type { PageContext } from './PageContext.js';
import { totalOf, type PageResult } from './PageResult.js';
import type { ReconcileJob } from './types.js';

/** Counts HealthLake resources absent from the source; prunes them in repair-and-prune. */
export const findOrphans = async (
  context: PageContext,
  job: ReconcileJob,
  resourceType: string,
  copies: readonly FhirResource[],
  sourceIds: ReadonlySet<string>,
  requestId: string,
  result: PageResult,
): Promise<string | undefined> => {
  const orphans = copies.filter((copy) => !sourceIds.has(copy.id as string)).map((copy) => copy.id as string);
  for (const id of orphans) result.add('onlyInHealthLake', resourceType, id);
  if (job.mode !== 'repair-and-prune' || orphans.length === 0) return undefined;
  const confirmed = job.pruneConfirmation ?? 0;
  const already = totalOf(job, 'pruned');
  if (already + result.total('pruned') + orphans.length > confirmed) {
    return `More resources only in HealthLake than the ${confirmed} confirmed; pruning stopped`;
  }
  const writes: IncomingWrite[] = orphans.map((id) => ({
    operation: 'delete',
    resourceType,
    id,
    source: 'reconcile',
    requestId,
    jobId: job.jobId,
    onlySubscriptionId: job.subscriptionId,
  }));
  const results = await context.deps.pipeline.accept(writes);
  results.forEach((written, index) => {
    if (written.enqueued > 0) result.add('pruned', resourceType, (writes[index] as IncomingWrite).id);
  });
  return undefined;
};
