import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReconcileJobStore } from '../../../shared/reconcile/DynamoReconcileJobStore.js';
import { emptyTally } from '../../../shared/reconcile/types.js';
import { reconcileJobKey, reconcileOrphanKey } from '../../../shared/state/tableLayout.js';
import { newJob, newStream, startReconcileHarness, type ReconcileHarness } from './reconcileHarness.js';

let harness: ReconcileHarness;

beforeAll(async () => {
  harness = await startReconcileHarness();
});
afterAll(async () => {
  await harness?.stop();
});

describe('DynamoReconcileJobStore on dynalite', () => {
  it("keeps a compare job's only-in-HealthLake ids and answers which of them it listed", async () => {
    await harness.jobs.create(newJob('orphans-1'));
    await harness.jobs.recordOrphans('orphans-1', ['Patient/a', 'Patient/b', 'Patient/a']);
    await harness.jobs.recordOrphans('orphans-1', ['Observation/c']);
    const asked = [
      'Patient/a',
      'Patient/z',
      'Observation/c',
      ...Array.from({ length: 150 }, (_, i) => `X/${i}`),
    ];
    expect([...(await harness.jobs.listedOrphans('orphans-1', asked))].sort()).toEqual([
      'Observation/c',
      'Patient/a',
    ]);
    expect((await harness.jobs.listedOrphans('other-job', ['Patient/a'])).size).toBe(0);
    // The job item itself is unaffected by its orphan items.
    expect((await harness.jobs.get('orphans-1'))?.state).toBe('queued');
  });

  it('reserves prunes with a conditional counter: concurrent batches never pass the limit in total', async () => {
    await harness.jobs.create(newJob('reserve-1', { mode: 'repair-and-prune', pruneConfirmation: 5 }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) => harness.jobs.reservePrunes('reserve-1', `b${index}`, 1, 5)),
    );
    expect(results.filter(Boolean)).toHaveLength(5);
    expect(await harness.jobs.reservePrunes('reserve-1', 'late', 1, 5)).toBe(false);
  });

  it('lets a redone batch re-use its reservation, and reserve more only within the limit', async () => {
    await harness.jobs.create(newJob('reserve-2', { mode: 'repair-and-prune', pruneConfirmation: 4 }));
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 3, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 3, 4)).toBe(true); // redone
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 2, 4)).toBe(true); // fewer left now
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-1', 2, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 4, 4)).toBe(true); // one more
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-0', 5, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('reserve-2', 'page-1', 1, 4)).toBe(false);
    expect(await harness.jobs.reservePrunes('unknown-job', 'page-0', 1, 4)).toBe(false);
  });
});

