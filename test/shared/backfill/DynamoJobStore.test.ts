import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsStandins } from '../../../local/standins/aws.js';
import { awsClientConfig, createConnectorResources, startAwsStandins } from '../../../local/standins/aws.js';
import { DynamoJobStore } from '../../../shared/backfill/DynamoJobStore.js';
import { InMemoryJobStore } from '../../../shared/backfill/InMemoryJobStore.js';
import type { JobStore } from '../../../shared/backfill/JobStore.js';
import type { BackfillJob } from '../../../shared/backfill/types.js';

const newJob = (jobId: string): BackfillJob => ({
  jobId,
  subscriptionId: 'sub-1',
  state: 'queued',
  createdAt: '2026-01-01T00:00:00.000Z',
  counts: { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 },
  streams: [
    { kind: 'search', searchUrl: 'Patient?active=true', page: -1, nextEnqueued: true, done: false },
    { kind: 'ids', idCount: 2, page: -1, nextEnqueued: true, done: false },
  ],
  streamsDone: 0,
  failedIds: [],
});

const counts = (read: number) => ({
  read,
  matched: read,
  enqueued: read,
  skipped: 0,
  failed: 0,
  conflicts: 0,
});

let aws: AwsStandins;
let dynamo: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  aws = await startAwsStandins();
  ({ stateTable: tableName } = await createConnectorResources({
    endpoints: {
      dynamoEndpoint: aws.dynamoEndpoint,
      sqsEndpoint: aws.sqsEndpoint,
      s3Endpoint: aws.s3Endpoint,
    },
  }));
  dynamo = new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint));
});
afterAll(async () => {
  dynamo?.destroy();
  await aws?.stop();
});

describe.each([
  [
    'DynamoJobStore on dynalite',
    () => new DynamoJobStore({ client: DynamoDBDocumentClient.from(dynamo), tableName }),
  ],
  ['InMemoryJobStore', () => new InMemoryJobStore()],
])('%s', (_name, make: () => JobStore) => {
  it('stores a job and reads it back unchanged', async () => {
    const jobs = make();
    await jobs.create(newJob('j-read'));
    expect(await jobs.get('j-read')).toEqual(newJob('j-read'));
    expect(await jobs.get('j-missing')).toBeUndefined();
  });

  it('refuses to create a job id twice', async () => {
    const jobs = make();
    await jobs.create(newJob('j-twice'));
    await expect(jobs.create(newJob('j-twice'))).rejects.toThrow();
  });

  it('commits each page once, in order, and adds its counts', async () => {
    const jobs = make();
    await jobs.create(newJob('j-pages'));
    await jobs.markRunning('j-pages', '2026-01-01T00:00:01.000Z');
    expect(
      await jobs.commitPage('j-pages', {
        stream: 0,
        page: 0,
        nextUrl: 'http://s/fhir/Patient?_cursor=1',
        counts: counts(10),
        failedIds: [],
      }),
    ).toBe(true);
    expect(
      await jobs.commitPage('j-pages', {
        stream: 0,
        page: 0,
        nextUrl: 'http://s/fhir/Patient?_cursor=1',
        counts: counts(10),
        failedIds: [],
      }),
    ).toBe(false);
    expect(await jobs.commitPage('j-pages', { stream: 0, page: 2, counts: counts(10), failedIds: [] })).toBe(
      false,
    );
    await jobs.markNextEnqueued('j-pages', 0, 0);
    const job = await jobs.get('j-pages');
    expect(job?.state).toBe('running');
    expect(job?.startedAt).toBe('2026-01-01T00:00:01.000Z');
    expect(job?.counts.read).toBe(10);
    expect(job?.streams[0]).toMatchObject({
      page: 0,
      nextUrl: 'http://s/fhir/Patient?_cursor=1',
      nextEnqueued: true,
      done: false,
      // Per-stream progress (per type in a backfill of everything), counted once like the job's.
      read: 10,
      enqueued: counts(10).enqueued,
    });
  });

  it('lets exactly one of two concurrent commits of the same page win', async () => {
    const jobs = make();
    await jobs.create(newJob('j-race'));
    const commit = {
      stream: 0,
      page: 0,
      nextUrl: 'http://s/fhir/Patient?_cursor=1',
      counts: counts(5),
      failedIds: [],
    };
    const results = await Promise.all([jobs.commitPage('j-race', commit), jobs.commitPage('j-race', commit)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await jobs.get('j-race'))?.counts.read).toBe(5);
  });

  it('completes only when every stream is done', async () => {
    const jobs = make();
    await jobs.create(newJob('j-done'));
    await jobs.markRunning('j-done', '2026-01-01T00:00:01.000Z');
    await jobs.commitPage('j-done', { stream: 0, page: 0, counts: counts(3), failedIds: [] });
    expect(await jobs.completeIfDone('j-done', '2026-01-01T00:00:02.000Z')).toBe(false);
    await jobs.commitPage('j-done', {
      stream: 1,
      page: 0,
      counts: { ...counts(1), failed: 2, conflicts: 1 },
      failedIds: [
        { key: 'Patient/x', reason: 'not-found' },
        { key: 'Patient/y', reason: 'version-conflict' },
      ],
    });
    expect(await jobs.completeIfDone('j-done', '2026-01-01T00:00:03.000Z')).toBe(true);
    expect(await jobs.completeIfDone('j-done', '2026-01-01T00:00:04.000Z')).toBe(false);
    const job = await jobs.get('j-done');
    expect(job).toMatchObject({
      state: 'completed',
      endedAt: '2026-01-01T00:00:03.000Z',
      streamsDone: 2,
      failedIds: [
        { key: 'Patient/x', reason: 'not-found' },
        { key: 'Patient/y', reason: 'version-conflict' },
      ],
    });
    expect(job?.counts).toEqual({ read: 4, matched: 4, enqueued: 4, skipped: 0, failed: 2, conflicts: 1 });
    expect(job?.streams[0]?.nextUrl).toBeUndefined();
  });

  it('cancels a running job once and never moves a final state', async () => {
    const jobs = make();
    await jobs.create(newJob('j-cancel'));
    const cancelled = await jobs.finish(
      'j-cancel',
      'cancelled',
      'Cancelled on request',
      '2026-01-01T00:00:05.000Z',
    );
    expect(cancelled).toMatchObject({ state: 'cancelled', reason: 'Cancelled on request' });
    const again = await jobs.finish('j-cancel', 'failed', 'late failure', '2026-01-01T00:00:06.000Z');
    expect(again).toMatchObject({ state: 'cancelled', endedAt: '2026-01-01T00:00:05.000Z' });
    await jobs.markRunning('j-cancel', '2026-01-01T00:00:07.000Z');
    expect((await jobs.get('j-cancel'))?.state).toBe('cancelled');
    expect(await jobs.finish('j-unknown', 'cancelled', 'x', '2026-01-01T00:00:05.000Z')).toBeUndefined();
  });
});
