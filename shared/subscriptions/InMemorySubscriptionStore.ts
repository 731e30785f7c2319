import type { Subscription } from '@medplum/fhirtypes';
import { planDelete, planSave } from './storeVersions.js';
import { subscriptionLimitReached } from './subscriptionLimit.js';
import type {
  DeleteResult,
  SaveOptions,
  SaveResult,
  StoredSubscription,
  SubscriptionRecord,
  SubscriptionStore,
} from './SubscriptionStore.js';
import type { SubscriptionStatus } from './types.js';

/**
 * A SubscriptionStore in process memory with the DynamoDB store's semantics (versions, tombstones,
 * conditions). For tests, benchmarks and local experiments; not durable. Stored values are copied
 * in and out so callers cannot mutate them.
 */
export class InMemorySubscriptionStore implements SubscriptionStore {
  private readonly records = new Map<string, SubscriptionRecord>();
  /** How many times `list` was called (lets cache tests count store reads). */
  public listCalls = 0;

  public async get(id: string): Promise<SubscriptionRecord | undefined> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : undefined;
  }

  public async list(): Promise<StoredSubscription[]> {
    this.listCalls += 1;
    return [...this.records.values()]
      .filter((record) => !record.deleted && record.resource)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((record) => structuredClone(record.resource as StoredSubscription));
  }

  public async save(
    resource: Subscription & { id: string; status: SubscriptionStatus },
    options: SaveOptions = {},
  ): Promise<SaveResult> {
    const current = this.records.get(resource.id);
    const plan = planSave(current, structuredClone(resource), options);
    const max = options.maxSubscriptions;
    if (plan.write && plan.created && max !== undefined) {
      const count = [...this.records.values()].filter((record) => !record.deleted).length;
      if (count >= max) throw subscriptionLimitReached(count, max);
    }
    if (plan.write) {
      this.records.set(resource.id, {
        id: resource.id,
        versionId: plan.resource.meta.versionId,
        lastUpdated: plan.resource.meta.lastUpdated,
        deleted: false,
        resource: plan.resource,
      });
    }
    return { resource: structuredClone(plan.resource), created: plan.created, changed: plan.write };
  }

  public async delete(id: string, options: { now?: Date } = {}): Promise<DeleteResult> {
    const current = this.records.get(id);
    const tombstone = planDelete(current, options.now);
    if (!tombstone) return current ? 'already-deleted' : 'not-found';
    this.records.set(id, tombstone);
    return 'deleted';
  }
}
