import type { Subscription } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../../shared/fhir/outcomes.js';
import type { SubscriptionStore } from '../../../shared/subscriptions/SubscriptionStore.js';
import type { SubscriptionStatus } from '../../../shared/subscriptions/types.js';
import { makeSubscription } from '../../helpers/subscriptions.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T00:01:00.000Z');

let counter = 0;
/** A unique id per test so the suites can share one table. */
const freshId = () => `sub-${Date.now().toString(36)}-${(counter += 1)}`;

const stored = (id: string, overrides: Partial<Subscription> = {}) =>
  ({ ...makeSubscription(overrides), id, status: 'active' }) as Subscription & {
    id: string;
    status: SubscriptionStatus;
  };

const statusOf = async (promise: Promise<unknown>): Promise<number | undefined> => {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof OperationOutcomeError) return Number(error.outcome.id);
    throw error;
  }
};

/** The behaviour every SubscriptionStore must have, run against each implementation. */
export const describeSubscriptionStore = (name: string, getStore: () => SubscriptionStore): void => {
  describe(`SubscriptionStore contract: ${name}`, () => {
    it('creates version 1 with lastUpdated and reads it back', async () => {
      const store = getStore();
      const id = freshId();
      const result = await store.save(stored(id), { condition: { kind: 'absent' }, now: T0 });
      expect(result).toMatchObject({ created: true, changed: true });
      expect(result.resource.meta).toMatchObject({ versionId: '1', lastUpdated: T0.toISOString() });
      const record = await store.get(id);
      expect(record).toMatchObject({ id, versionId: '1', deleted: false });
      expect(record?.resource).toEqual(result.resource);
    });

    it('increments the version on a change and keeps it when nothing changed', async () => {
      const store = getStore();
      const id = freshId();
      await store.save(stored(id), { now: T0 });
      const same = await store.save(stored(id), { now: T1 });
      expect(same).toMatchObject({ changed: false, created: false });
      expect(same.resource.meta).toMatchObject({ versionId: '1', lastUpdated: T0.toISOString() });
      const changed = await store.save(stored(id, { reason: 'Another reason' }), { now: T1 });
      expect(changed).toMatchObject({ changed: true, created: false });
      expect(changed.resource.meta).toMatchObject({ versionId: '2', lastUpdated: T1.toISOString() });
    });

    it('refuses a create-if-absent on an existing id with 409', async () => {
      const store = getStore();
      const id = freshId();
      await store.save(stored(id));
      expect(await statusOf(store.save(stored(id, { reason: 'x' }), { condition: { kind: 'absent' } }))).toBe(
        409,
      );
    });

    it('refuses an update whose expected version moved on with 412', async () => {
      const store = getStore();
      const id = freshId();
      await store.save(stored(id));
      await store.save(stored(id, { reason: 'second' }));
      expect(
        await statusOf(
          store.save(stored(id, { reason: 'third' }), { condition: { kind: 'version', versionId: '1' } }),
        ),
      ).toBe(412);
      const ok = await store.save(stored(id, { reason: 'third' }), {
        condition: { kind: 'version', versionId: '2' },
      });
      expect(ok.resource.meta.versionId).toBe('3');
    });

    it('deletes with a tombstone version and lets the id be created again', async () => {
      const store = getStore();
      const id = freshId();
      await store.save(stored(id));
      expect(await store.delete(id, { now: T1 })).toBe('deleted');
      expect(await store.get(id)).toMatchObject({
        deleted: true,
        versionId: '2',
        lastUpdated: T1.toISOString(),
      });
      expect(await store.delete(id)).toBe('already-deleted');
      expect((await store.list()).map((s) => s.id)).not.toContain(id);
      const again = await store.save(stored(id), { condition: { kind: 'absent' } });
      expect(again).toMatchObject({ created: true, changed: true });
      expect(again.resource.meta.versionId).toBe('3');
    });

    it('reports an unknown id as not found', async () => {
      const store = getStore();
      const id = freshId();
      expect(await store.get(id)).toBeUndefined();
      expect(await store.delete(id)).toBe('not-found');
    });

    it('lists current subscriptions in id order', async () => {
      const store = getStore();
      const prefix = freshId();
      for (const suffix of ['c', 'a', 'b']) await store.save(stored(`${prefix}-${suffix}`));
      const ids = (await store.list()).map((s) => s.id).filter((id) => id.startsWith(prefix));
      expect(ids).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    });

    it('never loses an update when writers race', async () => {
      const store = getStore();
      const id = freshId();
      await store.save(stored(id));
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, index) => store.save(stored(id, { reason: `writer ${index}` }))),
      );
      const versions = results.map((result) => Number(result.resource.meta.versionId)).sort((a, b) => a - b);
      expect(versions).toEqual([2, 3, 4, 5, 6]);
      expect((await store.get(id))?.versionId).toBe('6');
    });

    it('refuses a create past maxSubscriptions with 422, never an update, and frees a place on delete', async () => {
      const store = getStore();
      const count = (await store.list()).length;
      const [first, second] = [freshId(), freshId()];
      await store.save(stored(first), { maxSubscriptions: count + 1 });
      expect(await statusOf(store.save(stored(second), { maxSubscriptions: count + 1 }))).toBe(422);
      expect(await store.get(second)).toBeUndefined();
      const updated = await store.save(stored(first, { reason: 'changed' }), { maxSubscriptions: count + 1 });
      expect(updated).toMatchObject({ created: false, changed: true });
      await store.delete(first);
      expect(await store.save(stored(second), { maxSubscriptions: count + 1 })).toMatchObject({
        created: true,
      });
      await store.delete(second);
    });

    it('holds maxSubscriptions when creates race: one place each, one place for one id', async () => {
      const store = getStore();
      const count = (await store.list()).length;
      const ids = Array.from({ length: 8 }, () => freshId());
      const results = await Promise.allSettled(
        [...ids, ids[0] as string].map((id) => store.save(stored(id), { maxSubscriptions: count + 3 })),
      );
      const live = (await store.list()).filter((resource) => ids.includes(resource.id));
      expect(live.length).toBe(3);
      expect((await store.list()).length).toBe(count + 3);
      expect(results.filter((result) => result.status === 'fulfilled').length).toBeGreaterThanOrEqual(3);
      const refusals = results.flatMap((result) =>
        result.status === 'rejected' ? [Number(result.reason.outcome.id)] : [],
      );
      expect(refusals.every((status) => status === 422)).toBe(true);
      for (const resource of live) await store.delete(resource.id);
    });
  });
};
