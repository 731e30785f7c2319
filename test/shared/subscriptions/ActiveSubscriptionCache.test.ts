import type { Subscription } from '@medplum/fhirtypes';
import { describe, expect, it, vi } from 'vitest';
import type { FhirResource } from '../../../shared/fhir/types.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { parseSubscription } from '../../../shared/subscriptions/parseSubscription.js';
import type { SubscriptionStatus } from '../../../shared/subscriptions/types.js';
import {
  ALLOWED_ENDPOINTS,
  channelExtension,
  DATASTORE_A,
  DATASTORE_B,
  makeSubscription,
} from '../../helpers/subscriptions.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');

/** A mutable clock the cache reads. */
const clock = (start = T0) => {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};

const save = async (
  store: InMemorySubscriptionStore,
  id: string,
  overrides: Partial<Subscription> = {},
  channel: Partial<Subscription['channel']> = {},
) => {
  const { resource } = parseSubscription(makeSubscription({ ...overrides, id }, channel), {
    interaction: 'update',
    id,
    allowedEndpoints: ALLOWED_ENDPOINTS,
    now: new Date(T0),
  });
  await store.save(resource);
};

const saveRaw = (store: InMemorySubscriptionStore, id: string, overrides: Partial<Subscription>) =>
  store.save({
    ...makeSubscription(overrides),
    id,
    status: (overrides.status ?? 'active') as SubscriptionStatus,
  });

const observation = (status: string): FhirResource => ({
  resourceType: 'Observation',
  id: 'o1',
  status,
  code: { coding: [{ system: 'http://loinc.org', code: '1234-5' }] },
});
const patient: FhirResource = { resourceType: 'Patient', id: 'p1' };

const setup = async (options: { ttlMs?: number } = {}) => {
  const store = new InMemorySubscriptionStore();
  const time = clock();
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const cache = new ActiveSubscriptionCache({
    store,
    allowedEndpoints: ALLOWED_ENDPOINTS,
    now: time.now,
    logger,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
  });
  return { store, time, cache, logger };
};

const ids = (targets: { subscriptionIds: readonly string[] }[]) => targets.flatMap((t) => t.subscriptionIds);

