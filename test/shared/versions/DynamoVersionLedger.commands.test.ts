import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { boundedDocumentClient } from '../../helpers/boundedDocumentClient.js';
import { DynamoVersionLedger, LedgerContentionError } from '../../../shared/versions/DynamoVersionLedger.js';

// The exact DynamoDB commands the ledger sends (keys, conditions, consistency), and how it reads the
// stored item a failed condition returns. Behaviour against a real table: DynamoVersionLedger.test.ts.

const T1 = '2024-01-01T00:00:00.000Z';
const T2 = '2024-01-02T00:00:00.000Z';
const T3 = '2024-01-03T00:00:00.000Z';
const TABLE = 'state';
const KEY = { pk: 'RES#Patient/p1', sk: 'LATEST' };

const dynamo = mockClient(DynamoDBDocumentClient);
const { client, resetCount } = boundedDocumentClient();

const conditionFailed = (item?: Record<string, unknown>) =>
  Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    ...(item ? { Item: item } : {}),
  });

/** A stored item as `ALL_OLD` returns it: raw attribute values. */
const rawItem = (versionId: string, lastUpdated: string, extra: Record<string, unknown> = {}) => ({
  pk: { S: KEY.pk },
  sk: { S: KEY.sk },
  versionId: { S: versionId },
  lastUpdated: { S: lastUpdated },
  deleted: { BOOL: false },
  ...extra,
});

const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
const sentNames = () => dynamo.calls().map((call) => call.args[0].constructor.name);

