import type { Subscription } from '@medplum/fhirtypes';
import { conflict, OperationOutcomeError, preconditionFailed } from '../fhir/outcomes.js';
import type { SaveOptions, StoredSubscription, SubscriptionRecord } from './SubscriptionStore.js';
import type { SubscriptionStatus } from './types.js';

/** JSON with object keys sorted, so equal content compares equal whatever the key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );

/** The content of a Subscription without the version meta the store owns. */
export const contentOf = (resource: Subscription): string => {
  const { meta, ...rest } = resource;
  if (!meta) return canonicalJson(rest);
  const { versionId: _versionId, lastUpdated: _lastUpdated, ...keptMeta } = meta;
  return canonicalJson(Object.keys(keptMeta).length > 0 ? { ...rest, meta: keptMeta } : rest);
};

/**
 * What a save should write given the current record: the next version, or nothing when the content
 * is unchanged. Throws 409/412 when the caller's condition does not hold.
 */
export const planSave = (
  current: SubscriptionRecord | undefined,
  resource: Subscription & { id: string; status: SubscriptionStatus },
  options: SaveOptions = {},
): { write: boolean; created: boolean; resource: StoredSubscription } => {
  const live = current && !current.deleted ? current : undefined;
  const condition = options.condition;
  if (condition?.kind === 'absent' && live) {
    throw new OperationOutcomeError(conflict(`Subscription/${resource.id} already exists`));
  }
  if (condition?.kind === 'version' && (!live || live.versionId !== condition.versionId)) {
    throw new OperationOutcomeError(
      preconditionFailed(`Subscription/${resource.id} is not at version ${condition.versionId}`),
    );
  }
  if (live?.resource && contentOf(live.resource) === contentOf(resource)) {
    return { write: false, created: false, resource: live.resource };
  }
  const versionId = String((current ? Number(current.versionId) : 0) + 1);
  const lastUpdated = (options.now ?? new Date()).toISOString();
  const { meta, ...rest } = resource;
  return {
    write: true,
    created: live === undefined,
    resource: { ...rest, meta: { ...meta, versionId, lastUpdated } } as StoredSubscription,
  };
};

/** The tombstone a delete writes, or undefined when there is nothing to delete. */
export const planDelete = (
  current: SubscriptionRecord | undefined,
  now: Date = new Date(),
): SubscriptionRecord | undefined =>
  current && !current.deleted
    ? {
        id: current.id,
        versionId: String(Number(current.versionId) + 1),
        lastUpdated: now.toISOString(),
        deleted: true,
      }
    : undefined;
