import { describe, expect, it } from 'vitest';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { IncomingWrite } from '../../../shared/ingest/types.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import type { StoredSubscription } from '../../../shared/subscriptions/SubscriptionStore.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  activeSubscription,
  ENDPOINT_A,
  ENDPOINT_B,
  FakeMatcher,
  observation,
  patient,
  RecordingQueue,
} from '../../helpers/ingestFakes.js';
import { channelExtension, makeSubscription } from '../../helpers/subscriptions.js';

const write = (overrides: Partial<IncomingWrite> = {}): IncomingWrite => ({
  operation: 'upsert',
  resourceType: 'Patient',
  id: 'p1',
  resource: patient(),
  source: 'ingest',
  requestId: 'r1',
  ...overrides,
});

const setup = (subscriptions = [activeSubscription()]) => {
  const ledger = new InMemoryVersionLedger();
  const queue = new RecordingQueue();
  const matcher = new FakeMatcher(subscriptions);
  const pipeline = new DefaultWritePipeline({
    ledger,
    matcher,
    queue,
    now: () => new Date('2025-02-02T00:00:00Z'),
  });
  return { ledger, queue, matcher, pipeline };
};

describe('Class: DefaultWritePipeline', () => {
  it('sends one message per distinct endpoint even when subscriptions overlap', async () => {
    const { pipeline, queue } = setup([
      activeSubscription({ id: 'a1', endpoint: ENDPOINT_A }),
      activeSubscription({ id: 'a2', endpoint: ENDPOINT_A }),
      activeSubscription({ id: 'b1', endpoint: ENDPOINT_B, deliveryRetryCount: 4 }),
    ]);
    const [result] = await pipeline.accept([write()]);
    expect(result).toMatchObject({ status: 'recorded', versionId: '1', matched: 2, enqueued: 2 });
    expect(queue.messages.map((message) => message.subscription.id)).toEqual(['a1', 'b1']);
    expect(queue.messages[1]?.subscription.maxAttempts).toBe(5);
  });

  it('enqueues nothing for a stale write and leaves the ledger entry as it was', async () => {
    const { pipeline, queue, ledger, matcher } = setup();
    await pipeline.accept([write({ resource: patient({ meta: { versionId: '3' } }) })]);
    matcher.subscriptions = [activeSubscription({ endpoint: ENDPOINT_B })];
    const [stale] = await pipeline.accept([write({ resource: patient({ meta: { versionId: '2' } }) })]);
    expect(stale).toMatchObject({ status: 'stale', versionId: '3', matched: 0, enqueued: 0 });
    expect(queue.messages).toHaveLength(1);
    expect((await ledger.getLatest(['Patient/p1'])).get('Patient/p1')).toMatchObject({
      versionId: '3',
      endpoints: [ENDPOINT_A],
    });
  });

  it('skips delete messages for subscriptions without send-delete-messages', async () => {
    const { pipeline, queue } = setup([activeSubscription({ sendDeleteMessages: false })]);
    const [result] = await pipeline.accept([write({ operation: 'delete', resource: undefined })]);
    expect(result).toMatchObject({ status: 'recorded', versionId: '1', enqueued: 0 });
    expect(queue.messages).toHaveLength(0);
  });

  it('matches a backfill write only against its subscription and carries the job id', async () => {
    const { pipeline, queue } = setup([
      activeSubscription({ id: 'a' }),
      activeSubscription({ id: 'b', endpoint: ENDPOINT_B }),
    ]);
    await pipeline.accept([write({ source: 'backfill', jobId: 'job-1', onlySubscriptionId: 'b' })]);
    expect(queue.messages.map((message) => message.subscription.id)).toEqual(['b']);
    expect(queue.messages[0]?.trace).toMatchObject({ source: 'backfill', jobId: 'job-1' });
  });

  it('records writes to the same resource in their order within one call', async () => {
    const { pipeline, ledger } = setup();
    const results = await pipeline.accept([
      write({ resource: patient({ gender: 'male' }) }),
      write({ resource: patient({ gender: 'female' }) }),
      write({ operation: 'delete', resource: undefined }),
    ]);
    expect(results.map((result) => result.versionId)).toEqual(['1', '2', '3']);
    expect((await ledger.getLatest(['Patient/p1'])).get('Patient/p1')).toMatchObject({
      versionId: '3',
      deleted: true,
    });
  });

  it('rejects (and acknowledges nothing) when the queue fails', async () => {
    const { pipeline, queue } = setup();
    queue.failWith = new Error('boom');
    await expect(pipeline.accept([write()])).rejects.toThrow('boom');
  });

  describe('ledger endpoints', () => {
    const NOW = new Date('2025-02-02T00:00:00Z');

    /** A stored active subscription, matched by the real subscription cache and criteria. */
    const stored = (id: string, criteria: string, endpoint: string, sendDeleteMessages = false) =>
      makeSubscription(
        { id, status: 'active', criteria, meta: { versionId: '1', lastUpdated: NOW.toISOString() } },
        {
          endpoint,
          extension: [
            channelExtension.sendDeleteMessages(sendDeleteMessages),
            channelExtension.deliverLatestVersion(true),
          ],
        },
      ) as StoredSubscription;

    const withCriteria = (subscriptions: readonly StoredSubscription[]) => {
      const ledger = new InMemoryVersionLedger();
      const queue = new RecordingQueue();
      const matcher = new ActiveSubscriptionCache({
        store: { list: async () => [...subscriptions] },
        allowedEndpoints: [ENDPOINT_A, ENDPOINT_B],
      });
      const pipeline = new DefaultWritePipeline({ ledger, matcher, queue, now: () => NOW });
      const latest = async (key: string) => (await ledger.getLatest([key])).get(key);
      return { pipeline, queue, latest };
    };

    it('records the endpoints a version is enqueued for in its ledger entry', async () => {
      const { pipeline, ledger } = setup([
        activeSubscription({ id: 'a', endpoint: ENDPOINT_A }),
        activeSubscription({ id: 'b', endpoint: ENDPOINT_B }),
      ]);
      await pipeline.accept([write({ resource: patient({ meta: { versionId: '4' } }) })]);
      expect((await ledger.getLatest(['Patient/p1'])).get('Patient/p1')).toMatchObject({
        versionId: '4',
        endpoints: [ENDPOINT_A, ENDPOINT_B],
      });
    });

    it('records an empty endpoint list for a newer version that matches no subscription', async () => {
      const { pipeline, queue, latest } = withCriteria([
        stored('finals', 'Observation?status=final', ENDPOINT_A),
      ]);
      const version = (versionId: string, status: string): IncomingWrite =>
        write({
          resourceType: 'Observation',
          id: 'o1',
          resource: observation({ id: 'o1', status, meta: { versionId } }),
        });
      await pipeline.accept([version('2', 'final')]);
      expect(await latest('Observation/o1')).toMatchObject({ versionId: '2', endpoints: [ENDPOINT_A] });
      const [amended] = await pipeline.accept([version('3', 'amended')]);
      expect(amended).toMatchObject({ status: 'recorded', versionId: '3', matched: 0, enqueued: 0 });
      expect(await latest('Observation/o1')).toMatchObject({ versionId: '3', endpoints: [] });
      expect(queue.messages.map((message) => message.versionId)).toEqual(['2']);
    });

    it('matches an unversioned write against the lastUpdated the ledger assigns it', async () => {
      const { pipeline, queue, latest } = withCriteria([
        stored('recent', 'Patient?_lastUpdated=ge2025-02-01', ENDPOINT_A),
        stored('old', 'Patient?_lastUpdated=lt2025-01-01', ENDPOINT_B),
      ]);
      // The incoming meta.lastUpdated is replaced by the connector's own instant.
      const [result] = await pipeline.accept([
        write({ resource: patient({ meta: { lastUpdated: '2020-01-01T00:00:00Z' } }) }),
      ]);
      expect(result).toMatchObject({ status: 'recorded', lastUpdated: NOW.toISOString(), matched: 1 });
      expect(await latest('Patient/p1')).toMatchObject({ versionId: '1', endpoints: [ENDPOINT_A] });
      expect(queue.messages.map((message) => message.subscription.endpoint)).toEqual([ENDPOINT_A]);
    });

    it('records for a delete only the endpoints whose subscriptions send delete messages', async () => {
      const { pipeline, queue, latest } = withCriteria([
        stored('deletes', 'Patient?gender=female', ENDPOINT_A, true),
        stored('no-deletes', '[Patient]', ENDPOINT_B, false),
      ]);
      await pipeline.accept([write()]);
      expect(await latest('Patient/p1')).toMatchObject({ endpoints: [ENDPOINT_A, ENDPOINT_B] });
      await pipeline.accept([write({ operation: 'delete', resource: undefined })]);
      expect(await latest('Patient/p1')).toMatchObject({
        versionId: '2',
        deleted: true,
        endpoints: [ENDPOINT_A],
      });
      expect(queue.messages.at(-1)).toMatchObject({ operation: 'delete', versionId: '2' });
    });

    it('keeps the recorded endpoints when a retried write is current', async () => {
      const { pipeline, ledger, queue, matcher } = setup([activeSubscription({ endpoint: ENDPOINT_A })]);
      await pipeline.accept([write()]);
      matcher.subscriptions = [activeSubscription({ endpoint: ENDPOINT_B })];
      const [retry] = await pipeline.accept([write()]);
      expect(retry).toMatchObject({ status: 'current', versionId: '1' });
      expect((await ledger.getLatest(['Patient/p1'])).get('Patient/p1')?.endpoints).toEqual([ENDPOINT_A]);
      expect(queue.messages.map((message) => message.subscription.endpoint)).toEqual([
        ENDPOINT_A,
        ENDPOINT_B,
      ]);
    });

    it('matches a retried unversioned write with the lastUpdated of its first attempt', async () => {
      const ledger = new InMemoryVersionLedger();
      const queue = new RecordingQueue();
      const matcher = new FakeMatcher();
      let clock = Date.parse('2025-02-02T00:00:00Z');
      const pipeline = new DefaultWritePipeline({ ledger, matcher, queue, now: () => new Date(clock) });
      const [first] = await pipeline.accept([write()]);
      clock += 60_000;
      const [retry] = await pipeline.accept([write()]);
      expect(retry).toMatchObject({ status: 'current', lastUpdated: first?.lastUpdated });
      expect(matcher.calls.at(-1)?.resource.meta).toMatchObject({
        versionId: '1',
        lastUpdated: first?.lastUpdated,
      });
      expect(queue.messages[1]).toMatchObject({ versionId: '1', lastUpdated: first?.lastUpdated });
    });
  });
});
