import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import { targetKey } from '../../../shared/versions/DeliveredVersions.js';
import { DynamoDeliveredVersions } from '../../../shared/versions/DynamoDeliveredVersions.js';
import { DynamoDeliveredVersionsEraser } from '../../../shared/versions/DynamoDeliveredVersionsEraser.js';
import { deliveredKey } from '../../../shared/state/tableLayout.js';

const endpoint = 'https://healthlake.us-east-1.amazonaws.com/datastore/abc/r4/';
const v = (versionId: string, deleted = false) => ({
  versionId,
  lastUpdated: `2026-01-01T00:00:0${versionId}Z`,
  deleted,
});

describe('Class: DynamoDeliveredVersions (dynalite)', () => {
  let aws: AwsStandins;
  let documents: DynamoDBDocumentClient;
  let store: DynamoDeliveredVersions;
  let table: string;

  beforeAll(async () => {
    aws = await startAwsStandins();
    const resources = await createConnectorResources({ endpoints: aws, names: { prefix: 'dv-test' } });
    table = resources.stateTable;
    documents = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint)));
    store = new DynamoDeliveredVersions(documents, table);
  });

  afterAll(async () => {
    documents?.destroy();
    await aws?.stop();
  });

  it('records a version under the table layout’s delivered key and reads it back in a batch', async () => {
    const target = { resourceKey: 'Patient/a', endpoint };
    expect(await store.record(target, v('2'))).toBe('recorded');
    const { Item } = await documents.send(
      new GetCommand({ TableName: table, Key: deliveredKey('Patient/a', endpoint) }),
    );
    expect(Item).toMatchObject({ versionId: '2', deleted: false });
    const found = await store.getMany([target, { resourceKey: 'Patient/none', endpoint }]);
    expect(found.get(targetKey(target))).toEqual(v('2'));
    expect(found.size).toBe(1);
  });

  it('never moves the delivered version backwards, even when the caller read a stale value', async () => {
    const target = { resourceKey: 'Patient/b', endpoint };
    await store.record(target, v('5'));
    expect(await store.record(target, v('3'))).toBe('superseded');
    expect(await store.record(target, v('3'), v('1'))).toBe('superseded');
    expect(await store.record(target, v('6', true), v('1'))).toBe('recorded');
    expect((await store.getMany([target])).get(targetKey(target))).toEqual(v('6', true));
  });

  it('forgets one target’s record (reconcile repair), so a lower version records again', async () => {
    const target = { resourceKey: 'Patient/c', endpoint };
    const other = { resourceKey: 'Patient/c', endpoint: `${endpoint}other/` };
    await store.record(target, v('7'));
    await store.record(other, v('7'));
    await new DynamoDeliveredVersionsEraser(documents, table).forget(target);
    const found = await store.getMany([target, other]);
    expect(found.has(targetKey(target))).toBe(false);
    expect(found.get(targetKey(other))).toEqual(v('7'));
    expect(await store.record(target, v('2'))).toBe('recorded');
  });
});