/** The harness store's own client and table (private fields), to read and shape raw items. */
const raw = () => harness.jobs as unknown as { client: DynamoDBDocumentClient; tableName: string };
const rawItem = async (key: Record<string, string>) => {
  const { client, tableName } = raw();
  return (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
};
const rawUpdate = async (jobId: string, UpdateExpression: string, values?: Record<string, unknown>) => {
  const { client, tableName } = raw();
  await client.send(
    new UpdateCommand({
      TableName: tableName,
      Key: reconcileJobKey(jobId),
      UpdateExpression,
      ...(values ? { ExpressionAttributeValues: values } : {}),
    }),
  );
};
/** A store on the same table whose commands are recorded (their input) before they are sent. */
const recordingStore = () => {
  const { client, tableName } = raw();
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const store = new DynamoReconcileJobStore({
    client: {
      send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        return client.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient,
    tableName,
  });
  return { store, sent };
};
const CREATED = '2026-02-01T12:00:00.500Z';
const STARTED = '2026-02-01T12:01:00.000Z';
const ENDED = '2026-02-01T12:02:00.000Z';
let ids = 0;
const freshId = (name: string) => `${name}-${Date.now()}-${(ids += 1)}`;

describe('DynamoReconcileJobStore: the job item read back', () => {
  it('reads a new job back exactly, without optional fields it was not given', async () => {
    const jobId = freshId('plain');
    await harness.jobs.create(newJob(jobId, { createdAt: CREATED }));
    expect(await harness.jobs.get(jobId)).toStrictEqual({
      jobId,
      subscriptionId: 'sub-1',
      mode: 'compare',
      contentHash: false,
      scope: { resourceTypes: [], resourceIds: [], searchUrls: [] },
      state: 'queued',
      createdAt: CREATED,
      planned: false,
      streams: [],
      streamsDone: 0,
      counts: {},
      samples: [],
    });
    // Kept for RECONCILE_RETENTION_DAYS (30) from its creation, in epoch seconds.
    expect((await rawItem(reconcileJobKey(jobId)))?.expiresAt).toBe(
      Math.floor(Date.parse(CREATED) / 1000) + 30 * 86_400,
    );
  });

  it('reads every optional field back, and the plan, commits and end of the job', async () => {
    const jobId = freshId('full');
    await harness.jobs.create(
      newJob(jobId, {
        mode: 'repair-and-prune',
        contentHash: true,
        scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [], since: '2026-01-01' },
        pruneConfirmation: 0,
        compareJobId: 'compare-9',
        target: 'https://hl.example/|{}',
        createdAt: CREATED,
        idLists: 's3://b/reconcile/x/',
      }),
    );
    expect(await harness.jobs.plan(jobId, [newStream(), newStream({ side: 'healthlake' })], STARTED)).toBe(
      true,
    );
    expect(
      await harness.jobs.commitPage(jobId, {
        stream: 0,
        page: 0,
        nextUrl: 'https://source/Patient?page=2',
        counts: { Patient: { inSync: 2, missing: 0 } },
        samples: ['missing Patient/1'],
      }),
    ).toBe(true);
    expect(
      await harness.jobs.commitPage(jobId, {
        stream: 0,
        page: 1,
        counts: { Patient: { inSync: 1, stale: 1 }, Observation: { missing: 0 } },
        samples: [],
      }),
    ).toBe(true);
    expect(await harness.jobs.finish(jobId, 'failed', 'Gave up', ENDED)).toStrictEqual({
      jobId,
      subscriptionId: 'sub-1',
      mode: 'repair-and-prune',
      contentHash: true,
      scope: { resourceTypes: ['Patient'], resourceIds: [], searchUrls: [], since: '2026-01-01' },
      pruneConfirmation: 0,
      compareJobId: 'compare-9',
      target: 'https://hl.example/|{}',
      state: 'failed',
      createdAt: CREATED,
      startedAt: STARTED,
      endedAt: ENDED,
      reason: 'Gave up',
      planned: true,
      // The last page removed the stream's next URL; zero counts add no attribute (no Observation tally).
      streams: [
        {
          side: 'source',
          resourceType: 'Patient',
          query: 'Patient?',
          page: 1,
          nextEnqueued: true,
          done: true,
        },
        newStream({ side: 'healthlake' }),
      ],
      streamsDone: 1,
      counts: { Patient: { ...emptyTally(), inSync: 3, stale: 1 } },
      samples: ['missing Patient/1'],
      idLists: 's3://b/reconcile/x/',
    });
    const item = await rawItem(reconcileJobKey(jobId));
    expect(
      Object.keys(item ?? {})
        .filter((name) => name.startsWith('n|'))
        .sort(),
    ).toEqual(['n|Patient|inSync', 'n|Patient|stale']);
  });

  it('marks the next page enqueued only at the page it names', async () => {
    const jobId = freshId('mark');
    await harness.jobs.create(newJob(jobId));
    await harness.jobs.plan(jobId, [newStream()], STARTED);
    await harness.jobs.commitPage(jobId, {
      stream: 0,
      page: 0,
      nextUrl: 'https://source/next',
      counts: {},
      samples: [],
    });
    expect((await harness.jobs.get(jobId))?.streams[0]).toStrictEqual(
      newStream({ page: 0, nextEnqueued: false, nextUrl: 'https://source/next' }),
    );
    await harness.jobs.markNextEnqueued(jobId, 0, 5); // another page: no change
    expect((await harness.jobs.get(jobId))?.streams[0]?.nextEnqueued).toBe(false);
    await harness.jobs.markNextEnqueued(jobId, 0, 0);
    expect((await harness.jobs.get(jobId))?.streams[0]).toStrictEqual(
      newStream({ page: 0, nextEnqueued: true, nextUrl: 'https://source/next' }),
    );
  });

  it('ignores attributes that are no count: a prune batch named like an outcome, an unknown outcome', async () => {
    const jobId = freshId('counts');
    await harness.jobs.create(newJob(jobId, { mode: 'repair-and-prune', pruneConfirmation: 5 }));
    // Its attribute is `prune|inSync`: not `n|une|inSync`.
    expect(await harness.jobs.reservePrunes(jobId, 'inSync', 1, 5)).toBe(true);
    await harness.jobs.plan(jobId, [newStream()], STARTED);
    await harness.jobs.commitPage(jobId, {
      stream: 0,
      page: 0,
      nextUrl: 'https://source/next',
      counts: { Patient: { bogus: 2 } as never },
      samples: [],
    });
    expect((await rawItem(reconcileJobKey(jobId)))?.['n|Patient|bogus']).toBe(2);
    expect((await harness.jobs.get(jobId))?.counts).toEqual({});
  });

  it('reads an item without samples as none, and appends a commit’s samples to an empty list', async () => {
    const jobId = freshId('samples');
    await harness.jobs.create(newJob(jobId));
    await harness.jobs.plan(jobId, [newStream()], STARTED);
    await rawUpdate(jobId, 'REMOVE samples');
    expect((await harness.jobs.get(jobId))?.samples).toStrictEqual([]);
    await harness.jobs.commitPage(jobId, {
      stream: 0,
      page: 0,
      nextUrl: 'https://s/2',
      counts: {},
      samples: [],
    });
    expect((await rawItem(reconcileJobKey(jobId)))?.samples).toBeUndefined(); // no samples, no list
    await harness.jobs.commitPage(jobId, {
      stream: 0,
      page: 1,
      nextUrl: 'https://s/3',
      counts: {},
      samples: ['stale Patient/2'],
    });
    expect((await harness.jobs.get(jobId))?.samples).toStrictEqual(['stale Patient/2']);
  });

  it('refuses an item whose stream count names a stream it lacks', async () => {
    const jobId = freshId('lacks');
    await harness.jobs.create(newJob(jobId));
    await harness.jobs.plan(jobId, [newStream()], STARTED);
    await rawUpdate(jobId, 'SET streamCount = :two', { ':two': 2 });
    await expect(harness.jobs.get(jobId)).rejects.toThrow(new Error('Reconcile job item lacks stream 1'));
  });

  it('reads the job and a redone reservation consistently, and skips that read for a first reservation', async () => {
    const jobId = freshId('consistent');
    await harness.jobs.create(newJob(jobId, { mode: 'repair-and-prune', pruneConfirmation: 4 }));
    const { store, sent } = recordingStore();
    await store.get(jobId);
    expect(sent).toEqual([{ name: 'GetCommand', input: expect.objectContaining({ ConsistentRead: true }) }]);
    sent.length = 0;
    expect(await store.reservePrunes(jobId, 'b0', 2, 4)).toBe(true);
    expect(sent.map((command) => command.name)).toEqual(['UpdateCommand']);
    sent.length = 0;
    expect(await store.reservePrunes(jobId, 'b0', 2, 4)).toBe(true);
    expect(sent.map((command) => command.name)).toEqual(['UpdateCommand', 'GetCommand']);
    expect(sent[1]?.input).toMatchObject({ ConsistentRead: true });
    sent.length = 0;
    await store.listedOrphans(jobId, ['Patient/a']);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input).toMatchObject({
      RequestItems: { [raw().tableName]: { ConsistentRead: true, ProjectionExpression: 'sk' } },
    });
  });
});

