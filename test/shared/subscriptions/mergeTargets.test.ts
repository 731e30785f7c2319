import { describe, expect, it } from 'vitest';
import { mergeTargets } from '../../../shared/subscriptions/mergeTargets.js';
import type { ActiveSubscription } from '../../../shared/subscriptions/types.js';
import { DATASTORE_A, DATASTORE_B } from '../../helpers/subscriptions.js';

const active = (id: string, overrides: Partial<ActiveSubscription> = {}): ActiveSubscription => ({
  id,
  criteria: `[${id}]`,
  endpoint: DATASTORE_A,
  sendDeleteMessages: false,
  deliverLatestVersion: false,
  stripVersionIds: false,
  ...overrides,
});

describe('Function: mergeTargets', () => {
  it('returns nothing for no matches', () => {
    expect(mergeTargets([])).toEqual([]);
  });

  it('gives one target per endpoint, sorted by endpoint, named after the first id', () => {
    const targets = mergeTargets([active('z', { endpoint: DATASTORE_B }), active('m'), active('c')]);
    expect(targets.map((t) => [t.endpoint, t.id, t.criteria, t.subscriptionIds])).toEqual([
      [DATASTORE_A, 'c', '[c]', ['c', 'm']],
      [DATASTORE_B, 'z', '[z]', ['z']],
    ]);
  });

  it('keeps subscriptions with different Smile replication settings on one endpoint as separate targets', () => {
    const targets = mergeTargets([
      active('a', { replication: { idPrefix: 'A-' } }),
      active('b', { replication: { idPrefix: 'B-' } }),
      active('c', { replication: { idPrefix: 'A-' } }),
      active('d'),
    ]);
    expect(targets.map((t) => [t.endpoint, t.replication?.idPrefix, t.subscriptionIds])).toEqual([
      [DATASTORE_A, undefined, ['d']],
      [DATASTORE_A, 'A-', ['a', 'c']],
      [DATASTORE_A, 'B-', ['b']],
    ]);
  });

  it('is independent of the order the matches come in', () => {
    const matches = [
      active('a', { deliverLatestVersion: true, deliveryRetryCount: 2 }),
      active('b', { stripVersionIds: true, deliveryRetryCount: 7 }),
      active('c', { endpoint: DATASTORE_B }),
    ];
    expect(mergeTargets([...matches].reverse())).toEqual(mergeTargets(matches));
  });

  it('delivers the latest version and deletes if any member asks for it', () => {
    const [target] = mergeTargets([
      active('a', { deliverLatestVersion: true }),
      active('b', { sendDeleteMessages: true }),
    ]);
    expect(target).toMatchObject({ deliverLatestVersion: true, sendDeleteMessages: true });
  });

  it('strips version ids only when every member asks for it', () => {
    expect(mergeTargets([active('a', { stripVersionIds: true }), active('b')])[0]?.stripVersionIds).toBe(
      false,
    );
    const both = [active('a', { stripVersionIds: true }), active('b', { stripVersionIds: true })];
    expect(mergeTargets(both)[0]?.stripVersionIds).toBe(true);
  });

  it('takes the largest retry count, counting an unset one as the deployment default', () => {
    const explicit = [active('a', { deliveryRetryCount: 2 }), active('b', { deliveryRetryCount: 9 })];
    expect(mergeTargets(explicit)[0]?.deliveryRetryCount).toBe(9);
    const mixed = [active('a', { deliveryRetryCount: 2 }), active('b')];
    expect(mergeTargets(mixed, 5)[0]?.deliveryRetryCount).toBe(5);
    expect(mergeTargets(mixed, 1)[0]?.deliveryRetryCount).toBe(2);
    expect(mergeTargets(mixed)[0]).not.toHaveProperty('deliveryRetryCount');
  });
});
