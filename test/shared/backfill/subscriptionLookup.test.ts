import { describe, expect, it } from 'vitest';
import { subscriptionLookup } from '../../../shared/backfill/subscriptionLookup.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';

const subscription = (id: string, status: 'active' | 'requested' | 'off', end?: string) => ({
  resourceType: 'Subscription' as const,
  id,
  status,
  reason: 'test',
  criteria: '[Patient]',
  ...(end ? { end } : {}),
  channel: {
    type: 'rest-hook' as const,
    endpoint: 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4',
  },
});

describe('subscriptionLookup', () => {
  it('resolves an active subscription, reports other statuses, and treats deleted ones as unknown', async () => {
    const store = new InMemorySubscriptionStore();
    await store.save(subscription('a', 'active'));
    await store.save(subscription('r', 'requested'));
    await store.save(subscription('ended', 'active', '2020-01-01T00:00:00Z'));
    await store.save(subscription('gone', 'active'));
    await store.delete('gone');
    const lookup = subscriptionLookup(store);
    expect(await lookup.getSubscription('a')).toMatchObject({
      status: 'active',
      active: { id: 'a', criteria: '[Patient]' },
    });
    expect(await lookup.getSubscription('r')).toEqual({ status: 'requested' });
    expect(await lookup.getSubscription('ended')).toEqual({ status: 'off' });
    expect(await lookup.getSubscription('gone')).toBeUndefined();
    expect(await lookup.getSubscription('never')).toBeUndefined();
  });
});
