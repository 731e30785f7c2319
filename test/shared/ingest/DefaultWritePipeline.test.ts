import { describe, expect, it } from 'vitest';
import { DefaultWritePipeline } from '../../../shared/ingest/DefaultWritePipeline.js';
import type { IncomingWrite } from '../../../shared/ingest/types.js';
import { InMemoryVersionLedger } from '../../../shared/versions/InMemoryVersionLedger.js';
import {
  activeSubscription,
  ENDPOINT_A,
  ENDPOINT_B,
  FakeMatcher,
  patient,
  RecordingQueue,
} from '../../helpers/ingestFakes.js';

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

  it('does not match a stale write at all', async () => {
    const { pipeline, queue, matcher } = setup();
    await pipeline.accept([write({ resource: patient({ meta: { versionId: '3' } }) })]);
    const [stale] = await pipeline.accept([write({ resource: patient({ meta: { versionId: '2' } }) })]);
    expect(stale).toMatchObject({ status: 'stale', versionId: '3', matched: 0, enqueued: 0 });
    expect(matcher.calls).toHaveLength(1);
    expect(queue.messages).toHaveLength(1);
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
});
