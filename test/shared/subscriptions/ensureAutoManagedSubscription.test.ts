import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_EXTENSIONS } from '../../../shared/config/constants.js';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';
import {
  autoManagedSubscriptionId,
  ensureAutoManagedSubscription,
} from '../../../shared/subscriptions/ensureAutoManagedSubscription.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { toActiveSubscription } from '../../../shared/subscriptions/toActiveSubscription.js';
import { DATASTORE_A, DATASTORE_B } from '../../helpers/subscriptions.js';

const T0 = new Date('2026-06-01T12:00:00Z');
const T1 = new Date('2026-06-01T13:00:00Z');

describe('Function: ensureAutoManagedSubscription', () => {
  it('creates an active subscription named after the connector, with deletes and latest version on', async () => {
    const store = new InMemorySubscriptionStore();
    const result = await ensureAutoManagedSubscription({
      store,
      connectorId: 'prod_eu_1',
      endpoint: DATASTORE_A,
      now: T0,
    });
    expect(result).toMatchObject({ id: 'prod-eu-1', created: true, changed: true });
    expect(result.resource).toMatchObject({
      id: 'prod-eu-1',
      status: 'active',
      criteria: '[*]',
      channel: { type: 'rest-hook', endpoint: DATASTORE_A, payload: 'application/fhir+json' },
      meta: { versionId: '1' },
    });
    expect(toActiveSubscription(result.resource)).toMatchObject({
      sendDeleteMessages: true,
      deliverLatestVersion: true,
      stripVersionIds: false,
    });
    expect(toActiveSubscription(result.resource)).not.toHaveProperty('deliveryRetryCount');
  });

  it('makes no new version when run again with the same configuration', async () => {
    const store = new InMemorySubscriptionStore();
    await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A, now: T0 });
    const again = await ensureAutoManagedSubscription({
      store,
      connectorId: 'c1',
      endpoint: DATASTORE_A,
      now: T1,
    });
    expect(again).toMatchObject({ created: false, changed: false });
    expect(again.resource.meta).toMatchObject({ versionId: '1', lastUpdated: T0.toISOString() });
  });

  it('updates criteria, endpoint and retry count when the configuration changes', async () => {
    const store = new InMemorySubscriptionStore();
    await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A });
    const changed = await ensureAutoManagedSubscription({
      store,
      connectorId: 'c1',
      endpoint: DATASTORE_B,
      criteria: '[Patient,Observation]',
      retryCount: 4,
      allowedEndpoints: [DATASTORE_A, DATASTORE_B],
    });
    expect(changed).toMatchObject({ created: false, changed: true });
    expect(changed.resource).toMatchObject({ criteria: '[Patient,Observation]', meta: { versionId: '2' } });
    expect(changed.resource.channel.extension).toContainEqual({
      url: SUBSCRIPTION_EXTENSIONS.deliveryRetryCount,
      valueInteger: 4,
    });
  });

  it('turns a subscription switched off by hand back on', async () => {
    const store = new InMemorySubscriptionStore();
    const first = await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A });
    await store.save({ ...first.resource, status: 'off' });
    const again = await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A });
    expect(again.resource).toMatchObject({ status: 'active', meta: { versionId: '3' } });
  });

  it('re-creates it after a delete', async () => {
    const store = new InMemorySubscriptionStore();
    await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A });
    await store.delete('c1');
    const again = await ensureAutoManagedSubscription({ store, connectorId: 'c1', endpoint: DATASTORE_A });
    expect(again).toMatchObject({ created: true, changed: true });
  });

  it('refuses criteria the matcher cannot evaluate, and stores nothing', async () => {
    const store = new InMemorySubscriptionStore();
    await expect(
      ensureAutoManagedSubscription({
        store,
        connectorId: 'c1',
        endpoint: DATASTORE_A,
        criteria: 'Observation?subject.name=x',
      }),
    ).rejects.toBeInstanceOf(OperationOutcomeError);
    expect(await store.list()).toEqual([]);
  });

  it('derives a valid FHIR id from the connector id, or says it cannot', () => {
    expect(autoManagedSubscriptionId('my_connector')).toBe('my-connector');
    expect(() => autoManagedSubscriptionId('has space')).toThrow(/connector id/);
    expect(() => autoManagedSubscriptionId('x'.repeat(65))).toThrow(/connector id/);
  });
});
