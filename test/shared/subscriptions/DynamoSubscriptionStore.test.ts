import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import { ActiveSubscriptionCache } from '../../../shared/subscriptions/ActiveSubscriptionCache.js';
import { DynamoSubscriptionStore } from '../../../shared/subscriptions/DynamoSubscriptionStore.js';
import { handleSubscriptionRequest } from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { ALLOWED_ENDPOINTS, DATASTORE_B, makeSubscription } from '../../helpers/subscriptions.js';
import { describeSubscriptionStore } from './storeContract.js';

// Integration: the store against dynalite over a real loopback socket.
let standins: AwsStandins;
let store: DynamoSubscriptionStore;
let documentClient: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  standins = await startAwsStandins();
  const resources = await createConnectorResources({
    endpoints: {
      sqsEndpoint: standins.sqsEndpoint,
      s3Endpoint: standins.s3Endpoint,
      dynamoEndpoint: standins.dynamoEndpoint,
    },
    names: { prefix: 'subscriptions-test' },
  });
  tableName = resources.stateTable;
  documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(standins.dynamoEndpoint)));
  store = new DynamoSubscriptionStore({ client: documentClient, tableName });
});

afterAll(async () => {
  documentClient?.destroy();
  await standins?.stop();
});

describeSubscriptionStore('DynamoSubscriptionStore (dynalite)', () => store);

describe('Class: DynamoSubscriptionStore', () => {
  it('keeps the item layout of shared/state/tableLayout.ts', async () => {
    await store.save({ ...makeSubscription(), id: 'layout-check', status: 'active' });
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'SUBSCRIPTION', sk: 'layout-check' } }),
    );
    expect(Item).toMatchObject({
      pk: 'SUBSCRIPTION',
      sk: 'layout-check',
      versionId: '1',
      status: 'active',
      deleted: false,
    });
    expect(JSON.parse(String(Item?.resource))).toMatchObject({
      resourceType: 'Subscription',
      id: 'layout-check',
    });
  });

  it('answers 413 for a subscription too large for a DynamoDB item, and stores nothing', async () => {
    const huge = makeSubscription({ reason: 'x'.repeat(400_000) });
    await expect(store.save({ ...huge, id: 'too-big', status: 'active' })).rejects.toMatchObject({
      outcome: { id: '413' },
    });
    expect(await store.get('too-big')).toBeUndefined();
  });

  it('lists across query pages', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `paged-${String(index).padStart(2, '0')}`);
    // Large resources push the partition past one 1 MB query page.
    const padding = 'x'.repeat(60_000);
    for (const id of ids) {
      await store.save({ ...makeSubscription({ reason: padding }), id, status: 'active' });
    }
    const firstPage = await documentClient.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'SUBSCRIPTION' },
      }),
    );
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    const listed = (await store.list()).map((s) => s.id).filter((id) => id.startsWith('paged-'));
    expect(listed).toEqual(ids);
  });
});

describe('Subscription API, DynamoDB store and active cache together', () => {
  it('lets the ingest cache see a subscription created through the API once its TTL passes', async () => {
    let now = Date.parse('2026-06-01T12:00:00Z');
    const cache = new ActiveSubscriptionCache({ store, allowedEndpoints: ALLOWED_ENDPOINTS, now: () => now });
    const encounter = { resourceType: 'Encounter', id: 'e1' };
    const before = await cache.match(encounter, 'upsert');
    const response = await handleSubscriptionRequest(
      {
        method: 'PUT',
        path: 'Subscription/encounters',
        query: {},
        headers: {},
        body: makeSubscription({ id: 'encounters', criteria: '[Encounter]' }, { endpoint: DATASTORE_B }),
        requestId: 'r1',
        baseUrl: 'http://127.0.0.1/fhir',
      },
      { store, allowedEndpoints: ALLOWED_ENDPOINTS },
    );
    expect(response.status).toBe(201);
    expect(before.flatMap((target) => target.subscriptionIds)).not.toContain('encounters');
    now += 5_000;
    const after = await cache.match(encounter, 'upsert');
    expect(after.find((target) => target.endpoint === DATASTORE_B)?.subscriptionIds).toContain('encounters');
  });
});
