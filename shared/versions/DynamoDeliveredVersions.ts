import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../state/isConditionalCheckFailed.js';
import { deliveredKey } from '../state/tableLayout.js';
import { compareVersions } from './compareVersions.js';
import {
  targetKey,
  type DeliveredVersion,
  type DeliveredVersions,
  type DeliveryTarget,
} from './DeliveredVersions.js';

const BATCH_GET_LIMIT = 100;
const MAX_ROUNDS = 5;

interface DeliveredItem {
  pk: string;
  sk: string;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
  deliveredAt: string;
}

const toVersion = (item: Record<string, unknown>): DeliveredVersion | undefined =>
  typeof item.versionId === 'string' && typeof item.lastUpdated === 'string'
    ? { versionId: item.versionId, lastUpdated: item.lastUpdated, deleted: item.deleted === true }
    : undefined;

/**
 * DeliveredVersions in the connector's state table (`RES#{Type}/{id}` / `DELIVERED#{endpoint}`).
 * Writes are conditional on the version read before, so concurrent writers never move it backwards.
 *
 * @example
 * const delivered = new DynamoDeliveredVersions(DynamoDBDocumentClient.from(new DynamoDBClient({})), table);
 */
export class DynamoDeliveredVersions implements DeliveredVersions {
  public constructor(
    private readonly documents: Pick<DynamoDBDocumentClient, 'send'>,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  public async getMany(targets: readonly DeliveryTarget[]): Promise<Map<string, DeliveredVersion>> {
    const found = new Map<string, DeliveredVersion>();
    const byPk = new Map<string, string>();
    const unique = new Map<string, Record<string, string>>();
    for (const target of targets) {
      const key = deliveredKey(target.resourceKey, target.endpoint);
      const id = `${key.pk}\n${key.sk}`;
      unique.set(id, key);
      byPk.set(id, targetKey(target));
    }
    const keys = [...unique.values()];
    // Stryker disable next-line EqualityOperator: at start === keys.length the slice is empty and nothing is sent
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + BATCH_GET_LIMIT);
      for (let round = 0; pending && pending.length > 0; round += 1) {
        if (round >= MAX_ROUNDS) throw new Error('BatchGetItem kept returning unprocessed keys');
        const response: BatchGetCommandOutput = await this.documents.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        // Stryker disable next-line ArrayDeclaration: a made-up item has no version and is skipped like none
        for (const item of response.Responses?.[this.tableName] ?? []) {
          const version = toVersion(item);
          const target = byPk.get(`${String(item.pk)}\n${String(item.sk)}`);
          if (version && target) found.set(target, version);
        }
        pending = response.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  public async record(
    target: DeliveryTarget,
    version: DeliveredVersion,
    previous?: DeliveredVersion,
  ): Promise<'recorded' | 'superseded'> {
    const key = deliveredKey(target.resourceKey, target.endpoint);
    let expected = previous;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (expected && compareVersions(version, expected) < 0) return 'superseded';
      const item: DeliveredItem = {
        ...key,
        versionId: version.versionId,
        lastUpdated: version.lastUpdated,
        deleted: version.deleted,
        deliveredAt: new Date(this.now()).toISOString(),
      };
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ...(expected
              ? {
                  ConditionExpression: 'versionId = :expected',
                  ExpressionAttributeValues: { ':expected': expected.versionId },
                }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        return 'recorded';
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      // Someone else wrote in between: read what is there and decide again.
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      expected = Item ? toVersion(Item) : undefined;
    }
    throw new Error(`Could not record the delivered version of ${target.resourceKey} (contention)`);
  }
}
