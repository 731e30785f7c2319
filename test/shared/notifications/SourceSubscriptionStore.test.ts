import { describe, expect, it } from 'vitest';
import { decideNotification } from '../../../shared/notifications/decideNotification.js';
import { DynamoSourceSubscriptionStore } from '../../../shared/notifications/DynamoSourceSubscriptionStore.js';
import { SourceStateContendedError } from '../../../shared/notifications/errors.js';
import { InMemorySourceSubscriptionStore } from '../../../shared/notifications/InMemorySourceSubscriptionStore.js';
import { newSourceState } from '../../../shared/notifications/newSourceState.js';
import type { SourceSubscriptionStore } from '../../../shared/notifications/SourceSubscriptionStore.js';
import type { NotificationDecision } from '../../../shared/notifications/types.js';
import { updateSourceState } from '../../../shared/notifications/updateSourceState.js';
import { at, event, eventNotification, sourceState } from '../../helpers/backportNotifications.js';
import { useStateTable } from '../../helpers/stateTable.js';

const table = useStateTable();

let tableCount = 0;
/** Each test gets its own ids, so tests of the shared Dynamo table never see each other's items. */
const freshId = () => `sub-${(tableCount += 1)}`;

describe.each([
  [
    'DynamoSourceSubscriptionStore on dynalite',
    () => new DynamoSourceSubscriptionStore({ client: table.client, tableName: table.tableName }),
  ],
  ['InMemorySourceSubscriptionStore', () => new InMemorySourceSubscriptionStore()],
])('%s', (_name, make: () => SourceSubscriptionStore) => {
  it('stores a source subscription and reads it back unchanged', async () => {
    const store = make();
    const id = freshId();
    const state = sourceState({ subscriptionId: id, heartbeatPeriodSeconds: 120, topic: 'http://t/x' });
    expect(await store.create(state)).toBe(true);
    expect(await store.get(id)).toEqual(state);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('refuses to create an id twice and keeps the first', async () => {
    const store = make();
    const id = freshId();
    await store.create(sourceState({ subscriptionId: id }));
    expect(await store.create(sourceState({ subscriptionId: id, resourceTypes: ['Observation'] }))).toBe(
      false,
    );
    expect((await store.get(id))?.resourceTypes).toEqual(['Encounter', 'Patient']);
  });

  it('lists every source subscription it holds', async () => {
    const store = make();
    const ids = [freshId(), freshId()];
    for (const id of ids) await store.create(sourceState({ subscriptionId: id }));
    const listed = (await store.list()).map((state) => state.subscriptionId);
    expect(listed).toEqual(expect.arrayContaining(ids));
  });

  it('lets exactly one of two writers from the same revision through', async () => {
    const store = make();
    const id = freshId();
    const state = sourceState({ subscriptionId: id });
    await store.create(state);
    const results = await Promise.all([
      store.replace({ ...state, lastEventNumber: 5, revision: 1 }, 0),
      store.replace({ ...state, lastEventNumber: 6, revision: 1 }, 0),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await store.get(id);
    expect(stored?.revision).toBe(1);
    expect(stored?.lastEventNumber).toBe(results[0] ? 5 : 6);
  });

  it('removes fields a replace clears, and refuses an unknown id', async () => {
    const store = make();
    const id = freshId();
    await store.create(sourceState({ subscriptionId: id, overdueNoticedAt: at(5), lastEventAt: at(4) }));
    const { overdueNoticedAt: _o, lastEventAt: _l, ...cleared } = sourceState({ subscriptionId: id });
    expect(await store.replace(cleared, 0)).toBe(true);
    const stored = await store.get(id);
    expect(stored).not.toHaveProperty('overdueNoticedAt');
    expect(stored).not.toHaveProperty('lastEventAt');
    expect(await store.replace(sourceState({ subscriptionId: freshId() }), 0)).toBe(false);
  });

  it('counts repaired gaps apart from replaces: one based on an older read neither fails nor loses them', async () => {
    const store = make();
    const id = freshId();
    await store.create(sourceState({ subscriptionId: id }));
    const read = (await store.get(id))!;
    await store.addRepaired(id, 2);
    expect(await store.replace({ ...read, lastEventNumber: 9 }, read.revision)).toBe(true);
    expect(await store.get(id)).toMatchObject({
      revision: 1,
      lastEventNumber: 9,
      counts: expect.objectContaining({ gapsRepaired: 2 }),
    });
    await store.addRepaired('missing', 1);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('keeps pending gaps, and removes them once cleared', async () => {
    const store = make();
    const id = freshId();
    const pendingGaps = [{ from: 3, to: 4, foundAt: at(1), since: at(0) }];
    await store.create(sourceState({ subscriptionId: id }));
    await store.replace(sourceState({ subscriptionId: id, pendingGaps }), 0);
    expect((await store.get(id))?.pendingGaps).toEqual(pendingGaps);
    await store.replace(sourceState({ subscriptionId: id }), 1);
    expect(await store.get(id)).not.toHaveProperty('pendingGaps');
  });

  it.each([0, 30])(
    'accounts for every event exactly once when notifications race (grace %i s)',
    async (grace) => {
      const store = make();
      const id = freshId();
      await store.create(newSourceState({ subscriptionId: id, resourceTypes: ['Encounter'], now: at(0) }));
      await updateSourceState(store, id, (state) =>
        decideNotification(state, eventNotification([event(1)], { subscriptionId: id }), { now: at(1) }),
      );
      const options = (n: number) => ({ now: at(n), gapGraceSeconds: grace });
      // Nine writers: each loses at most once per other writer's success, within the ten attempts allowed.
      const numbers = Array.from({ length: 9 }, (_, index) => index + 2);
      const decisions = (await Promise.all(
        numbers.map((n) =>
          updateSourceState(store, id, (state) =>
            decideNotification(state, eventNotification([event(n)], { subscriptionId: id }), options(n)),
          ),
        ),
      )) as NotificationDecision[];
      const stored = (await store.get(id))!;
      expect(stored.lastEventNumber).toBe(10);
      // Each number either advanced the counter itself (or, within the grace, arrived late) or lies in a
      // gap a later one recorded, never both, and no gap recorded is lost from the stored counts.
      const advanced = numbers.filter((_, index) => decisions[index]?.changed);
      const gaps = decisions.flatMap((d) =>
        d.actions.flatMap((a) => (a.kind === 'record-gap' ? [a.range] : [])),
      );
      const inGaps = gaps.flatMap((range) =>
        Array.from({ length: range.to - range.from + 1 }, (_, index) => range.from + index),
      );
      expect([...advanced, ...inGaps].sort((a, b) => a - b)).toEqual(numbers);
      expect(stored.counts).toMatchObject({ gapsFound: gaps.length, eventsMissed: inGaps.length });
      expect(stored.revision).toBe(1 + advanced.length);
    },
  );
});

describe('Function: updateSourceState', () => {
  it('is undefined for an unknown source subscription', async () => {
    const decide = () => {
      throw new Error('not called');
    };
    expect(await updateSourceState(new InMemorySourceSubscriptionStore(), 'missing', decide)).toBeUndefined();
  });

  it('writes nothing when the decision changes nothing', async () => {
    const store = new InMemorySourceSubscriptionStore();
    await store.create(sourceState());
    const decision = await updateSourceState(store, 'admission', (state) => ({
      state,
      changed: false,
      disposition: 'duplicate',
      actions: [],
    }));
    expect(decision?.changed).toBe(false);
    expect((await store.get('admission'))?.revision).toBe(0);
  });

  it('gives up with a named error when every write loses the race', async () => {
    const store = new InMemorySourceSubscriptionStore();
    await store.create(sourceState());
    let reads = 0;
    const losing: typeof store = Object.assign(Object.create(store) as typeof store, {
      replace: async () => false,
      get: async (id: string) => {
        reads += 1;
        return store.get(id);
      },
    });
    const decide = (state: ReturnType<typeof sourceState>) =>
      decideNotification(state, eventNotification([event(1)]), { now: at(1) });
    await expect(
      updateSourceState(losing, 'admission', decide, { maxAttempts: 3, backoffMs: 1 }),
    ).rejects.toThrow(SourceStateContendedError);
    expect(reads).toBe(3);
  });
});

describe('Function: updateSourceState, applying decisions', () => {
  it('applies a decision before storing it, and stores nothing when applying fails', async () => {
    const store = new InMemorySourceSubscriptionStore();
    await store.create(sourceState());
    const decide = (state: ReturnType<typeof sourceState>) =>
      decideNotification(state, eventNotification([event(1)]), { now: at(1) });
    const failing = async () => {
      throw new Error('queue unavailable');
    };
    await expect(updateSourceState(store, 'admission', decide, { apply: failing })).rejects.toThrow();
    expect((await store.get('admission'))?.lastEventNumber).toBeUndefined();
    const applied: string[] = [];
    await updateSourceState(store, 'admission', decide, {
      apply: async (decision) => {
        applied.push(decision.disposition);
        expect((await store.get('admission'))?.revision).toBe(0);
      },
    });
    expect(applied).toEqual(['in-order']);
    expect((await store.get('admission'))?.lastEventNumber).toBe(1);
  });
});
