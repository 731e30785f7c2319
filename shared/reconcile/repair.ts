import { checkSourceResource } from '../ingest/checkSourceResource.js';
import { resourceKey } from '../fhir/ids.js';
import type { FhirResource } from '../fhir/types.js';
import { contentHash } from '../ingest/contentHash.js';
import type { IncomingWrite } from '../ingest/types.js';
import { replicationTargetKey } from '../replication/replicationTargetKey.js';
import type { ActiveSubscription } from '../subscriptions/types.js';
import { classifyResource, isVersionConflict, versionOf } from './classifyResource.js';
import type { FhirLookup } from './FhirLookup.js';
import type { IdSpace } from './IdSpace.js';
import type { PageContext } from './PageContext.js';
import type { PageResult } from './PageResult.js';
import type { ReconcileJob } from './types.js';

/** A source resource to re-deliver: `reset` when the ledger entry must first be moved to its version. */
interface RepairItem {
  readonly id: string;
  readonly healthLakeId: string;
  readonly pinned: boolean;
  readonly conflict: boolean;
  readonly resource: FhirResource;
}

/**
 * Repairs missing/stale source resources: reset pinned and same-version-conflict ledger entries to the
 * source's version, then accept the writes.
 */
const repair = async (
  context: PageContext,
  job: ReconcileJob,
  subscription: ActiveSubscription,
  resourceType: string,
  toRepair: readonly RepairItem[],
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
  // The ledger records delivery targets by endpoint plus replication settings, as the pipeline does.
  const target = replicationTargetKey(
    subscription.endpoint,
    subscription.replication,
    subscription.payloadSearchCriteria,
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
    // Read in full only now (metadata pages): the write path would refuse it as a conflict.
    const conflict = item.conflict || isVersionConflict(resource, latest);
    if (conflict && !item.conflict) result.add('versionConflict', resourceType, item.id);
    if ((item.pinned || conflict) && version && latest) {
      const reset = await context.deps.ledger.resetTo(
        key,
        { ...version, deleted: false, contentHash: contentHash(resource), endpoints: [target] },
        latest,
      );
      if (reset) {
        // Delivered versions are keyed by the id HealthLake holds.
        await context.deps.delivered.forget({
          resourceKey: resourceKey(resourceType, item.healthLakeId),
          endpoint: subscription.endpoint,
        });
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

/**
 * Classifies source resources against HealthLake (at the ids the Subscription's replication settings
 * give them) and the ledger; repairs in repair modes. A resource whose replicated id or references
 * would not be valid FHIR ids is `invalidAtSource`: the deliverer would dead-letter it.
 */
export const compareSourceResources = async (
  context: PageContext,
  job: ReconcileJob,
  subscription: ActiveSubscription,
  resourceType: string,
  resources: readonly FhirResource[],
  healthLake: FhirLookup,
  ids: IdSpace,
  elements: boolean,
  requestId: string,
  result: PageResult,
): Promise<void> => {
  if (resources.length === 0) return;
  const mapped: { resource: FhirResource; id: string; healthLakeId: string }[] = [];
  for (const resource of resources) {
    const id = resource.id as string;
    const healthLakeId = ids.toHealthLake(resourceType, id);
    if (healthLakeId === undefined) {
      result.add('invalidAtSource', resourceType, id);
      result.compared += 1;
    } else mapped.push({ resource, id, healthLakeId });
  }
  if (mapped.length === 0) return;
  const [copies, ledger] = await Promise.all([
    healthLake.byIds(
      resourceType,
      mapped.map((item) => item.healthLakeId),
      { elements: !job.contentHash, concurrency: context.concurrency },
    ),
    context.deps.ledger.getLatest(mapped.map((item) => resourceKey(resourceType, item.id))),
  ]);
  const toRepair: RepairItem[] = [];
  for (const { resource, id, healthLakeId } of mapped) {
    result.compared += 1;
    const asDelivered = job.contentHash ? ids.toHealthLakeResource(resource) : resource;
    if (!asDelivered) {
      result.add('invalidAtSource', resourceType, id);
      continue;
    }
    const { outcome, pinned, conflict } = classifyResource(
      resource,
      copies.get(healthLakeId),
      ledger.get(resourceKey(resourceType, id)),
      { compareContent: job.contentHash, fullSource: !elements, asDelivered },
    );
    result.add(outcome, resourceType, id);
    if (pinned) result.add('pinned', resourceType, id);
    if (conflict) result.add('versionConflict', resourceType, id);
    if (outcome !== 'inSync' || conflict) toRepair.push({ id, healthLakeId, pinned, conflict, resource });
  }
  if (job.mode !== 'compare') {
    await repair(context, job, subscription, resourceType, toRepair, elements, requestId, result);
  }
};
