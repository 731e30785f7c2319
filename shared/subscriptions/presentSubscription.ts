import type { StoredSubscription } from './SubscriptionStore.js';

/**
 * A stored Subscription as the API shows it: an `active` one whose `end` has passed reads as `off`
 * (R4: `end` is when the server turns the subscription off), without writing a new version.
 */
export const presentSubscription = (resource: StoredSubscription, now: Date): StoredSubscription => {
  if (resource.status !== 'active' || resource.end === undefined) return resource;
  const endMs = Date.parse(resource.end);
  return Number.isNaN(endMs) || endMs > now.getTime() ? resource : { ...resource, status: 'off' };
};
