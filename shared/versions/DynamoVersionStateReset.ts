import {
  BatchWriteCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { resourceKey } from '../fhir/ids.js';
import { ledgerKey } from '../state/tableLayout.js';
import type { ResetCounts, ResetScope, VersionStateReset } from './VersionStateReset.js';

/** BatchWriteItem takes at most 25 requests per call. */
const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 8;
const LEDGER_SORT_KEY = ledgerKey('').sk;

interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/**
 * Resets in the connector's table: a resource's items share the partition `RES#{Type}/{id}` (its
 * ledger entry `LATEST` and one `DELIVERED#{endpoint}` per endpoint), so one resource is a Query;
 * a whole type is a Scan on the `RES#{Type}/` prefix (the table has no index by type: an operator
 * action, paid for in read capacity once). Deletes go in batches of 25, unprocessed keys retried.
 *
 * @example
 * const reset = new DynamoVersionStateReset({ client: DynamoDBDocumentClient.from(dynamo), tableName });
 * await reset.reset({ resourceType: 'Patient', id: 'p1' }); // { ledgerEntries: 1, deliveredVersions: 2 }
 */
export class DynamoVersionStateReset implements VersionStateReset {
  private readonly client: Pick<DynamoDBDocumentClient, 'send'>;
  private readonly tableName: string;

  public constructor(options: { client: Pick<DynamoDBDocumentClient, 'send'>; tableName: string }) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  public async reset(scope: ResetScope): Promise<ResetCounts> {
    const keys =
      scope.id === undefined ? await this.keysOfType(scope.resourceType) : await this.keysOf(scope);
    await this.deleteAll(keys);
    const ledgerEntries = keys.filter((key) => key.sk === LEDGER_SORT_KEY).length;
    return { ledgerEntries, deliveredVersions: keys.length - ledgerEntries };
  }

  private async keysOf(scope: ResetScope): Promise<ItemKey[]> {
    const { pk } = ledgerKey(resourceKey(scope.resourceType, scope.id as string));
    const keys: ItemKey[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      keys.push(...(page.Items ?? []).map(toKey));
      start = page.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  private async keysOfType(resourceType: string): Promise<ItemKey[]> {
    const prefix = ledgerKey(`${resourceType}/`).pk;
    const keys: ItemKey[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :prefix)',
          ExpressionAttributeValues: { ':prefix': prefix },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      keys.push(...(page.Items ?? []).map(toKey));
      start = page.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  private async deleteAll(keys: readonly ItemKey[]): Promise<void> {
    // Stryker disable next-line EqualityOperator: at offset === length the batch is empty and nothing is sent
    for (let offset = 0; offset < keys.length; offset += BATCH_WRITE_LIMIT) {
      let requests: Record<string, unknown>[] | undefined = keys
        .slice(offset, offset + BATCH_WRITE_LIMIT)
        .map((key) => ({ DeleteRequest: { Key: { pk: key.pk, sk: key.sk } } }));
      for (let round = 0; requests && requests.length > 0; round += 1) {
        if (round >= MAX_UNPROCESSED_ROUNDS)
          throw new Error('BatchWriteItem kept returning unprocessed deletes');
        const result = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = result.UnprocessedItems?.[this.tableName] as Record<string, unknown>[] | undefined;
      }
    }
  }
}

const toKey = (item: Record<string, unknown>): ItemKey => ({ pk: String(item.pk), sk: String(item.sk) });
