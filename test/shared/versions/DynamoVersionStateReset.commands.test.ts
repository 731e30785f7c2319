import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { boundedDocumentClient } from '../../helpers/boundedDocumentClient.js';
import { DynamoVersionStateReset } from '../../../shared/versions/DynamoVersionStateReset.js';

// The exact commands of a reset: a consistent, paginated Query or Scan, then deletes in batches of 25.
// Behaviour against a real table: resetVersion.test.ts.

const TABLE = 'state';
const dynamo = mockClient(DynamoDBDocumentClient);
const { client, resetCount } = boundedDocumentClient();

const item = (resource: string, sk: string) => ({ pk: `RES#${resource}`, sk });
const deleteOf = (key: { pk: string; sk: string }) => ({ DeleteRequest: { Key: key } });
const batches = () =>
  dynamo.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);

describe('Class: DynamoVersionStateReset (commands sent)', () => {
  beforeEach(() => {
    dynamo.reset();
    resetCount();
  });

  it('queries one resource page by page, consistently, and deletes what it found', async () => {
    const first = [item('Patient/p1', 'LATEST'), item('Patient/p1', 'DELIVERED#a')];
    const second = [item('Patient/p1', 'DELIVERED#b')];
    dynamo
      .on(QueryCommand)
      .resolvesOnce({ Items: first, LastEvaluatedKey: first[1] })
      .resolvesOnce({ Items: second })
      .resolves({});
    dynamo.on(BatchWriteCommand).resolves({});
    const reset = new DynamoVersionStateReset({ client, tableName: TABLE });
    expect(await reset.reset({ resourceType: 'Patient', id: 'p1' })).toStrictEqual({
      ledgerEntries: 1,
      deliveredVersions: 2,
    });
    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries).toStrictEqual([
      {
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'RES#Patient/p1' },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
      },
      {
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'RES#Patient/p1' },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        ExclusiveStartKey: first[1],
      },
    ]);
    expect(batches()).toStrictEqual([[...first, ...second].map(deleteOf)]);
  });

  it('scans a whole type page by page, consistently, and deletes in batches of 25', async () => {
    const keys = Array.from({ length: 30 }, (_, index) => item(`Observation/o${index}`, 'LATEST'));
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: keys.slice(0, 20), LastEvaluatedKey: keys[19] })
      .resolvesOnce({ Items: keys.slice(20) })
      .resolves({});
    dynamo.on(BatchWriteCommand).resolves({});
    const reset = new DynamoVersionStateReset({ client, tableName: TABLE });
    expect(await reset.reset({ resourceType: 'Observation' })).toStrictEqual({
      ledgerEntries: 30,
      deliveredVersions: 0,
    });
    const scans = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans).toStrictEqual([
      {
        TableName: TABLE,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': 'RES#Observation/' },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
      },
      {
        TableName: TABLE,
        FilterExpression: 'begins_with(pk, :prefix)',
        ExpressionAttributeValues: { ':prefix': 'RES#Observation/' },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        ExclusiveStartKey: keys[19],
      },
    ]);
    expect(batches()).toStrictEqual([keys.slice(0, 25).map(deleteOf), keys.slice(25).map(deleteOf)]);
  });

  it('counts nothing and deletes nothing when a page carries no items', async () => {
    dynamo.on(QueryCommand).resolves({});
    dynamo.on(ScanCommand).resolves({});
    const reset = new DynamoVersionStateReset({ client, tableName: TABLE });
    expect(await reset.reset({ resourceType: 'Patient', id: 'p1' })).toStrictEqual({
      ledgerEntries: 0,
      deliveredVersions: 0,
    });
    expect(await reset.reset({ resourceType: 'Patient' })).toStrictEqual({
      ledgerEntries: 0,
      deliveredVersions: 0,
    });
    expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('retries unprocessed deletes until none are left', async () => {
    const keys = [item('Patient/p1', 'LATEST'), item('Patient/p1', 'DELIVERED#a')];
    dynamo.on(QueryCommand).resolves({ Items: keys });
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: [deleteOf(keys[1]!)] } })
      .resolves({ UnprocessedItems: { [TABLE]: [] } });
    const reset = new DynamoVersionStateReset({ client, tableName: TABLE });
    await reset.reset({ resourceType: 'Patient', id: 'p1' });
    expect(batches()).toStrictEqual([keys.map(deleteOf), [deleteOf(keys[1]!)]]);
  });

  it('gives up after 8 rounds of unprocessed deletes', async () => {
    const keys = [item('Patient/p1', 'LATEST')];
    dynamo.on(QueryCommand).resolves({ Items: keys });
    dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE]: keys.map(deleteOf) } });
    const reset = new DynamoVersionStateReset({ client, tableName: TABLE });
    await expect(reset.reset({ resourceType: 'Patient', id: 'p1' })).rejects.toThrow(
      'BatchWriteItem kept returning unprocessed deletes',
    );
    expect(batches()).toHaveLength(8);
  });
});
