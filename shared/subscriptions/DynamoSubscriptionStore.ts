import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Subscription } from '@medplum/fhirtypes';
import { conflict, OperationOutcomeError, payloadTooLarge, preconditionFailed } from '../fhir/outcomes.js';
import { isConditionalCheckFailed } from '../state/isConditionalCheckFailed.js';
import { queryPartition } from '../state/queryPartition.js';
import { SUBSCRIPTION_PARTITION, subscriptionKey } from '../state/tableLayout.js';
import { DynamoSubscriptionLimit } from './DynamoSubscriptionLimit.js';
import { planDelete, planSave } from './storeVersions.js';
import type {
  DeleteResult,
  SaveOptions,
  SaveResult,
  StoredSubscription,
  SubscriptionRecord,
  SubscriptionStore,
} from './SubscriptionStore.js';
import type { SubscriptionStatus } from './types.js';

/** The item layout (pk `SUBSCRIPTION`, sk = id). The resource is kept as its JSON text, verbatim. */
interface SubscriptionItem {
  pk: string;
  sk: string;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  status?: string;
  resource?: string;
}

/** DynamoDB items are at most 400 KB; leave room for the other attributes. */
export const MAX_SUBSCRIPTION_JSON_BYTES = 380_000;

/** Optimistic-concurrency retries of an unconditional save racing another writer. */
const MAX_ATTEMPTS = 5;

const toRecord = (item: SubscriptionItem): SubscriptionRecord => ({
  id: item.sk,
  versionId: item.versionId,
  lastUpdated: item.lastUpdated,
  deleted: item.deleted,
  ...(item.resource === undefined ? {} : { resource: JSON.parse(item.resource) as StoredSubscription }),
});

/**
 * SubscriptionStore on the connector's DynamoDB table (shared/state/tableLayout.ts): one item per
 * id under partition `SUBSCRIPTION`. Writes are conditional on the version read (or on absence), so
 * two concurrent updates never both win; an unconditional save that loses the race re-reads and
 * retries. Reads are strongly consistent so the ingest path sees a change at its next refresh.
 * `maxSubscriptions` holds under concurrent creates (DynamoSubscriptionLimit).
 *
 * @example
 * const store = new DynamoSubscriptionStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 */
export class DynamoSubscriptionStore implements SubscriptionStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly limit: DynamoSubscriptionLimit;

  public constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.limit = new DynamoSubscriptionLimit(options.client, options.tableName);
  }

  public async get(id: string): Promise<SubscriptionRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionKey(id), ConsistentRead: true }),
    );
    return Item ? toRecord(Item as SubscriptionItem) : undefined;
  }

  public async list(): Promise<StoredSubscription[]> {
    const found: StoredSubscription[] = [];
    for (const item of (await queryPartition(
      this.client,
      this.tableName,
      SUBSCRIPTION_PARTITION,
    )) as unknown as SubscriptionItem[]) {
      if (!item.deleted && item.resource !== undefined)
        found.push(JSON.parse(item.resource) as StoredSubscription);
    }
    // Query returns sort-key (id) order already; sort anyway so every store agrees.
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  public async save(
    resource: Subscription & { id: string; status: SubscriptionStatus },
    options: SaveOptions = {},
  ): Promise<SaveResult> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(resource.id);
      const plan = planSave(current, resource, options);
      if (!plan.write) return { resource: plan.resource, created: false, changed: false };
      const json = JSON.stringify(plan.resource);
      if (Buffer.byteLength(json) > MAX_SUBSCRIPTION_JSON_BYTES) {
        throw new OperationOutcomeError(payloadTooLarge('The Subscription is too large to store'));
      }
      const item: SubscriptionItem = {
        ...subscriptionKey(resource.id),
        versionId: plan.resource.meta.versionId,
        lastUpdated: plan.resource.meta.lastUpdated,
        deleted: false,
        status: plan.resource.status,
        resource: json,
      };
      // A new Subscription takes its place under subscriptions.maxCount before it is written.
      if (plan.created) {
        await this.limit.reserve(resource.id, options.maxSubscriptions, Date.now(), async () =>
          (await this.list()).map((stored) => stored.id),
        );
      }
      if (await this.putIfVersion(item, current?.versionId)) {
        return { resource: plan.resource, created: plan.created, changed: true };
      }
      if (options.condition?.kind === 'version') {
        throw new OperationOutcomeError(
          preconditionFailed(`Subscription/${resource.id} changed concurrently`),
        );
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new OperationOutcomeError(
          conflict(`Subscription/${resource.id} is being changed concurrently`),
        );
      }
    }
  }

  public async delete(id: string, options: { now?: Date } = {}): Promise<DeleteResult> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.get(id);
      const tombstone = planDelete(current, options.now);
      if (!tombstone) return current ? 'already-deleted' : 'not-found';
      const item: SubscriptionItem = {
        ...subscriptionKey(id),
        versionId: tombstone.versionId,
        lastUpdated: tombstone.lastUpdated,
        deleted: true,
      };
      if (await this.putIfVersion(item, current?.versionId)) {
        await this.limit.release(id);
        return 'deleted';
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new OperationOutcomeError(conflict(`Subscription/${id} is being changed concurrently`));
      }
    }
  }

  /** Puts the item only if the stored version is still `expected` (or absent); false when it lost. */
  private async putIfVersion(item: SubscriptionItem, expected: string | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'versionId = :expected',
                ExpressionAttributeValues: { ':expected': expected },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
