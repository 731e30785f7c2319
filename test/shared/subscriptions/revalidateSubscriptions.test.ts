import { describe, expect, it, vi } from 'vitest';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import { revalidateSubscriptions } from '../../../shared/subscriptions/revalidateSubscriptions.js';
import {
  ALLOWED_ENDPOINTS,
  DATASTORE_A,
  DATASTORE_B,
  makeSubscription,
} from '../../helpers/subscriptions.js';

const T0 = new Date('2026-06-01T12:00:00Z');

const seed = async (
  store: InMemorySubscriptionStore,
  id: string,
  endpoint: string,
  status: 'requested' | 'off' = 'requested',
) => {
  const { resource } = parseSubscription(makeSubscription({ id, status }, { endpoint }), {
    interaction: 'update',
    id,
    allowedEndpoints: ALLOWED_ENDPOINTS,
    now: T0,
  });
  await store.save(resource, { now: T0 });
};

describe('Function: revalidateSubscriptions', () => {
  it('puts an active subscription whose endpoint left the allow-list in error, with the reason', async () => {
    const store = new InMemorySubscriptionStore();
    await seed(store, 'stays', DATASTORE_A);
    await seed(store, 'moves', DATASTORE_B);
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const changes = await revalidateSubscriptions({ store, allowedEndpoints: [DATASTORE_A], logger });
    expect(changes).toEqual([
      {
        id: 'moves',
        from: 'active',
        to: 'error',
        reason: expect.stringContaining('Subscription.channel.endpoint'),
      },
    ]);
    const moved = (await store.get('moves'))?.resource;
    expect(moved).toMatchObject({ status: 'error', meta: { versionId: '2' } });
    expect(moved?.error).toContain('Subscription.channel.endpoint');
    expect((await store.get('stays'))?.resource?.meta.versionId).toBe('1');
    expect(logger.warn).toHaveBeenCalledWith(expect.any(String), {
      subscriptionId: 'moves',
      from: 'active',
      to: 'error',
    });
  });

  it('is idempotent and resumes an errored subscription once the configuration allows it again', async () => {
    const store = new InMemorySubscriptionStore();
    await seed(store, 'moves', DATASTORE_B);
    await revalidateSubscriptions({ store, allowedEndpoints: [DATASTORE_A] });
    expect(await revalidateSubscriptions({ store, allowedEndpoints: [DATASTORE_A] })).toEqual([]);
    expect((await store.get('moves'))?.versionId).toBe('2');
    const resumed = await revalidateSubscriptions({ store, allowedEndpoints: ALLOWED_ENDPOINTS });
    expect(resumed).toEqual([{ id: 'moves', from: 'error', to: 'active' }]);
    const resource = (await store.get('moves'))?.resource;
    expect(resource).toMatchObject({ status: 'active', meta: { versionId: '3' } });
    expect(resource?.error).toBeUndefined();
  });

  it('leaves subscriptions that are off alone', async () => {
    const store = new InMemorySubscriptionStore();
    await seed(store, 'off', DATASTORE_B, 'off');
    expect(await revalidateSubscriptions({ store, allowedEndpoints: [DATASTORE_A] })).toEqual([]);
    expect((await store.get('off'))?.resource?.status).toBe('off');
  });

  it('turns an active subscription past its end off', async () => {
    const store = new InMemorySubscriptionStore();
    const { resource } = parseSubscription(makeSubscription({ id: 'ending', end: '2026-06-01T13:00:00Z' }), {
      interaction: 'update',
      id: 'ending',
      allowedEndpoints: ALLOWED_ENDPOINTS,
      now: T0,
    });
    await store.save(resource);
    const changes = await revalidateSubscriptions({
      store,
      allowedEndpoints: ALLOWED_ENDPOINTS,
      now: new Date('2026-06-01T14:00:00Z'),
    });
    expect(changes).toEqual([{ id: 'ending', from: 'active', to: 'off' }]);
  });
});
