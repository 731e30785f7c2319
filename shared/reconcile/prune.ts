import { resourceKey } from '../fhir/ids.js';
import type { FhirResource } from '../fhir/types.js';
import type { IncomingWrite } from '../ingest/types.js';
import type { IdSpace } from './IdSpace.js';
import type { PageContext } from './PageContext.js';
import type { PageResult } from './PageResult.js';
import type { ReconcileJob } from './types.js';

/** Which page a prune batch belongs to: names its reservation in the job's prune counter. */
export interface PageRef {
  readonly stream: number;
  readonly page: number;
  /** A page checks several types (ids streams): one batch each. */
  readonly resourceType: string;
}

/**
 * The source id a prune deletes through the pipeline, so the deliverer's mapping lands on `healthLakeId`:
 * the candidate the ledger knows (the one delivered), else the first.
 */
const sourceIdToDelete = (
  candidates: readonly string[],
  known: ReadonlyMap<string, unknown>,
  resourceType: string,
): string => candidates.find((id) => known.has(resourceKey(resourceType, id))) ?? (candidates[0] as string);

/**
 * Handles HealthLake copies absent from the source. Out-of-scope ids (outside the Subscription's id
 * space) are counted and left alone. An in-scope copy is an orphan when no source id that maps to it
 * exists on the source. A compare job lists its orphans (for a later prune); repair-and-prune deletes
 * only orphans its confirmed compare listed (the others are `unconfirmed`), after reserving them in
 * the job's conditional prune counter: never more than confirmed in total, however pages interleave.
 * Deletes go through the pipeline under the source id, so the deliverer maps them as it maps writes.
 *
 * @returns a reason to stop the job, or undefined.
 */
export const findOrphans = async (
  context: PageContext,
  job: ReconcileJob,
  resourceType: string,
  copies: readonly FhirResource[],
  ids: IdSpace,
  where: PageRef,
  requestId: string,
  result: PageResult,
): Promise<string | undefined> => {
  const candidates = new Map<string, string[]>();
  for (const copy of copies) {
    const healthLakeId = copy.id as string;
    const sourceIds = ids.toSource(resourceType, healthLakeId);
    if (sourceIds.length === 0) result.add('outOfScope', resourceType, healthLakeId);
    else candidates.set(healthLakeId, sourceIds);
  }
  if (candidates.size === 0) return undefined;
  const source = await context.source();
  const present = await source.byIds(resourceType, [...new Set([...candidates.values()].flat())], {
    elements: true,
    concurrency: context.concurrency,
  });
  const orphans = [...candidates].filter(([, sourceIds]) => !sourceIds.some((id) => present.has(id)));
  result.compared += candidates.size;
  for (const [healthLakeId] of orphans) result.add('onlyInHealthLake', resourceType, healthLakeId);
  if (orphans.length === 0) return undefined;
  const keys = orphans.map(([healthLakeId]) => resourceKey(resourceType, healthLakeId));
  if (job.mode === 'compare') {
    await context.deps.jobs.recordOrphans(job.jobId, keys);
    return undefined;
  }
  if (job.mode !== 'repair-and-prune') return undefined;

  const listed = await context.deps.jobs.listedOrphans(job.compareJobId as string, keys);
  const confirmed = orphans.filter(([healthLakeId]) => listed.has(resourceKey(resourceType, healthLakeId)));
  for (const [healthLakeId] of orphans)
    if (!listed.has(resourceKey(resourceType, healthLakeId)))
      result.add('unconfirmed', resourceType, healthLakeId);
  if (confirmed.length === 0) return undefined;
  const limit = job.pruneConfirmation ?? 0;
  const batch = `${where.stream}-${where.page}-${resourceType}`;
  if (!(await context.deps.jobs.reservePrunes(job.jobId, batch, confirmed.length, limit))) {
    return `More resources only in HealthLake than the ${limit} confirmed; pruning stopped`;
  }
  const known = ids.rewrites
    ? await context.deps.ledger.getLatest(
        confirmed.flatMap(([, sourceIds]) => sourceIds.map((id) => resourceKey(resourceType, id))),
      )
    : new Map<string, unknown>();
  const writes: (IncomingWrite & { healthLakeId: string })[] = confirmed.map(([healthLakeId, sourceIds]) => ({
    operation: 'delete',
    resourceType,
    id: sourceIdToDelete(sourceIds, known, resourceType),
    healthLakeId,
    source: 'reconcile',
    requestId,
    jobId: job.jobId,
    onlySubscriptionId: job.subscriptionId,
  }));
  const results = await context.deps.pipeline.accept(writes.map(({ healthLakeId: _, ...write }) => write));
  results.forEach((written, index) => {
    const healthLakeId = (writes[index] as { healthLakeId: string }).healthLakeId;
    if (written.enqueued > 0) result.add('pruned', resourceType, healthLakeId);
  });
  return undefined;
};
