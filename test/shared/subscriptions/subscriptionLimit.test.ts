import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsClientConfig,
  createConnectorResources,
  startAwsStandins,
  type AwsStandins,
} from '../../../local/standins/aws.js';
import type { FhirRequest } from '../../../shared/http/types.js';
import { subscriptionLimitKey } from '../../../shared/state/tableLayout.js';
import { DynamoSubscriptionStore } from '../../../shared/subscriptions/DynamoSubscriptionStore.js';
import { handleSubscriptionRequest } from '../../../shared/subscriptions/handleSubscriptionRequest.js';
import { InMemorySubscriptionStore } from '../../../shared/subscriptions/InMemorySubscriptionStore.js';
import { memberKey, RESERVATION_TTL_MS } from '../../../shared/subscriptions/subscriptionLimit.js';
import type { SubscriptionStore } from '../../../shared/subscriptions/SubscriptionStore.js';
import { ALLOWED_ENDPOINTS, makeSubscription } from '../../helpers/subscriptions.js';

/**
 * Issue 20 item 12: `subscriptions.maxCount` held under concurrency. 20 parallel creates through the
 * Subscription API against a DynamoDB store (dynalite) with 95 of 100 places taken leave exactly 100.
 */
let aws: AwsStandins;
let documentClient: DynamoDBDocumentClient;
let tables = 0;

beforeAll(async () => {
  aws = await startAwsStandins();
  documentClient = DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(aws.dynamoEndpoint)));
});
afterAll(async () => {
  documentClient?.destroy();
  await aws?.stop();
});

/** A Dynamo store on a table of its own, so counts are exact. */
const dynamoStore = async (): Promise<{ store: DynamoSubscriptionStore; tableName: string }> => {
  const { stateTable } = await createConnectorResources({
    endpoints: aws,
    names: { prefix: `limit-${(tables += 1)}` },
  });
  return {
    store: new DynamoSubscriptionStore({ client: documentClient, tableName: stateTable }),
    tableName: stateTable,
  };
};

const post = (): FhirRequest => ({
  method: 'POST',
  path: 'Subscription',
  query: {},
  headers: {},
  body: makeSubscription(),
  requestId: 'limit',
  baseUrl: 'https://connector.example.org/fhir',
});

const put = (id: string): FhirRequest => ({
  ...post(),
  method: 'PUT',
  path: `Subscription/${id}`,
  body: makeSubscription({ id }),
});

/** `count` Subscriptions created ten at a time (no limit: the deployment's own writes). */
const fill = async (store: SubscriptionStore, count: number): Promise<void> => {
  for (let start = 0; start < count; start += 10) {
    const ids = Array.from(
      { length: Math.min(10, count - start) },
      (_, index) => `existing-${start + index}`,
    );
    await Promise.all(ids.map((id) => store.save({ ...makeSubscription(), id, status: 'active' })));
  }
};

describe.each([
  ['DynamoSubscriptionStore (dynalite)', async () => (await dynamoStore()).store],
  ['InMemorySubscriptionStore', async () => new InMemorySubscriptionStore()],
])('subscriptions.maxCount under concurrency: %s', (_name, makeStore) => {
  it('lets exactly 5 of 20 parallel creates through when 95 of 100 places are taken', async () => {
    const store = await makeStore();
    await fill(store, 95);
    let next = 0;
    const deps = {
      store,
      allowedEndpoints: ALLOWED_ENDPOINTS,
      maxSubscriptions: 100,
      newId: () => `parallel-${(next += 1)}`,
    };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => handleSubscriptionRequest(post(), deps)),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(5);
    expect(statuses.filter((status) => status === 422)).toHaveLength(15);
    expect(await store.list()).toHaveLength(100);
  });

  it('counts parallel creates of one id once, and a delete frees its place', async () => {
    const store = await makeStore();
    await fill(store, 9);
    const deps = { store, allowedEndpoints: ALLOWED_ENDPOINTS, maxSubscriptions: 10 };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => handleSubscriptionRequest(put('same'), deps)),
    );
    expect(answers.every((answer) => answer.status < 300)).toBe(true);
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect((await handleSubscriptionRequest(put('other'), deps)).status).toBe(422);
    await store.delete('existing-0');
    expect((await handleSubscriptionRequest(put('other'), deps)).status).toBe(201);
    expect(await store.list()).toHaveLength(10);
  });
});

describe('Class: DynamoSubscriptionLimit (through DynamoSubscriptionStore)', () => {
  const members = async (tableName: string): Promise<Record<string, number>> => {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: subscriptionLimitKey, ConsistentRead: true }),
    );
    return (Item?.members as Record<string, number>) ?? {};
  };

  it('counts Subscriptions written before the count existed', async () => {
    const { store, tableName } = await dynamoStore();
    await fill(store, 3);
    await documentClient.send(new DeleteCommand({ TableName: tableName, Key: subscriptionLimitKey }));
    const deps = { store, allowedEndpoints: ALLOWED_ENDPOINTS, maxSubscriptions: 3 };
    expect((await handleSubscriptionRequest(put('fourth'), deps)).status).toBe(422);
    expect(Object.keys(await members(tableName)).sort()).toEqual(
      ['existing-0', 'existing-1', 'existing-2'].map(memberKey).sort(),
    );
  });

  it('reclaims a place a crashed create left behind only once it is older than any invocation', async () => {
    const { store, tableName } = await dynamoStore();
    await fill(store, 1);
    const strand = async (id: string, at: number) =>
      documentClient.send(
        new UpdateCommand({
          TableName: tableName,
          Key: subscriptionLimitKey,
          UpdateExpression: 'SET members.#id = :at',
          ExpressionAttributeNames: { '#id': memberKey(id) },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    const deps = { store, allowedEndpoints: ALLOWED_ENDPOINTS, maxSubscriptions: 2 };
    // A reservation in flight (just taken, its Subscription not yet written) keeps its place.
    await strand('in-flight', Date.now());
    expect((await handleSubscriptionRequest(put('late'), deps)).status).toBe(422);
    // The same reservation, stale past the longest invocation: reclaimed.
    await strand('in-flight', Date.now() - RESERVATION_TTL_MS - 1000);
    expect((await handleSubscriptionRequest(put('late'), deps)).status).toBe(201);
    expect(Object.keys(await members(tableName)).sort()).toEqual(
      ['existing-0', 'late'].map(memberKey).sort(),
    );
  });
});