describe('DynamoReconcileJobStore: prune reservations at their limits', () => {
  it('refuses a batch larger than the limit without reserving anything', async () => {
    const jobId = freshId('larger');
    await harness.jobs.create(newJob(jobId, { mode: 'repair-and-prune', pruneConfirmation: 2 }));
    expect(await harness.jobs.reservePrunes(jobId, 'b0', 3, 2)).toBe(false);
    expect(await rawItem(reconcileJobKey(jobId))).not.toHaveProperty('pruneReserved');
    expect(await harness.jobs.reservePrunes(jobId, 'b1', 2, 2)).toBe(true);
  });

  it('lets a redone batch of the same size pass even when the total is past a smaller limit', async () => {
    const jobId = freshId('same');
    await harness.jobs.create(newJob(jobId, { mode: 'repair-and-prune', pruneConfirmation: 4 }));
    expect(await harness.jobs.reservePrunes(jobId, 'b0', 2, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes(jobId, 'b1', 2, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes(jobId, 'b0', 2, 3)).toBe(true);
    expect((await rawItem(reconcileJobKey(jobId)))?.pruneReserved).toBe(4);
  });

  it('refuses a redone batch that grows past the limit the others left', async () => {
    const jobId = freshId('grow');
    await harness.jobs.create(newJob(jobId, { mode: 'repair-and-prune', pruneConfirmation: 4 }));
    expect(await harness.jobs.reservePrunes(jobId, 'b0', 1, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes(jobId, 'b1', 3, 4)).toBe(true);
    expect(await harness.jobs.reservePrunes(jobId, 'b0', 2, 4)).toBe(false);
    const item = await rawItem(reconcileJobKey(jobId));
    expect([item?.pruneReserved, item?.['prune|b0']]).toEqual([4, 1]);
  });
});

describe('DynamoReconcileJobStore: orphan items', () => {
  it('writes each orphan once, expiring 30 days from now, at most 8 at a time', async () => {
    const jobId = freshId('orphan-ttl');
    const { client, tableName } = raw();
    let inFlight = 0;
    let most = 0;
    const store = new DynamoReconcileJobStore({
      client: {
        send: async (command: never) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return await client.send(command);
          } finally {
            inFlight -= 1;
          }
        },
      } as unknown as DynamoDBDocumentClient,
      tableName,
    });
    const before = Math.floor(Date.now() / 1000);
    await store.recordOrphans(
      jobId,
      Array.from({ length: 20 }, (_, i) => `Patient/${i}`),
    );
    const after = Math.floor(Date.now() / 1000);
    expect(most).toBe(8);
    const expiresAt = (await rawItem(reconcileOrphanKey(jobId, 'Patient/7')))?.expiresAt as number;
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400);
    expect(expiresAt).toBeLessThanOrEqual(after + 30 * 86_400);
    expect((await store.listedOrphans(jobId, ['Patient/0', 'Patient/19', 'Patient/20'])).size).toBe(2);
  });

  it('gives up a look-up still throttled after 10 rounds, and reads an answer without Responses as none', async () => {
    const tableName = raw().tableName;
    let calls = 0;
    const throttled = new DynamoReconcileJobStore({
      client: {
        send: async (command: { input: { RequestItems: Record<string, { Keys: unknown[] }> } }) => {
          calls += 1;
          if (calls > 50) throw new Error('runaway');
          return { UnprocessedKeys: { [tableName]: { Keys: command.input.RequestItems[tableName]?.Keys } } };
        },
      } as unknown as DynamoDBDocumentClient,
      tableName,
    });
    await expect(throttled.listedOrphans('job-x', ['Patient/a'])).rejects.toThrow(
      new Error('Orphan look-up still throttled; retry the page'),
    );
    expect(calls).toBe(10);

    const empty = new DynamoReconcileJobStore({
      client: { send: async () => ({}) } as unknown as DynamoDBDocumentClient,
      tableName,
    });
    expect(await empty.listedOrphans('job-x', ['Patient/a'])).toEqual(new Set());
  });
});