describe('Class: DynamoVersionLedger (commands sent)', () => {
  let delays: number[];

  beforeEach(() => {
    dynamo.reset();
    resetCount();
    delays = [];
    // Backoff without waiting: record each pause, run its callback at once (random jitter fixed at half).
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      callback();
      return 0;
    }) as unknown as typeof setTimeout);
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('recordSourceVersion', () => {
    it('writes an integer version under a versionNum condition, with every attribute of the entry', async () => {
      dynamo.on(PutCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const entry = {
        versionId: '12',
        lastUpdated: T2,
        deleted: false,
        contentHash: 'h1',
        endpoints: ['https://a/r4/'],
      };
      expect(await ledger.recordSourceVersion('Patient/p1', entry)).toEqual({
        status: 'recorded',
        latest: entry,
      });
      expect(puts()).toStrictEqual([
        {
          TableName: TABLE,
          Item: {
            ...KEY,
            versionId: '12',
            lastUpdated: T2,
            deleted: false,
            versionNum: 12,
            lastUpdatedMs: Date.parse(T2),
            contentHash: 'h1',
            endpoints: ['https://a/r4/'],
          },
          ConditionExpression: 'attribute_not_exists(pk) OR versionNum < :n',
          ExpressionAttributeValues: { ':n': 12 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
    });

    it('writes an integer version with an unparsable lastUpdated in one conditional put, without lastUpdatedMs', async () => {
      dynamo.on(PutCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      await ledger.recordSourceVersion('Patient/p1', {
        versionId: '3',
        lastUpdated: 'not a date',
        deleted: true,
      });
      expect(sentNames()).toEqual(['PutCommand']);
      expect(puts()[0]).toStrictEqual({
        TableName: TABLE,
        Item: { ...KEY, versionId: '3', lastUpdated: 'not a date', deleted: true, versionNum: 3 },
        ConditionExpression: 'attribute_not_exists(pk) OR versionNum < :n',
        ExpressionAttributeValues: { ':n': 3 },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('writes an opaque version under a lastUpdatedMs condition, without versionNum', async () => {
      dynamo.on(PutCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      await ledger.recordSourceVersion('Patient/p1', { versionId: 'v-abc', lastUpdated: T2, deleted: false });
      expect(sentNames()).toEqual(['PutCommand']);
      expect(puts()[0]).toStrictEqual({
        TableName: TABLE,
        Item: { ...KEY, versionId: 'v-abc', lastUpdated: T2, deleted: false, lastUpdatedMs: Date.parse(T2) },
        ConditionExpression: 'attribute_not_exists(pk) OR (versionId <> :v AND lastUpdatedMs < :ms)',
        ExpressionAttributeValues: { ':v': 'v-abc', ':ms': Date.parse(T2) },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('reads first (consistently) when neither the id nor the instant can be compared in a condition', async () => {
      dynamo.on(GetCommand).resolves({});
      dynamo.on(PutCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const entry = { versionId: 'opaque', lastUpdated: 'garbled', deleted: false };
      expect(await ledger.recordSourceVersion('Patient/p1', entry)).toEqual({
        status: 'recorded',
        latest: entry,
      });
      expect(sentNames()).toEqual(['GetCommand', 'PutCommand']);
      expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input).toStrictEqual({
        TableName: TABLE,
        Key: KEY,
        ConsistentRead: true,
      });
      expect(puts()[0]).toStrictEqual({
        TableName: TABLE,
        Item: { ...KEY, versionId: 'opaque', lastUpdated: 'garbled', deleted: false },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('answers stale from the stored item of a failed condition without writing again', async () => {
      dynamo.on(PutCommand).rejects(conditionFailed(rawItem('7', T3, { deleted: { BOOL: true } })));
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.recordSourceVersion('Patient/p1', {
        versionId: '6',
        lastUpdated: T1,
        deleted: false,
      });
      expect(result).toStrictEqual({
        status: 'stale',
        latest: { versionId: '7', lastUpdated: T3, deleted: true },
      });
      expect(sentNames()).toEqual(['PutCommand']);
    });

    it('records a newer opaque id over an integer one by compare-and-set on the stored item', async () => {
      dynamo
        .on(PutCommand)
        .rejectsOnce(conditionFailed(rawItem('3', T2)))
        .resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const entry = { versionId: 'abc', lastUpdated: T3, deleted: false };
      expect(await ledger.recordSourceVersion('Patient/p1', entry)).toStrictEqual({
        status: 'recorded',
        latest: entry,
      });
      expect(puts()[1]).toMatchObject({
        ConditionExpression: 'versionId = :pv AND lastUpdated = :plu',
        ExpressionAttributeValues: { ':pv': '3', ':plu': T2 },
      });
      expect(delays).toEqual([]);
    });

    it('retries the versioned put when the failed condition finds no stored item', async () => {
      dynamo.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});
      dynamo.on(GetCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const entry = { versionId: '2', lastUpdated: T2, deleted: false };
      expect(await ledger.recordSourceVersion('Patient/p1', entry)).toEqual({
        status: 'recorded',
        latest: entry,
      });
      expect(sentNames()).toEqual(['PutCommand', 'GetCommand', 'PutCommand']);
      expect(puts()[1]?.ConditionExpression).toBe('attribute_not_exists(pk) OR versionNum < :n');
    });

    it('reads the stored item when the failed condition returns none (an endpoint without ALL_OLD)', async () => {
      dynamo.on(PutCommand).rejects(conditionFailed());
      dynamo.on(GetCommand).resolves({
        Item: {
          ...KEY,
          versionId: '9',
          lastUpdated: T3,
          deleted: false,
          contentHash: 'h9',
          endpoints: ['e'],
        },
      });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.recordSourceVersion('Patient/p1', {
        versionId: '9',
        lastUpdated: T3,
        deleted: false,
      });
      expect(result).toStrictEqual({
        status: 'current',
        latest: { versionId: '9', lastUpdated: T3, deleted: false, contentHash: 'h9', endpoints: ['e'] },
      });
      expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
    });

    it('gives up with LedgerContentionError when the compare-and-set keeps losing', async () => {
      // The stored item moves on every attempt, yet never past the write.
      let version = 0;
      dynamo.on(PutCommand).callsFake(() => {
        version += 1;
        throw conditionFailed(rawItem(`x${version}`, T1));
      });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE, maxAttempts: 3, backoffMs: 10 });
      const error = await ledger
        .recordSourceVersion('Patient/p1', { versionId: 'y', lastUpdated: T3, deleted: false })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LedgerContentionError);
      expect(error).toMatchObject({
        name: 'LedgerContentionError',
        message: 'Version ledger write still contended after 3 attempts',
      });
      // The first conditional put, then three compare-and-set attempts, pausing before the 2nd and 3rd.
      expect(puts()).toHaveLength(4);
      expect(delays).toEqual([10, 20]);
    });

    it('stops the compare-and-set as soon as the stored item turns out newer', async () => {
      dynamo.on(GetCommand).resolves({ Item: { ...KEY, versionId: 'a', lastUpdated: 'x', deleted: false } });
      dynamo
        .on(PutCommand)
        .rejects(
          conditionFailed(rawItem('z', 'y', { contentHash: { S: 'hz' }, endpoints: { SS: ['s1', 's2'] } })),
        );
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE, maxAttempts: 5 });
      const result = await ledger.recordSourceVersion('Patient/p1', {
        versionId: 'b',
        lastUpdated: 'x',
        deleted: false,
      });
      expect(result).toStrictEqual({
        status: 'stale',
        latest: {
          versionId: 'z',
          lastUpdated: 'y',
          deleted: false,
          contentHash: 'hz',
          endpoints: ['s1', 's2'],
        },
      });
      expect(sentNames()).toEqual(['GetCommand', 'PutCommand']);
      expect(puts()[0]).toMatchObject({ ExpressionAttributeValues: { ':pv': 'a', ':plu': 'x' } });
    });

    it('passes on errors other than a failed condition', async () => {
      const throttled = Object.assign(new Error('slow down'), {
        name: 'ProvisionedThroughputExceededException',
      });
      dynamo.on(PutCommand).rejects(throttled);
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      await expect(
        ledger.recordSourceVersion('Patient/p1', { versionId: '1', lastUpdated: T1, deleted: false }),
      ).rejects.toThrow('slow down');
      expect(sentNames()).toEqual(['PutCommand']);
    });
  });

  describe('reading the stored item of a failed condition', () => {
    it('keeps only string endpoints of a list, and reads booleans, plain values and unknown types', async () => {
      dynamo.on(PutCommand).rejects(
        conditionFailed({
          ...rawItem('8', T3, {
            deleted: { BOOL: true },
            endpoints: { L: [{ S: 'https://a/r4/' }, { NULL: true }] },
          }),
          contentHash: { B: new Uint8Array([1]) },
          versionNum: { N: '8' },
          expiresAt: null,
        }),
      );
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.recordSourceVersion('Patient/p1', {
        versionId: '5',
        lastUpdated: T1,
        deleted: false,
      });
      expect(result).toStrictEqual({
        status: 'stale',
        latest: { versionId: '8', lastUpdated: T3, deleted: true, endpoints: ['https://a/r4/'] },
      });
    });

    it('reads an item that arrives already unmarshalled', async () => {
      dynamo
        .on(PutCommand)
        .rejects(
          conditionFailed({ ...KEY, versionId: '8', lastUpdated: T3, deleted: true, endpoints: ['e1'] }),
        );
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.recordSourceVersion('Patient/p1', {
        versionId: '5',
        lastUpdated: T1,
        deleted: false,
      });
      expect(result).toStrictEqual({
        status: 'stale',
        latest: { versionId: '8', lastUpdated: T3, deleted: true, endpoints: ['e1'] },
      });
    });
  });

  describe('assignNextVersion', () => {
    it('creates a new resource with a single put that requires it to be absent', async () => {
      dynamo.on(PutCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.assignNextVersion('Patient/p1', {
        deleted: false,
        lastUpdated: T1,
        contentHash: 'h',
      });
      expect(result).toStrictEqual({
        status: 'recorded',
        latest: { versionId: '1', lastUpdated: T1, deleted: false, contentHash: 'h' },
      });
      expect(puts()).toStrictEqual([
        {
          TableName: TABLE,
          Item: {
            ...KEY,
            versionId: '1',
            lastUpdated: T1,
            deleted: false,
            versionNum: 1,
            lastUpdatedMs: Date.parse(T1),
            contentHash: 'h',
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      ]);
      expect(delays).toEqual([]);
    });

    it('allocates the version after the one a racing writer stored, after a pause', async () => {
      dynamo
        .on(PutCommand)
        .rejectsOnce(conditionFailed(rawItem('4', T1)))
        .resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.assignNextVersion('Patient/p1', { deleted: false, lastUpdated: T2 });
      expect(result.latest.versionId).toBe('5');
      expect(puts()[1]).toMatchObject({
        Item: { versionId: '5', versionNum: 5 },
        ConditionExpression: 'versionId = :pv AND lastUpdated = :plu',
        ExpressionAttributeValues: { ':pv': '4', ':plu': T1 },
      });
      // Default backoff: 5 ms doubled per attempt, half of it with the jitter fixed at 0.5.
      expect(delays).toEqual([5]);
    });

    it('answers a retried write with the stored version, learnt from the failed create', async () => {
      dynamo.on(PutCommand).rejects(conditionFailed(rawItem('4', T1, { contentHash: { S: 'h' } })));
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const result = await ledger.assignNextVersion('Patient/p1', {
        deleted: false,
        lastUpdated: T2,
        contentHash: 'h',
      });
      expect(result).toStrictEqual({
        status: 'current',
        latest: { versionId: '4', lastUpdated: T1, deleted: false, contentHash: 'h' },
      });
      expect(puts()).toHaveLength(1);
    });

    it('backs off exponentially up to 200 ms and gives up after maxAttempts', async () => {
      let version = 0;
      dynamo.on(PutCommand).callsFake(() => {
        version += 1;
        throw conditionFailed(rawItem(String(version), T1));
      });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE, maxAttempts: 9 });
      await expect(
        ledger.assignNextVersion('Patient/p1', { deleted: false, lastUpdated: T2 }),
      ).rejects.toThrow(new LedgerContentionError(9));
      expect(puts()).toHaveLength(9);
      expect(delays).toEqual([5, 10, 20, 40, 80, 100, 100, 100]);
    });
  });

  describe('resetTo', () => {
    it('moves the entry back only while the stored one is still the expected one', async () => {
      dynamo
        .on(PutCommand)
        .resolvesOnce({})
        .rejects(conditionFailed(rawItem('10', T3)));
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const entry = { versionId: '2', lastUpdated: T1, deleted: false };
      const expected = { versionId: '999', lastUpdated: T2, deleted: false };
      expect(await ledger.resetTo('Patient/p1', entry, expected)).toBe(true);
      expect(await ledger.resetTo('Patient/p1', entry, expected)).toBe(false);
      expect(puts()[0]).toMatchObject({
        Item: { ...KEY, versionId: '2', versionNum: 2 },
        ConditionExpression: 'versionId = :pv AND lastUpdated = :plu',
        ExpressionAttributeValues: { ':pv': '999', ':plu': T2 },
      });
    });
  });

  describe('getLatest', () => {
    it('reads unique keys consistently in batches of 100', async () => {
      dynamo.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const keys = Array.from({ length: 200 }, (_, index) => `Patient/p${index}`);
      expect(await ledger.getLatest([...keys, 'Patient/p0'])).toEqual(new Map());
      const batches = dynamo
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]);
      expect(batches.map((batch) => batch?.Keys?.length)).toEqual([100, 100]);
      expect(batches.every((batch) => batch?.ConsistentRead === true)).toBe(true);
      expect(batches[1]?.Keys?.[0]).toEqual({ pk: 'RES#Patient/p100', sk: 'LATEST' });
    });

    it('answers an empty map when the table returns no responses at all', async () => {
      dynamo.on(BatchGetCommand).resolves({});
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      expect(await ledger.getLatest(['Patient/p1'])).toEqual(new Map());
    });

    it('retries unprocessed keys after a pause and keeps what each round found', async () => {
      dynamo
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { [TABLE]: [{ ...KEY, versionId: '1', lastUpdated: T1, deleted: false }] },
          UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'RES#Patient/p2', sk: 'LATEST' }] } },
        })
        .resolves({
          Responses: { [TABLE]: [{ pk: 'RES#Patient/p2', sk: 'LATEST', versionId: 'b', lastUpdated: T2 }] },
        });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE });
      const latest = await ledger.getLatest(['Patient/p1', 'Patient/p2']);
      expect([...latest.entries()]).toStrictEqual([
        ['Patient/p1', { versionId: '1', lastUpdated: T1, deleted: false }],
        ['Patient/p2', { versionId: 'b', lastUpdated: T2, deleted: false }],
      ]);
      expect(dynamo.commandCalls(BatchGetCommand)[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([
        { pk: 'RES#Patient/p2', sk: 'LATEST' },
      ]);
      expect(delays).toEqual([5]);
    });

    it('gives up with LedgerContentionError when keys stay unprocessed', async () => {
      dynamo.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [KEY] } } });
      const ledger = new DynamoVersionLedger({ client, tableName: TABLE, maxAttempts: 3 });
      await expect(ledger.getLatest(['Patient/p1'])).rejects.toThrow(new LedgerContentionError(3));
      expect(dynamo.commandCalls(BatchGetCommand)).toHaveLength(3);
      expect(delays).toEqual([5, 10]);
    });
  });
});
