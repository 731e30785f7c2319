import { withoutHeaders } from './parseSubscription.js';
import type { StoredSubscription } from './SubscriptionStore.js';

/**
 * A stored Subscription as the API shows it: an `active` one whose `end` has passed reads as `off`
 * (R4: `end` is when the server turns the subscription off), without writing a new version;
 * `channel.header` is never shown (a Subscription stored by an older version may still hold one).
 */
export const presentSubscription = (stored: StoredSubscription, now: Date): StoredSubscription => {
  const { channel, headerDropped } = withoutHeaders(stored.channel);
  const resource = headerDropped ? ({ ...stored, channel } as unknown as StoredSubscription) : stored;
  if (resource.status !== 'active' || resource.end === undefined) return resource;
  const endMs = Date.parse(resource.end);
  return Number.isNaN(endMs) || endMs > now.getTime() ? resource : { ...resource, status: 'off' };
};
