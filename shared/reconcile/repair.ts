import { checkSourceResource } from '../ingest/checkSourceResource.js';
import { resourceKey } from '../fhir/ids.js';
import type { FhirResource } from '../fhir/types.js';
import { contentHash } from '../ingest/contentHash.js';
import type { IncomingWrite } from '../ingest/types.js';
import type { ActiveSubscription } from '../subscriptions/types.js';
import { classifyResource, versionOf } from './classifyResource.js';
import type { FhirLookup } from './FhirLookup.js';
import type { PageContext } from './PageContext.js';
import type { PageResult } from './PageResult.js';
import type { ReconcileJob } from './types.js';

/** Repairs missing/stale source resources: reset pinned ledger entries, then accept the writes. */
const repair = async (
  context: PageContext,
  job: ReconcileJob,
  subscription: ActiveSubscription,
  resourceType: string,
  toRepair: readonly { id: string; pinned: boolean; resource: FhirResource }[],
  elements: boolean,
  requestId: string,
  result: PageResult,
): Promise<void> => {
  if (toRepair.length === 0) return;
  const source = await context.source();
  const full = elements
    ? await source.byIds(
        resourceType,
        toRepair.map((item) => item.id),
        { elements: false, concurrency: context.concurrency },
      )
    : new Map(toRepair.map((item) => [item.id, item.resource]));
  const ledgerEntries = await context.deps.ledger.getLatest(
    toRepair.map((item) => resourceKey(resourceType, item.id)),
  );
  const writes: IncomingWrite[] = [];
  const resetKeys = new Set<string>();
  for (const item of toRepair) {
    const read = full.get(item.id);
    if (!read) continue; // deleted on the source meanwhile
    // The checks backfill applies to what it reads. Not the structure validator: its definitions
    // ship with ingest and backfill only.
    const check = checkSourceResource(read, {
      validate: false,
      expected: { resourceType, id: item.id },
      ...(context.deps.now ? { now: context.deps.now } : {}),
    });
    if (!check.ok) {
      result.add('invalidAtSource', resourceType, item.id);
      continue;
    }
    const resource = check.resource;
    const key = resourceKey(resourceType, item.id);
    const version = versionOf(resource);
    const latest = ledgerEntries.get(key);
    if (item.pinned && version && latest) {
      const reset = await context.deps.ledger.resetTo(
        key,
        {
          ...version,
          deleted: false,
          contentHash: contentHash(resource),
          endpoints: [subscription.endpoint],
        },
        latest,
      );
      if (reset) {
        await context.deps.delivered.forget({ resourceKey: key, endpoint: subscription.endpoint });
        resetKeys.add(key);
      }
    }
    writes.push({
      operation: 'upsert',
      resourceType,
      id: item.id,
      resource,
      source: 'reconcile',
      requestId,
      jobId: job.jobId,
      onlySubscriptionId: job.subscriptionId,
    });
  }
  if (writes.length === 0) return;
  const results = await context.deps.pipeline.accept(writes);
  results.forEach((written, index) => {
    const write = writes[index] as IncomingWrite;
    if (written.enqueued === 0) return;
    result.add('repaired', resourceType, write.id);
    if (resetKeys.has(resourceKey(resourceType, write.id))) result.add('pinnedReset', resourceType, write.id);
  });
};

/** Classifies source resources against HealthLake and the ledger; repairs in repair modes. */
export const compareSourceResources = async (
  context: PageContext,
  job: ReconcileJob,
  subscription: ActiveSubscription,
  resourceType: string,
  resources: readonly FhirResource[],
  healthLake: FhirLookup,
  elements: boolean,
  requestId: string,
  result: PageResult,
): Promise<void> => {
  if (resources.length === 0) return;
  const ids = resources.map((resource) => resource.id as string);
  const [copies, ledger] = await Promise.all([
    healthLake.byIds(resourceType, ids, { elements: !job.contentHash, concurrency: context.concurrency }),
    context.deps.ledger.getLatest(ids.map((id) => resourceKey(resourceType, id))),
  ]);
  const toRepair: { id: string; pinned: boolean; resource: FhirResource }[] = [];
  for (const resource of resources) {
    const id = resource.id as string;
    const { outcome, pinned } = classifyResource(
      resource,
      copies.get(id),
      ledger.get(resourceKey(resourceType, id)),
      job.contentHash,
    );
    result.add(outcome, resourceType, id);
    if (pinned) result.add('pinned', resourceType, id);
    if (outcome !== 'inSync') toRepair.push({ id, pinned, resource });
    result.compared += 1;
  }
  if (job.mode !== 'compare') {
    await repair(context, job, subscription, resourceType, toRepair, elements, requestId, result);
  }
};
