import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../shared/backfill/DynamoJobStore.js';
import type { BackfillJob, NotificationJob } from '../../../shared/backfill/types.js';

// The items and commands of the backfill job store, without a table (DynamoJobStore.test.ts runs the
// same store on dynalite): what is written, and how items written by earlier versions read back.
const documents = mockClient(DynamoDBDocumentClient);
afterEach(() => documents.reset());

const store = () =>
  new DynamoJobStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: 'state' });

const CREATED = '2026-01-01T00:00:00.000Z';
const counts = { read: 0, matched: 0, enqueued: 0, skipped: 0, failed: 0, conflicts: 0 };
const job: BackfillJob = {
  jobId: 'j1',
  // Undefined fields, as callers may leave them: the marshaller would refuse them.
  notification: {
    sourceSubscriptionId: 'admissions',
    reasons: ['read'],
    gaps: 0,
    since: undefined,
  } as unknown as NotificationJob,
  state: 'queued',
  createdAt: CREATED,
  counts,
  streams: [{ kind: 'ids', idCount: 2, page: -1, nextEnqueued: true, done: false, nextUrl: undefined }],
  streamsDone: 0,
  failedIds: [{ key: 'Patient/x', reason: 'invalid' }],
};

/** A stored item as an earlier version wrote it. */
const legacyItem = {
  pk: 'JOB#j0',
  sk: 'JOB',
  jobId: 'j0',
  subscriptionId: 'sub',
  state: 'running',
  createdAt: CREATED,
  startedAt: '',
  readCount: 3,
  matchedCount: 2,
  enqueuedCount: 2,
  skippedCount: 0,
  failedCount: 1,
  streamCount: 2,
  streamsDone: 1,
  streams: {
    s0: { kind: 'search', searchUrl: 'Patient?', page: 0, nextEnqueued: true, done: true },
    s1: { kind: 'search', searchUrl: 'Observation?', page: -1, nextEnqueued: true, done: false },
  },
  failedIds: ['Patient/old', { key: 'Patient/new', reason: 'not-found' }],
  expiresAt: 1,
};

describe('DynamoJobStore items', () => {
  it('creates the job item once, with its streams as a map, undefined fields dropped, expiring after 30 days', async () => {
    documents.on(PutCommand).resolves({});
    await store().create(job);
    const input = documents.commandCalls(PutCommand)[0]!.args[0].input;
    expect(input.TableName).toBe('state');
    expect(input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(input.Item).toEqual({
      pk: 'JOB#j1',
      sk: 'JOB',
      jobId: 'j1',
      notification: { sourceSubscriptionId: 'admissions', reasons: ['read'], gaps: 0 },
      state: 'queued',
      createdAt: CREATED,
      readCount: 0,
      matchedCount: 0,
      enqueuedCount: 0,
      skippedCount: 0,
      failedCount: 0,
      conflictCount: 0,
      streamCount: 1,
      streamsDone: 0,
      streams: { s0: { kind: 'ids', idCount: 2, page: -1, nextEnqueued: true, done: false } },
      failedIds: [{ key: 'Patient/x', reason: 'invalid' }],
      expiresAt: Date.parse(CREATED) / 1000 + 30 * 86_400,
    });
    expect(Object.keys(input.Item ?? {})).not.toContain('subscriptionId');
  });

  it('reads consistently, and takes items of earlier versions: plain failed ids, no conflict count', async () => {
    documents.on(GetCommand).resolves({ Item: legacyItem });
    const read = await store().get('j0');
    expect(documents.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: 'JOB#j0', sk: 'JOB' },
      ConsistentRead: true,
    });
    expect(read).toEqual({
      jobId: 'j0',
      subscriptionId: 'sub',
      state: 'running',
      createdAt: CREATED,
      counts: { read: 3, matched: 2, enqueued: 2, skipped: 0, failed: 1, conflicts: 0 },
      streams: [legacyItem.streams.s0, legacyItem.streams.s1],
      streamsDone: 1,
      failedIds: [{ key: 'Patient/old' }, { key: 'Patient/new', reason: 'not-found' }],
    });
  });

  it('reads an item without failed ids, and answers undefined for no item', async () => {
    const { failedIds: _dropped, ...withoutFailedIds } = legacyItem;
    documents.on(GetCommand).resolvesOnce({ Item: withoutFailedIds }).resolvesOnce({});
    expect((await store().get('j0'))?.failedIds).toEqual([]);
    expect(await store().get('nope')).toBeUndefined();
  });

  it('refuses an item that lacks one of its streams', async () => {
    documents.on(GetCommand).resolves({ Item: { ...legacyItem, streamCount: 3 } });
    await expect(store().get('j0')).rejects.toThrow('Job item lacks stream 2');
  });

  it('commits a last page: cursor moved on its previous page, counts added, stream done, next URL removed', async () => {
    documents.on(UpdateCommand).resolves({});
    const committed = await store().commitPage('j1', {
      stream: 1,
      page: 3,
      counts: { read: 5, matched: 4, enqueued: 3, skipped: 1, failed: 0, conflicts: 0 },
      failedIds: [],
    });
    expect(committed).toBe(true);
    const input = documents.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.ConditionExpression).toBe('#streams.#s.#page = :previous');
    expect(input.ExpressionAttributeNames).toMatchObject({ '#s': 's1' });
    expect(input.UpdateExpression).toMatch(/ REMOVE #streams\.#s\.nextUrl$/);
    expect(input.UpdateExpression).not.toContain('failedIds');
    expect(input.ExpressionAttributeValues).toEqual({
      ':page': 3,
      ':previous': 2,
      ':done': true,
      ':read': 5,
      ':matched': 4,
      ':enqueued': 3,
      ':skipped': 1,
      ':failed': 0,
      ':conflicts': 0,
      ':streamDone': 1,
      ':zero': 0,
    });
  });

  it('commits a page with a next link and failed ids: appended, the stream not done', async () => {
    documents.on(UpdateCommand).resolves({});
    await store().commitPage('j1', {
      stream: 0,
      page: 0,
      nextUrl: 'https://source.test/fhir?page=2',
      counts: { ...counts, read: 2, failed: 1 },
      failedIds: [{ key: 'Patient/bad', reason: 'invalid' }],
    });
    const input = documents.commandCalls(UpdateCommand)[0]!.args[0].input;
    expect(input.UpdateExpression).toContain('#streams.#s.nextUrl = :next');
    expect(input.UpdateExpression).toContain(
      'failedIds = list_append(if_not_exists(failedIds, :empty), :ids)',
    );
    expect(input.UpdateExpression).not.toContain('REMOVE');
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':done': false,
      ':next': 'https://source.test/fhir?page=2',
      ':empty': [],
      ':ids': [{ key: 'Patient/bad', reason: 'invalid' }],
      ':streamDone': 0,
      ':previous': -1,
    });
  });
});
