import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDeliveredVersions, targetKey } from '../../../shared/versions/DeliveredVersions.js';
import { DynamoDeliveredVersions } from '../../../shared/versions/DynamoDeliveredVersions.js';
import { deliveredKey } from '../../../shared/state/tableLayout.js';

const TABLE = 'state';
const endpoint = 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/';
const NOW = Date.parse('2026-01-01T00:00:10.000Z');
const documents = mockClient(DynamoDBDocumentClient);
const v = (versionId: string, deleted = false) => ({
  versionId,
  lastUpdated: `2026-01-01T00:00:0${versionId}Z`,
  deleted,
});
const target = (id: string) => ({ resourceKey: `Patient/${id}`, endpoint });
const item = (id: string, version: Record<string, unknown>) => ({
  ...deliveredKey(`Patient/${id}`, endpoint),
  ...version,
});
const conflict = () => new ConditionalCheckFailedException({ message: 'conditional', $metadata: {} });

const store = () =>
  new DynamoDeliveredVersions(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    TABLE,
    () => NOW,
  );

describe('DynamoDeliveredVersions (SDK mock)', () => {
  afterEach(() => documents.reset());

  describe('getMany', () => {
    it('reads at most 100 keys per consistent BatchGetItem, each target once', async () => {
      documents.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
      const targets = Array.from({ length: 150 }, (_, index) => target(`p${index}`));
      await store().getMany([...targets, target('p0')]);
      const calls = documents
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]);
      expect(calls.map((request) => request?.Keys?.length)).toEqual([100, 50]);
      expect(calls.every((request) => request?.ConsistentRead === true)).toBe(true);
      expect(calls[1]?.Keys?.[0]).toEqual(deliveredKey('Patient/p100', endpoint));
    });

    it('keeps only items with a version for a target it asked for', async () => {
      documents.on(BatchGetCommand).resolves({
        Responses: {
          [TABLE]: [
            item('a', v('2', true)),
            item('b', { versionId: '3' }),
            item('c', { lastUpdated: '2026-01-01T00:00:03Z' }),
            item('stranger', v('4')),
          ],
        },
      });
      const found = await store().getMany([target('a'), target('b'), target('c')]);
      expect([...found]).toEqual([[targetKey(target('a')), v('2', true)]]);
    });

    it('reads a deleted flag only when it is true', async () => {
      documents
        .on(BatchGetCommand)
        .resolves({ Responses: { [TABLE]: [item('a', { ...v('2'), deleted: 'yes' })] } });
      expect((await store().getMany([target('a')])).get(targetKey(target('a')))).toEqual(v('2'));
    });

    it('answers nothing found when DynamoDB returns no Responses or UnprocessedKeys at all', async () => {
      documents.on(BatchGetCommand).resolves({});
      expect((await store().getMany([target('a')])).size).toBe(0);
      expect(documents.commandCalls(BatchGetCommand)).toHaveLength(1);
    });

    it('asks again for unprocessed keys, and stops when none are left', async () => {
      documents
        .on(BatchGetCommand)
        .resolvesOnce({
          Responses: { [TABLE]: [item('a', v('1'))] },
          UnprocessedKeys: { [TABLE]: { Keys: [deliveredKey('Patient/b', endpoint)] } },
        })
        .resolvesOnce({
          Responses: { [TABLE]: [item('b', v('2'))] },
          UnprocessedKeys: { [TABLE]: { Keys: [] } },
        });
      const found = await store().getMany([target('a'), target('b')]);
      expect(found.size).toBe(2);
      const calls = documents.commandCalls(BatchGetCommand);
      expect(calls).toHaveLength(2);
      expect(calls[1]?.args[0].input.RequestItems?.[TABLE]?.Keys).toEqual([
        deliveredKey('Patient/b', endpoint),
      ]);
    });

    it('gives up after 5 rounds of unprocessed keys', async () => {
      documents
        .on(BatchGetCommand)
        .resolves({ UnprocessedKeys: { [TABLE]: { Keys: [deliveredKey('Patient/a', endpoint)] } } });
      await expect(store().getMany([target('a')])).rejects.toThrow(
        'BatchGetItem kept returning unprocessed keys',
      );
      expect(documents.commandCalls(BatchGetCommand)).toHaveLength(5);
    });
  });

  describe('record', () => {
    it('writes a first delivery only where none is recorded, stamped with the clock', async () => {
      documents.on(PutCommand).resolves({});
      expect(await store().record(target('a'), v('1'))).toBe('recorded');
      expect(documents.commandCalls(PutCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: { ...item('a', v('1')), deliveredAt: new Date(NOW).toISOString() },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    });

    it('writes the same version again over what the caller read', async () => {
      documents.on(PutCommand).resolves({});
      expect(await store().record(target('a'), v('3'), v('3'))).toBe('recorded');
      expect(documents.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
        ConditionExpression: 'versionId = :expected',
        ExpressionAttributeValues: { ':expected': '3' },
      });
    });

    it('rereads (consistently) after losing a race, and is superseded by a newer version', async () => {
      documents.on(PutCommand).rejects(conflict());
      documents.on(GetCommand).resolves({ Item: item('a', v('5')) });
      expect(await store().record(target('a'), v('4'), v('2'))).toBe('superseded');
      expect(documents.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: deliveredKey('Patient/a', endpoint),
        ConsistentRead: true,
      });
    });

    it('gives up after 5 lost races', async () => {
      documents.on(PutCommand).rejects(conflict());
      documents.on(GetCommand).resolves({ Item: item('a', v('1')) });
      await expect(store().record(target('a'), v('4'))).rejects.toThrow(
        'Could not record the delivered version of Patient/a (contention)',
      );
      expect(documents.commandCalls(PutCommand)).toHaveLength(5);
    });

    it('rethrows a failure that is not a lost race, without rereading', async () => {
      documents.on(PutCommand).rejects(new Error('ProvisionedThroughputExceeded'));
      await expect(store().record(target('a'), v('4'))).rejects.toThrow('ProvisionedThroughputExceeded');
      expect(documents.commandCalls(GetCommand)).toHaveLength(0);
    });
  });
});

describe('InMemoryDeliveredVersions', () => {
  it('records an equal or newer version and refuses an older one', async () => {
    const memory = new InMemoryDeliveredVersions();
    expect(await memory.record(target('a'), v('2'))).toBe('recorded');
    expect(await memory.record(target('a'), v('2', true))).toBe('recorded');
    expect(await memory.record(target('a'), v('1'))).toBe('superseded');
    expect((await memory.getMany([target('a')])).get(targetKey(target('a')))).toEqual(v('2', true));
  });

  it('forgets the targets whose resource matches, at every endpoint, and counts them', async () => {
    const memory = new InMemoryDeliveredVersions();
    const elsewhere = { resourceKey: 'Patient/a', endpoint: `${endpoint}other/` };
    await memory.record(target('a'), v('1'));
    await memory.record(elsewhere, v('1'));
    await memory.record(target('b'), v('1'));
    expect(await memory.forget((resource) => resource === 'Patient/a')).toBe(2);
    expect(await memory.forget((resource) => resource === 'Patient/a')).toBe(0);
    const left = await memory.getMany([target('a'), elsewhere, target('b')]);
    expect([...left.keys()]).toEqual([targetKey(target('b'))]);
    expect(await memory.forget(target('b'))).toBe(1);
    expect(await memory.forget(target('b'))).toBe(0);
  });
});
