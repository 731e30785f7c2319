import { describe, expect, it } from 'vitest';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { makeSubscription } from '../../helpers/subscriptions.js';
import { describeSubscriptionStore } from './storeContract.js';

describeSubscriptionStore('InMemorySubscriptionStore', () => new InMemorySubscriptionStore());

describe('Class: InMemorySubscriptionStore', () => {
  it('returns copies, so callers cannot change what is stored', async () => {
    const store = new InMemorySubscriptionStore();
    const saved = await store.save({ ...makeSubscription(), id: 'a', status: 'active' });
    saved.resource.reason = 'mutated';
    const listed = await store.list();
    (listed[0] as { reason?: string }).reason = 'mutated too';
    expect((await store.get('a'))?.resource?.reason).toBe('Replicate to HealthLake');
  });
});