describe('Class: ActiveSubscriptionCache', () => {
  describe('matching upserts', () => {
    it('matches a Subscription to an allowed SQL target (sql://<name>), and skips one to a target not allowed', async () => {
      const store = new InMemorySubscriptionStore();
      const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const cache = new ActiveSubscriptionCache({
        store,
        allowedEndpoints: [...ALLOWED_ENDPOINTS, 'sql://warehouse'],
        now: () => T0,
        logger,
      });
      await saveRaw(store, 'to-sql', {
        criteria: '[Patient]',
        channel: { type: 'rest-hook', endpoint: 'sql://warehouse' },
      });
      await saveRaw(store, 'to-other', {
        criteria: '[Patient]',
        channel: { type: 'rest-hook', endpoint: 'sql://other' },
      });
      const matched = await cache.match(patient, 'upsert');
      expect(ids(matched)).toEqual(['to-sql']);
      expect(matched[0]?.endpoint).toBe('sql://warehouse');
      expect(logger.warn).toHaveBeenCalledWith('Subscription skipped: endpoint not on the allow-list', {
        subscriptionId: 'to-other',
      });
    });

    it('returns the subscriptions whose criteria match the resource', async () => {
      const { store, cache } = await setup();
      await save(store, 'finals', { criteria: 'Observation?code=http://loinc.org|1234-5&status=final' });
      await save(store, 'patients', { criteria: '[Patient]' }, { endpoint: DATASTORE_B });
      expect(ids(await cache.match(observation('final'), 'upsert'))).toEqual(['finals']);
      expect(ids(await cache.match(observation('preliminary'), 'upsert'))).toEqual([]);
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['patients']);
    });

    it('never matches a Subscription resource with [*]', async () => {
      const { store, cache } = await setup();
      await save(store, 'all');
      expect(await cache.match({ resourceType: 'Subscription', id: 'x' }, 'upsert')).toEqual([]);
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['all']);
    });

    it('ignores subscriptions that are off, in error or requested', async () => {
      const { store, cache } = await setup();
      await save(store, 'off', { status: 'off' });
      await saveRaw(store, 'errored', { status: 'error', error: 'reason' });
      await saveRaw(store, 'requested', { status: 'requested' });
      expect(await cache.match(patient, 'upsert')).toEqual([]);
      expect(await cache.active()).toEqual([]);
    });

    it('restricts matching to one subscription when asked (backfill)', async () => {
      const { store, cache } = await setup();
      await save(store, 'a');
      await save(store, 'b', {}, { endpoint: DATASTORE_B });
      const targets = await cache.match(patient, 'upsert', { onlySubscriptionId: 'b' });
      expect(targets).toMatchObject([{ id: 'b', endpoint: DATASTORE_B, subscriptionIds: ['b'] }]);
    });

    it('tests a resource only against subscriptions whose type can match', async () => {
      const { store } = await setup();
      await save(store, 'obs', { criteria: 'Observation?status=final' });
      await save(store, 'pat', { criteria: 'Patient?gender=female' });
      // A criteria compiler that records which criteria are evaluated.
      const evaluated: string[] = [];
      const counting = new ActiveSubscriptionCache({
        store,
        allowedEndpoints: ALLOWED_ENDPOINTS,
        compile: (criteria) => ({
          source: criteria,
          resourceTypes: new Set([criteria.split('?')[0] ?? '']),
          matches: () => {
            evaluated.push(criteria);
            return true;
          },
        }),
      });
      await counting.match(patient, 'upsert');
      expect(evaluated).toEqual(['Patient?gender=female']);
    });
  });

  describe('matching deletes', () => {
    it('matches only subscriptions that send delete messages, by resource type', async () => {
      const { store, cache } = await setup();
      await save(
        store,
        'with-deletes',
        { criteria: 'Observation?status=final' },
        {
          extension: [channelExtension.sendDeleteMessages(true)],
        },
      );
      await save(store, 'without-deletes', { criteria: '[Observation]' }, { endpoint: DATASTORE_B });
      await save(
        store,
        'patients',
        { criteria: '[Patient]' },
        {
          endpoint: DATASTORE_B,
          extension: [channelExtension.sendDeleteMessages(true)],
        },
      );
      const deleted = { resourceType: 'Observation', id: 'o1' };
      expect(ids(await cache.match(deleted, 'delete'))).toEqual(['with-deletes']);
    });

    it('does not evaluate search criteria on the last-known resource of a delete', async () => {
      const { store, cache } = await setup();
      await save(
        store,
        'finals',
        { criteria: 'Observation?status=final' },
        {
          extension: [channelExtension.sendDeleteMessages(true)],
        },
      );
      // The last-known version no longer matches, but an earlier one may have been replicated.
      expect(ids(await cache.match(observation('cancelled'), 'delete'))).toEqual(['finals']);
    });

    it('never matches the delete of a Subscription with [*]', async () => {
      const { store, cache } = await setup();
      await save(store, 'all', {}, { extension: [channelExtension.sendDeleteMessages(true)] });
      expect(await cache.match({ resourceType: 'Subscription', id: 's' }, 'delete')).toEqual([]);
      expect(ids(await cache.match({ resourceType: 'Condition', id: 'c' }, 'delete'))).toEqual(['all']);
    });
  });

  describe('end', () => {
    it('stops matching a subscription the moment its end passes, without a reload', async () => {
      const { store, cache, time } = await setup({ ttlMs: 60_000 });
      await save(store, 'ending', { end: new Date(T0 + 1_000).toISOString() });
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['ending']);
      expect(await cache.active()).toHaveLength(1);
      time.advance(1_000);
      expect(await cache.match(patient, 'upsert')).toEqual([]);
      expect(await cache.active()).toEqual([]);
      expect(store.listCalls).toBe(1);
    });
  });

  describe('overlapping subscriptions', () => {
    it('returns one target per distinct endpoint, carrying every subscription id', async () => {
      const { store, cache } = await setup();
      await save(store, 'b-all');
      await save(store, 'a-patients', { criteria: '[Patient]' });
      await save(store, 'c-other-store', {}, { endpoint: DATASTORE_B });
      const targets = await cache.match(patient, 'upsert');
      expect(targets).toHaveLength(2);
      expect(targets[0]).toMatchObject({
        id: 'a-patients',
        criteria: '[Patient]',
        endpoint: DATASTORE_A,
        subscriptionIds: ['a-patients', 'b-all'],
      });
      expect(targets[1]).toMatchObject({
        id: 'c-other-store',
        endpoint: DATASTORE_B,
        subscriptionIds: ['c-other-store'],
      });
    });

    it('treats endpoints that differ only by the trailing slash as the same data store', async () => {
      const { store, cache } = await setup();
      await save(store, 'slash');
      await save(store, 'no-slash', {}, { endpoint: DATASTORE_A.replace(/\/$/, '') });
      expect(await cache.match(patient, 'upsert')).toMatchObject([
        { subscriptionIds: ['no-slash', 'slash'] },
      ]);
    });
  });

  describe('freshness', () => {
    it('reloads from the store once the TTL has passed, and not before', async () => {
      const { store, cache, time } = await setup({ ttlMs: 5_000 });
      await save(store, 'first');
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['first']);
      await save(store, 'second', {}, { endpoint: DATASTORE_B });
      time.advance(4_999);
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['first']);
      time.advance(1);
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['first', 'second']);
      expect(store.listCalls).toBe(2);
    });

    it('defaults to a five second TTL', async () => {
      const { store, cache, time } = await setup();
      await cache.match(patient, 'upsert');
      time.advance(4_999);
      await cache.match(patient, 'upsert');
      expect(store.listCalls).toBe(1);
      time.advance(1);
      await cache.match(patient, 'upsert');
      expect(store.listCalls).toBe(2);
    });

    it('shares one in-flight refresh between concurrent callers', async () => {
      const { store, cache } = await setup();
      await save(store, 'all');
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const list = store.list.bind(store);
      const slowList = vi.spyOn(store, 'list').mockImplementation(async () => {
        await gate;
        return list();
      });
      const pending = Array.from({ length: 10 }, () => cache.match(patient, 'upsert'));
      release();
      const results = await Promise.all(pending);
      expect(slowList).toHaveBeenCalledTimes(1);
      expect(results.every((targets) => ids(targets).join() === 'all')).toBe(true);
    });

    it('reloads at the next call after invalidate', async () => {
      const { store, cache } = await setup({ ttlMs: 60_000 });
      await cache.match(patient, 'upsert');
      await save(store, 'new');
      cache.invalidate();
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['new']);
    });

    it('throws when the store cannot be read, and recovers at the next call', async () => {
      const { store, cache } = await setup();
      await save(store, 'all');
      vi.spyOn(store, 'list').mockRejectedValueOnce(new Error('throttled'));
      await expect(cache.match(patient, 'upsert')).rejects.toThrow('throttled');
      expect(ids(await cache.match(patient, 'upsert'))).toEqual(['all']);
    });
  });

  describe('stored subscriptions that can no longer be honoured', () => {
    it('skips a subscription whose endpoint left the allow-list, logging only its id', async () => {
      const { store, time, logger } = await setup();
      await save(store, 'moved', {}, { endpoint: DATASTORE_B });
      const cache = new ActiveSubscriptionCache({
        store,
        allowedEndpoints: [DATASTORE_A],
        now: time.now,
        logger,
      });
      expect(await cache.match(patient, 'upsert')).toEqual([]);
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('allow-list'), {
        subscriptionId: 'moved',
      });
    });

    it('skips a subscription whose criteria no longer compile', async () => {
      const { store, cache, logger } = await setup();
      await saveRaw(store, 'broken', { criteria: 'Observation?subject.name=x' });
      await save(store, 'fine', {}, { endpoint: DATASTORE_B });
      expect(ids(await cache.match(observation('final'), 'upsert'))).toEqual(['fine']);
      expect(logger.warn).toHaveBeenCalledWith(expect.any(String), {
        subscriptionId: 'broken',
        outcome: 'invalid',
      });
    });
  });
});

describe('Class: ActiveSubscriptionCache (memory)', () => {
  it('holds the subscriptions stored now, however many came and went over its life', async () => {
    const { store, time, cache } = await setup({ ttlMs: 1_000 });
    // A month of churn: every hour one subscription is replaced by a new one.
    for (let hour = 0; hour < 30 * 24; hour += 1) {
      await save(store, `sub-${hour}`, { criteria: hour % 2 ? '[Patient]' : 'Observation?status=final' });
      if (hour >= 3) await store.delete(`sub-${hour - 3}`);
      time.advance(3_600_000);
      await cache.match(patient, 'upsert');
    }
    expect((await cache.active()).map((subscription) => subscription.id).sort()).toEqual([
      'sub-717',
      'sub-718',
      'sub-719',
    ]);
    expect(ids(await cache.match(patient, 'upsert')).sort()).toEqual(['sub-717', 'sub-719']);
  });
});
