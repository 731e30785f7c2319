import type { SubscriptionStore } from '../subscriptions/SubscriptionStore.js';
import { toActiveSubscription } from '../subscriptions/toActiveSubscription.js';
import type { SubscriptionLookup } from './types.js';

/**
 * Adapts the subscriptions module's store to the narrow lookup the backfill needs. A deleted
 * subscription is unknown; one past its `end` reports status `off`.
 *
 * @example
 * const subscriptions = subscriptionLookup(new DynamoSubscriptionStore({ client, tableName }));
 */
export const subscriptionLookup = (
  store: Pick<SubscriptionStore, 'get'>,
  now: () => number = Date.now,
): SubscriptionLookup => ({
  getSubscription: async (id) => {
    const record = await store.get(id);
    if (!record || record.deleted || !record.resource) return undefined;
    const status = record.resource.status;
    if (status !== 'active') return { status };
    const active = toActiveSubscription(record.resource);
    if (active.end !== undefined && Date.parse(active.end) <= now()) return { status: 'off' };
    return { status, active };
  },
});
